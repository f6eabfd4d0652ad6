"""kubectl (through the gcloud dispatcher) against the embedded API server."""

from __future__ import annotations


def test_kubectl_version_reports_the_1_33_server(kubectl):
    out = kubectl("version", "-o", "json").stdout
    assert '"minor": "33"' in out


def test_get_namespaces_table(kubectl):
    lines = kubectl("get", "ns").stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "AGE"]
    rows = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert rows["default"] == "Active" and rows["kube-system"] == "Active"


def test_create_get_delete_configmap(kubectl):
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: '1'\n  b: '2'\n"
    assert "configmap/web created" in kubectl("create", "-f", "-", input=manifest).stdout
    lines = kubectl("get", "cm", "web").stdout.splitlines()
    assert lines[0].split() == ["NAME", "DATA", "AGE"]
    assert lines[1].split()[:2] == ["web", "2"]
    assert 'configmap "web" deleted' in kubectl("delete", "cm", "web").stdout
    proc = kubectl("get", "cm", "web", check=False)
    assert proc.returncode == 1
    assert 'Error from server (NotFound): configmaps "web" not found' in proc.stderr
