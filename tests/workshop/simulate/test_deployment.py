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
