"""kubectl discovery-driven commands: api-resources, explain of a built-in kind, delete ns with contents."""

from __future__ import annotations

from .manifests import APP


def test_api_resources_lists_kinds_with_short_names(kubectl):
    rows = {tuple(line.split()[:1])[0]: line.split() for line in kubectl("api-resources").stdout.splitlines()[1:]}
    assert rows["deployments"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert rows["namespaces"] == ["namespaces", "ns", "v1", "false", "Namespace"]
    assert rows["customresourcedefinitions"][1] == "crd,crds"


def test_explain_deployment_spec(kubectl):
    out = kubectl("explain", "deployment.spec").stdout
    assert "KIND:       Deployment" in out and "VERSION:    v1" in out
    assert "replicas\t<integer>" in out and "template\t<PodTemplateSpec> -required-" in out


def test_delete_namespace_takes_its_contents(kubectl, embedded_cluster, tmp_path):
    kubectl("create", "namespace", "shop", check=False)
    if "shop" not in kubectl("get", "ns", "-o", "name").stdout:
        kubectl("apply", "-f", "-", input="apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
    (tmp_path / "app.yaml").write_text(APP)
    kubectl("apply", "-n", "shop", "-f", str(tmp_path / "app.yaml"))
    embedded_cluster.wait_settled()
    assert len(kubectl("get", "pods", "-n", "shop", "-o", "name").stdout.split()) == 2
    assert 'namespace "shop" deleted' in kubectl("delete", "ns", "shop", "--timeout=20s").stdout
    assert "No resources found" in kubectl("get", "all", "-n", "shop").stderr
    assert "shop" not in kubectl("get", "ns", "-o", "name").stdout
