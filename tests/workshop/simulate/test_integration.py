"""The simulation behind the real embedded API server, seen through the official Python client and kubectl."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException


def _deployment(name: str, image: str, replicas: int = 2) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": name, "image": image}]}}}}


@pytest.fixture
def apis(embedded_cluster: Any) -> Any:
    api = embedded_cluster.api_client()
    yield embedded_cluster, client.AppsV1Api(api), client.CoreV1Api(api), client.BatchV1Api(api)
    api.close()


def test_deployment_rolls_out_and_updates(apis: Any) -> None:
    cluster, apps, core, _ = apis
    apps.create_namespaced_deployment("default", _deployment("web", "nginx:1.25"))
    cluster.wait_settled(10)
    d = apps.read_namespaced_deployment("web", "default")
    assert (d.status.ready_replicas, d.status.available_replicas, d.status.updated_replicas) == (2, 2, 2)
    assert {c.type: c.reason for c in d.status.conditions} == {"Available": "MinimumReplicasAvailable",
                                                               "Progressing": "NewReplicaSetAvailable"}
    pods = core.list_namespaced_pod("default", label_selector="app=web").items
    assert [p.status.phase for p in pods] == ["Running", "Running"]
    assert all(p.status.container_statuses[0].ready for p in pods)
    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:1.27"}]}}}})
    cluster.wait_settled(10)
    d = apps.read_namespaced_deployment("web", "default")
    assert d.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    assert d.status.updated_replicas == 2 and d.status.available_replicas == 2
    images = {p.spec.containers[0].image for p in core.list_namespaced_pod("default", label_selector="app=web").items}
    assert images == {"nginx:1.27"}
    out = subprocess.run(["kubectl", "--kubeconfig", str(cluster.kubeconfig_path), "rollout", "status",
                          "deployment/web", "--timeout=5s"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert 'deployment "web" successfully rolled out' in out.stdout


def test_missing_image_is_image_pull_backoff(apis: Any) -> None:
    cluster, apps, core, _ = apis
    cluster.simulation.image_available = lambda image: not image.endswith(":missing")
    apps.create_namespaced_deployment("default", _deployment("broken", "nginx:missing", replicas=1))
    cluster.wait_settled(10)
    pod = core.list_namespaced_pod("default", label_selector="app=broken").items[0]
    assert pod.status.phase == "Pending"
    assert pod.status.container_statuses[0].state.waiting.reason == "ImagePullBackOff"
    d = apps.read_namespaced_deployment("broken", "default")
    assert {c.type: c.status for c in d.status.conditions}["Available"] == "False"
    events = core.list_namespaced_event("default", field_selector=f"involvedObject.name={pod.metadata.name}").items
    assert {e.reason for e in events} >= {"Scheduled", "Pulling", "Failed", "BackOff"}


def test_statefulset_with_claims_and_job(apis: Any) -> None:
    cluster, apps, core, batch = apis
    apps.create_namespaced_stateful_set("default", {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}},
                              "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                     "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
    batch.create_namespaced_job("default", {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "pi", "image": "perl:5.34", "command": ["perl", "-e", "print 3.14"]}]}}}})
    cluster.wait_settled(10)
    sts = apps.read_namespaced_stateful_set("db", "default")
    assert (sts.status.ready_replicas, sts.status.current_revision) == (2, sts.status.update_revision)
    claims = core.list_namespaced_persistent_volume_claim("default").items
    assert [(c.metadata.name, c.status.phase) for c in claims] == [("data-db-0", "Bound"), ("data-db-1", "Bound")]
    assert [p.metadata.name for p in core.list_namespaced_pod("default", label_selector="app=db").items] == [
        "db-0", "db-1"]
    job = batch.read_namespaced_job("pi", "default")
    assert job.status.succeeded == 1
    assert [(c.type, c.status) for c in job.status.conditions] == [("SuccessCriteriaMet", "True"),
                                                                   ("Complete", "True")]
    assert job.spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": job.metadata.uid}


def test_bootstrap_objects(apis: Any) -> None:
    cluster, _, core, _ = apis
    assert sorted(n.metadata.name for n in core.list_namespace().items) == [
        "default", "kube-node-lease", "kube-public", "kube-system", "local-path-storage"]
    node = core.read_node("lab-control-plane")
    assert {c.type: c.status for c in node.status.conditions}["Ready"] == "True"
    assert core.read_namespaced_service("kubernetes", "default").spec.cluster_ip == "10.96.0.1"
    core.create_namespace({"metadata": {"name": "apps"}})
    cluster.wait_settled(10)
    assert core.read_namespaced_service_account("default", "apps").metadata.name == "default"
    assert "ca.crt" in core.read_namespaced_config_map("kube-root-ca.crt", "apps").data
    with pytest.raises(ApiException) as err:
        client.AppsV1Api(cluster.api_client()).create_namespaced_deployment("default", {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
            "spec": {"selector": {"matchLabels": {"app": "x"}},
                     "template": {"metadata": {"labels": {"app": "y"}}, "spec": {"containers": [
                         {"name": "c", "image": "nginx"}]}}}})
    assert err.value.status == 422
    assert '`selector` does not match template `labels`' in err.value.body


def test_deleting_a_namespace_releases_claims_and_job_pods(apis: Any) -> None:
    cluster, apps, core, batch = apis
    core.create_namespace({"metadata": {"name": "data"}})
    apps.create_namespaced_stateful_set("data", {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}},
                              "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                     "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
    batch.create_namespaced_job("data", {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "seed"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "seed", "image": "busybox:1.36", "command": ["sleep", "1"]}]}}}})
    cluster.wait_settled(10)
    assert len(core.list_persistent_volume().items) == 1
    batch.delete_namespaced_job("seed", "data", propagation_policy="Background")
    cluster.wait_settled(10)
    assert core.list_namespaced_pod("data", label_selector="job-name=seed").items == []
    core.delete_namespace("data")
    cluster.wait_settled(10)
    with pytest.raises(ApiException) as err:
        core.read_namespace("data")
    assert err.value.status == 404
    assert core.list_persistent_volume().items == []


def test_fresh_labs_show_the_same_names_and_addresses(tmp_path: Any) -> None:
    from workshop.cluster.embedded import EmbeddedCluster

    seen = []
    for run in range(2):
        cluster = EmbeddedCluster(name="test", workdir=tmp_path / f"lab{run}")
        cluster.start()
        try:
            api = cluster.api_client()
            client.AppsV1Api(api).create_namespaced_deployment("default", _deployment("web", "nginx:1.25"))
            client.CoreV1Api(api).create_namespaced_service("default", {
                "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
            cluster.wait_settled(10)
            core = client.CoreV1Api(api)
            pods = sorted((p.metadata.name, p.status.pod_ip) for p in core.list_namespaced_pod("default").items)
            seen.append((pods, core.read_namespaced_service("web", "default").spec.cluster_ip))
            api.close()
        finally:
            cluster.stop()
    assert seen[0] == seen[1]
