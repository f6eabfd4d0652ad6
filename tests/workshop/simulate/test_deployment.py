"""Deployments roll out through ReplicaSets to running pods, as on kind."""

from __future__ import annotations

from workshop.cluster.embedded.simulate import Simulation
from workshop.cluster.embedded.simulate.common import DEPLOYMENTS, PODS, REPLICASETS

from .fakestore import FakeStore


def deployment(name: str = "web", replicas: int = 2, image: str = "nginx:1.25") -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": image,
                                                           "ports": [{"containerPort": 80}]}]}}}}


def test_deployment_becomes_available(store: FakeStore, sim: Simulation) -> None:
    store.create(DEPLOYMENTS, deployment())
    sim.run_until_idle()
    d = store.get(DEPLOYMENTS, "default", "web")
    status = d["status"]
    assert status["replicas"] == status["readyReplicas"] == status["availableReplicas"] == 2
    assert status["updatedReplicas"] == 2 and "unavailableReplicas" not in status
    assert status["observedGeneration"] == 1
    conds = {c["type"]: c for c in status["conditions"]}
    assert [c["type"] for c in status["conditions"]] == ["Available", "Progressing"]
    assert conds["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conds["Available"]["message"] == "Deployment has minimum availability."
    rs = store.list(REPLICASETS, "default")
    assert len(rs) == 1
    rs_name = rs[0]["metadata"]["name"]
    assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert conds["Progressing"]["message"] == f'ReplicaSet "{rs_name}" has successfully progressed.'
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    pods = store.list(PODS, "default")
    assert len(pods) == 2
    for pod in pods:
        assert pod["metadata"]["name"].startswith(rs_name + "-")
        assert pod["status"]["phase"] == "Running"
        assert pod["status"]["podIP"].startswith("10.244.0.")
        assert pod["spec"]["nodeName"] == "lab-control-plane"
    assert ("Normal", "ScalingReplicaSet", f"Scaled up replica set {rs_name} from 0 to 2") in store.events("web")


def test_same_template_gives_same_names() -> None:
    from workshop.cluster.embedded.simulate import bootstrap

    names = []
    for _ in range(2):
        store = FakeStore()
        bootstrap(store)
        sim = Simulation(store)
        store.create(DEPLOYMENTS, deployment())
        sim.run_until_idle()
        names.append(sorted((p["metadata"]["name"], p["status"]["podIP"]) for p in store.list(PODS, "default")))
    assert names[0] == names[1]


def _conditions(store: FakeStore, name: str = "web") -> dict:
    return {c["type"]: c for c in store.get(DEPLOYMENTS, "default", name)["status"]["conditions"]}


def test_rolling_update_replaces_the_replica_set(store: FakeStore, sim: Simulation) -> None:
    store.create(DEPLOYMENTS, deployment(replicas=3))
    sim.run_until_idle()
    old_rs = store.list(REPLICASETS, "default")[0]["metadata"]["name"]
    d = store.get(DEPLOYMENTS, "default", "web")
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    store.update(DEPLOYMENTS, d)
    sim.run_until_idle()
    rses = {rs["metadata"]["name"]: rs for rs in store.list(REPLICASETS, "default")}
    assert len(rses) == 2
    new_rs = next(n for n in rses if n != old_rs)
    assert rses[old_rs]["spec"]["replicas"] == 0 and rses[new_rs]["spec"]["replicas"] == 3
    assert rses[new_rs]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert rses[new_rs]["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "3"
    assert rses[new_rs]["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "4"
    pods = store.list(PODS, "default")
    assert len(pods) == 3 and all(p["metadata"]["name"].startswith(new_rs) for p in pods)
    d = store.get(DEPLOYMENTS, "default", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert d["status"]["observedGeneration"] == 2 and d["status"]["updatedReplicas"] == 3
    assert _conditions(store)["Progressing"]["message"] == f'ReplicaSet "{new_rs}" has successfully progressed.'
    scaling = [m for _, r, m in store.events("web") if r == "ScalingReplicaSet"]
    assert scaling[0] == f"Scaled up replica set {old_rs} from 0 to 3"
    assert scaling[1] == f"Scaled up replica set {new_rs} from 0 to 1"
    assert scaling[-1].startswith(f"Scaled down replica set {old_rs} from ") and scaling[-1].endswith(" to 0")


def test_missing_image_leaves_pods_in_image_pull_backoff(store: FakeStore) -> None:
    sim = Simulation(store, image_available=lambda image: not image.endswith(":nope"))
    store.create(DEPLOYMENTS, deployment(replicas=1, image="nginx:nope"))
    sim.run_until_idle()
    pod = store.list(PODS, "default")[0]
    assert pod["status"]["phase"] == "Pending"
    state = pod["status"]["containerStatuses"][0]["state"]["waiting"]
    assert state == {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "nginx:nope"'}
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    reasons = [r for _, r, _ in store.events(pod["metadata"]["name"])]
    assert reasons == ["Scheduled", "Pulling", "Failed", "Failed", "BackOff", "Failed"]
    failed = store.events(pod["metadata"]["name"])[2]
    assert failed[0] == "Warning" and failed[2].startswith('Failed to pull image "nginx:nope": rpc error: code = NotFound')
    conds = _conditions(store)
    assert conds["Available"]["status"] == "False" and conds["Progressing"]["reason"] == "ReplicaSetUpdated"
    sim.advance(601)
    sim.run_until_idle()
    conds = _conditions(store)
    assert conds["Progressing"]["status"] == "False"
    assert conds["Progressing"]["reason"] == "ProgressDeadlineExceeded"
    rs_name = store.list(REPLICASETS, "default")[0]["metadata"]["name"]
    assert conds["Progressing"]["message"] == f'ReplicaSet "{rs_name}" has timed out progressing.'


def test_image_that_becomes_available_is_pulled_on_retry(store: FakeStore) -> None:
    pushed: set[str] = set()
    sim = Simulation(store, image_available=lambda image: image in pushed)
    store.create(DEPLOYMENTS, deployment(replicas=1, image="registry.lab:5000/app:v1"))
    sim.run_until_idle()
    assert store.list(PODS, "default")[0]["status"]["phase"] == "Pending"
    pushed.add("registry.lab:5000/app:v1")
    sim.advance(11)
    sim.run_until_idle()
    pod = store.list(PODS, "default")[0]
    assert pod["status"]["phase"] == "Running"
    assert pod["status"]["containerStatuses"][0]["imageID"].startswith("registry.lab:5000/app@sha256:")


def test_invalid_image_reference(store: FakeStore, sim: Simulation) -> None:
    store.create(DEPLOYMENTS, deployment(replicas=1, image="Nginx:1.25"))
    sim.run_until_idle()
    waiting = store.list(PODS, "default")[0]["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "InvalidImageName"
    assert "invalid reference format" in waiting["message"]


def test_pod_goes_through_pending_container_creating_running(store: FakeStore, sim: Simulation) -> None:
    start = len(store.log)
    store.create(DEPLOYMENTS, deployment(replicas=1))
    sim.run_until_idle()
    shown = []
    for event in store.log[start:]:
        if event.gvr != PODS:
            continue
        status = event.obj.get("status") or {}
        statuses = status.get("containerStatuses") or []
        waiting = statuses[0]["state"].get("waiting", {}).get("reason") if statuses else None
        label = waiting or status.get("phase")
        if not shown or shown[-1] != label:
            shown.append(label)
    assert shown == ["Pending", "ContainerCreating", "Running"]
    pod = store.list(PODS, "default")[0]
    assert [c["type"] for c in pod["status"]["conditions"]] == [
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    assert all(c["status"] == "True" for c in pod["status"]["conditions"])
    container = pod["status"]["containerStatuses"][0]
    assert container["ready"] and container["started"] and container["restartCount"] == 0
    assert container["image"] == "docker.io/library/nginx:1.25"
    assert container["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert container["containerID"].startswith("containerd://")
    assert pod["status"]["qosClass"] == "BestEffort" and pod["status"]["hostIP"] == "172.18.0.2"
    name = pod["metadata"]["name"]
    assert store.events(name) == [
        ("Normal", "Scheduled", f"Successfully assigned default/{name} to lab-control-plane"),
        ("Normal", "Pulled", 'Container image "nginx:1.25" already present on machine'),
        ("Normal", "Created", "Created container app"),
        ("Normal", "Started", "Started container app"),
    ] or [r for _, r, _ in store.events(name)] == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]


def test_scale_down_deletes_newest_pods_first(store: FakeStore, sim: Simulation) -> None:
    store.create(DEPLOYMENTS, deployment(replicas=3))
    sim.run_until_idle()
    d = store.get(DEPLOYMENTS, "default", "web")
    d["spec"]["replicas"] = 1
    store.update(DEPLOYMENTS, d)
    sim.run_until_idle()
    deleted = [m for _, r, m in store.events() if r == "SuccessfulDelete"]
    created = [m for _, r, m in store.events() if r == "SuccessfulCreate"]
    assert len(deleted) == 2
    assert store.list(PODS, "default")[0]["metadata"]["name"] == created[0].split(": ")[1]


def test_recreate_strategy_scales_old_down_first(store: FakeStore, sim: Simulation) -> None:
    body = deployment(replicas=2)
    body["spec"]["strategy"] = {"type": "Recreate"}
    store.create(DEPLOYMENTS, body)
    sim.run_until_idle()
    d = store.get(DEPLOYMENTS, "default", "web")
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    store.update(DEPLOYMENTS, d)
    sim.run_until_idle()
    scaling = [m for _, r, m in store.events("web") if r == "ScalingReplicaSet"]
    assert scaling[1].startswith("Scaled down") and scaling[2].startswith("Scaled up")
    assert store.get(DEPLOYMENTS, "default", "web")["status"]["availableReplicas"] == 2


def test_min_ready_seconds_delays_availability(store: FakeStore, sim: Simulation) -> None:
    body = deployment(replicas=1)
    body["spec"]["minReadySeconds"] = 30
    store.create(DEPLOYMENTS, body)
    sim.run_until_idle()
    status = store.get(DEPLOYMENTS, "default", "web")["status"]
    assert status["readyReplicas"] == 1 and "availableReplicas" not in status
    assert _conditions(store)["Available"]["status"] == "False"
    sim.advance(32)
    sim.run_until_idle()
    status = store.get(DEPLOYMENTS, "default", "web")["status"]
    assert status["availableReplicas"] == 1
    assert _conditions(store)["Progressing"]["reason"] == "NewReplicaSetAvailable"


def test_a_deleted_pod_is_replaced_under_a_new_name(store: FakeStore, sim: Simulation) -> None:
    store.create(DEPLOYMENTS, deployment(replicas=1))
    sim.run_until_idle()
    first = store.list(PODS, "default")[0]["metadata"]["name"]
    store.delete(PODS, "default", first)
    sim.run_until_idle()
    pods = store.list(PODS, "default")
    assert len(pods) == 1 and pods[0]["metadata"]["name"] != first
    assert pods[0]["status"]["phase"] == "Running"
