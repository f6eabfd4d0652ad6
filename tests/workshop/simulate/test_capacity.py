"""Replica counts a real cluster accepts do not melt the lab: slow-start bursts, the node's pod capacity, the
lab's per-namespace pod guard."""

from __future__ import annotations

import pytest

from workshop.cluster.embedded.simulate import Simulation
from workshop.cluster.embedded.simulate.capacity import (
    BURST_REPLICAS,
    create_in_batches,
    slow_start_batches,
)
from workshop.cluster.embedded.simulate.common import JOBS, NODE_NAME, NODES, PODS, REPLICASETS, STATEFULSETS
from workshop.cluster.embedded.simulate.kubelet import TOO_MANY_PODS
from workshop.cluster.embedded.simulate.replicaset import ReplicaSetController

from .fakestore import FakeStore

MAX_INT32 = 2**31 - 1


def _template(app: str) -> dict:
    return {"metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": app, "image": "nginx:1.25"}]}}


def _replicaset(name: str, replicas: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": _template(name)}}


def test_slow_start_batches_double_and_add_up() -> None:
    assert list(slow_start_batches(10)) == [1, 2, 4, 3]
    assert list(slow_start_batches(1)) == [1]
    assert list(slow_start_batches(0)) == []
    assert sum(slow_start_batches(BURST_REPLICAS)) == BURST_REPLICAS


def test_a_refused_pod_stops_creation_after_its_batch(store: FakeStore, sim: Simulation) -> None:
    owner = store.create(REPLICASETS, _replicaset("web", 0))
    calls: list[int] = []

    def create() -> dict | None:
        calls.append(len(calls))
        return None if len(calls) == 4 else {}

    made = create_in_batches(sim.ctx, owner, 100, create, lambda why: None)
    assert len(calls) == 7 and made == 6  # batches 1, 2, 4; the batch with the refusal finishes, then no more


def test_one_sync_creates_at_most_burst_replicas(store: FakeStore, sim: Simulation) -> None:
    store.create(REPLICASETS, _replicaset("web", 600))
    ReplicaSetController().reconcile(sim.ctx, "default", "web")
    assert len(store.list(PODS, "default")) == BURST_REPLICAS


def test_huge_replicas_stop_at_the_lab_guard_and_the_node_capacity(
        store: FakeStore, sim: Simulation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSHOP_LAB_POD_LIMIT", "130")
    store.create(REPLICASETS, _replicaset("web", MAX_INT32))
    sim.run_until_idle()
    pods = store.list(PODS, "default")
    assert len(pods) == 130
    running = [p for p in pods if p["status"].get("phase") == "Running"]
    pending = [p for p in pods if not p["spec"].get("nodeName")]
    assert len(running) == 110 == int(store.get(NODES, None, NODE_NAME)["status"]["capacity"]["pods"])
    assert len(pending) == 20
    condition = pending[0]["status"]["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == ("PodScheduled", "False",
                                                                             "Unschedulable")
    assert condition["message"].startswith("0/1 nodes are available: 1 Too many pods.")
    assert ("Warning", "FailedScheduling", TOO_MANY_PODS) in store.events(pending[0]["metadata"]["name"])
    warnings = [m for t, r, m in store.events("web") if (t, r) == ("Warning", "FailedCreate")]
    assert warnings and "at most 130 pods per namespace" in warnings[0]
    assert "not a Kubernetes limit" in warnings[0]
    assert store.get(REPLICASETS, "default", "web")["status"]["replicas"] == 130


def test_a_pending_pod_is_scheduled_when_a_running_one_goes(
        store: FakeStore, sim: Simulation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSHOP_LAB_POD_LIMIT", "112")
    store.create(REPLICASETS, _replicaset("web", 112))
    sim.run_until_idle()
    assert sum(1 for p in store.list(PODS, "default") if not p["spec"].get("nodeName")) == 2
    rs = store.get(REPLICASETS, "default", "web")
    rs["spec"]["replicas"] = 109
    store.update(REPLICASETS, rs)
    sim.run_until_idle()
    pods = store.list(PODS, "default")
    assert len(pods) == 109 and all(p["status"]["phase"] == "Running" for p in pods)


def test_statefulset_and_job_stop_at_the_guard(store: FakeStore, sim: Simulation,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSHOP_LAB_POD_LIMIT", "20")
    store.create(STATEFULSETS, {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
        "spec": {"replicas": MAX_INT32, "serviceName": "db", "podManagementPolicy": "Parallel",
                 "selector": {"matchLabels": {"app": "db"}}, "template": _template("db")}})
    store.create(JOBS, {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "batch", "namespace": "default"},
        "spec": {"parallelism": MAX_INT32, "template": {**_template("batch"), "spec": {
            "restartPolicy": "Never", "containers": [{"name": "b", "image": "busybox", "command": ["sleep", "5"]}]}}}})
    sim.run_until_idle()
    assert len(store.list(PODS, "default")) == 20
    for owner in ("db", "batch"):
        assert any(t == "Warning" and r == "FailedCreate" and "at most 20 pods per namespace" in m
                   for t, r, m in store.events(owner)), owner


def test_a_bare_pod_that_listens_keeps_running(store: FakeStore, sim: Simulation) -> None:
    """The official client's port-forward e2e pod: `python -u /opt/port-server.py` with a tcpSocket startup probe."""
    for name, extra in (("probed", {"startupProbe": {"tcpSocket": {"port": 1235}}}),
                        ("ported", {"ports": [{"containerPort": 8080}]}), ("plain", {})):
        store.create(PODS, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
                            "spec": {"restartPolicy": "Never", "containers": [
                                {"name": "c", "image": "python", "command": ["python", "-u", "/opt/x.py"], **extra}]}})
    sim.run_until_idle()
    phases = {p["metadata"]["name"]: p["status"]["phase"] for p in store.list(PODS, "default")}
    assert phases == {"probed": "Running", "ported": "Running", "plain": "Succeeded"}
