"""A learner's kubectl session on the embedded cluster: apply, watch the rollout, scale, inspect, patch, delete."""

from __future__ import annotations

import json

from .manifests import APP


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def test_apply_rollout_scale_describe(kubectl, embedded_cluster, tmp_path):
    app = tmp_path / "app.yaml"
    app.write_text(APP)
    out = kubectl("apply", "-f", str(app)).stdout
    assert out.splitlines() == ["configmap/web-config created", "deployment.apps/web created", "service/web created"]
    embedded_cluster.wait_settled()

    rows = _rows(kubectl("get", "deploy").stdout)
    assert rows[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert rows[1][:4] == ["web", "2/2", "2", "2"]
    assert "successfully rolled out" in kubectl("rollout", "status", "deploy/web", "--timeout=20s").stdout
    assert "condition met" in kubectl("wait", "--for=condition=Available", "deploy/web", "--timeout=20s").stdout

    wide = _rows(kubectl("get", "pods", "-A", "-o", "wide").stdout)
    assert wide[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE",
                       "READINESS", "GATES"]
    pods = [r for r in wide[1:] if r[1].startswith("web-")]
    assert len(pods) == 2 and all(r[2] == "1/1" and r[3] == "Running" for r in pods)

    assert "deployment.apps/web scaled" in kubectl("scale", "deploy", "web", "--replicas=3").stdout
    embedded_cluster.wait_settled()
    assert _rows(kubectl("get", "deploy", "web").stdout)[1][:2] == ["web", "3/3"]
    scale = json.loads(kubectl("get", "--raw", "/apis/apps/v1/namespaces/default/deployments/web/scale").stdout)
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 3 and scale["status"]["selector"] == "app=web"

    pod = pods[0][1]
    described = kubectl("describe", "pod", pod).stdout
    assert f"Name:             {pod}" in described
    events_part = described.split("Events:")[1]
    assert "Scheduled" in events_part and "default-scheduler" in events_part

    events = _rows(kubectl("get", "events").stdout)
    assert events[0] == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert any(r[3] == f"pod/{pod}" and r[2] == "Scheduled" for r in events[1:])

    everything = kubectl("get", "all").stdout
    for name in ("deployment.apps/web", "replicaset.apps/web-", "service/web", "pod/web-"):
        assert name in everything
    both = kubectl("get", "deploy,svc").stdout
    assert "deployment.apps/web" in both and "service/kubernetes" in both

    # replicas go back from 3 to the manifest's 2; the defaulted fields do not count as changes
    assert kubectl("apply", "-f", str(app)).stdout.splitlines() == [
        "configmap/web-config unchanged", "deployment.apps/web configured", "service/web unchanged"]


def test_label_patch_and_delete(kubectl, embedded_cluster, tmp_path):
    app = tmp_path / "app.yaml"
    app.write_text(APP)
    kubectl("apply", "-f", str(app))
    assert "namespace/default labeled" in kubectl("label", "ns", "default", "team=blue").stdout
    labels = _rows(kubectl("get", "ns", "default", "--show-labels").stdout)[1][-1]
    assert "team=blue" in labels

    kubectl("patch", "cm", "web-config", "--type=merge", "-p", '{"data":{"extra":"1"}}')
    kubectl("patch", "cm", "web-config", "--type=json", "-p", '[{"op":"remove","path":"/data/greeting"}]')
    cm = json.loads(kubectl("get", "cm", "web-config", "-o", "json").stdout)
    assert cm["data"] == {"extra": "1"}
    bad = kubectl("patch", "cm", "web-config", "--type=json", "-p", '[{"op":"remove","path":"/data/nope"}]',
                  check=False)
    assert bad.returncode == 1 and "is invalid" in bad.stderr

    kubectl("patch", "deploy", "web", "--type=strategic", "-p",
            '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}')
    dep = json.loads(kubectl("get", "deploy", "web", "-o", "json").stdout)
    containers = dep["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("nginx", "nginx:1.28")]
    assert containers[0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert dep["metadata"]["generation"] == 2

    out = kubectl("delete", "-f", str(app)).stdout
    assert 'deployment.apps "web" deleted' in out
    embedded_cluster.wait_settled()
    left = kubectl("get", "all", "-o", "name").stdout.split()
    assert left == ["service/kubernetes"]
