"""A rollout that exceeded its progress deadline, then fixed in Git: no reader may see the old failure again.

The fix is either a new image (a new ReplicaSet) or a revert to an image that ran before (the ReplicaSet of
that template is adopted again). Every Deployment state the simulation writes after the fix is read through
the engine's kstatus, as a Kustomization health check polling at any moment would read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import kstatus
from engine.api import conditions
from engine.manager import Manager
from workshop.cluster.embedded.api import WatchEvent
from workshop.cluster.embedded.simulate import Simulation
from workshop.cluster.embedded.simulate.common import DEPLOYMENTS, PODS, REPLICASETS
from workshop.repo import LabRepo

from .fakestore import FakeStore

GOOD, BAD, NEWER = "nginx:1.27", "registry.lab/missing:1", "nginx:1.28"


def deployment(replicas: int, image: str, strategy: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "progressDeadlineSeconds": 30, "strategy": {"type": strategy},
                     "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}}}


def live(store: FakeStore) -> dict[str, Any]:
    d = store.get(DEPLOYMENTS, "default", "web")
    assert d is not None, "Deployment default/web is gone"
    return d


def set_image(store: FakeStore, image: str) -> None:
    d = live(store)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    store.update(DEPLOYMENTS, d)


def progressing(store: FakeStore) -> dict[str, Any]:
    d = live(store)
    return next(c for c in d["status"]["conditions"] if c["type"] == "Progressing")


def stalled_rollout(store: FakeStore, replicas: int, strategy: str) -> Simulation:
    """GOOD rolled out, then BAD (cannot be pulled) until the deadline passed: kstatus says Failed."""
    sim = Simulation(store, image_available=lambda image: image != BAD)
    store.create(DEPLOYMENTS, deployment(replicas, GOOD, strategy))
    sim.run_until_idle()
    set_image(store, BAD)
    sim.run_until_idle()
    sim.advance(31)
    sim.run_until_idle()
    assert progressing(store)["reason"] == "ProgressDeadlineExceeded"
    assert kstatus.compute(live(store)).status == kstatus.FAILED
    return sim


def record_kstatus(store: FakeStore) -> list[tuple[int, int | None, str, str]]:
    """Every Deployment write from now on as (generation, observedGeneration, Progressing reason, kstatus)."""
    seen: list[tuple[int, int | None, str, str]] = []

    def on_event(event: WatchEvent) -> None:
        if event.gvr == DEPLOYMENTS and event.type == "MODIFIED":
            d = event.obj
            reason = next((c["reason"] for c in (d.get("status") or {}).get("conditions") or []
                           if c["type"] == "Progressing"), "")
            seen.append((d["metadata"]["generation"], (d.get("status") or {}).get("observedGeneration"),
                         reason, kstatus.compute(d).status))

    store.subscribe(on_event)
    return seen


@pytest.mark.parametrize("replicas,strategy,fix", [
    (1, "RollingUpdate", GOOD), (3, "RollingUpdate", GOOD), (2, "Recreate", GOOD),
    (1, "RollingUpdate", NEWER), (3, "RollingUpdate", NEWER)])
def test_fixed_rollout_is_in_progress_until_available_never_failed(store: FakeStore, replicas: int,
                                                                   strategy: str, fix: str) -> None:
    sim = stalled_rollout(store, replicas, strategy)
    seen = record_kstatus(store)
    set_image(store, fix)
    sim.run_until_idle()
    assert [s for s in seen if s[3] == kstatus.FAILED] == []
    assert seen[0][1] is not None and seen[0][1] < seen[0][0] and seen[0][3] == kstatus.IN_PROGRESS
    assert seen[-1][3] == kstatus.CURRENT
    d = live(store)
    status = d["status"]
    assert status["observedGeneration"] == d["metadata"]["generation"]
    assert (status["replicas"], status["updatedReplicas"], status["readyReplicas"],
            status["availableReplicas"]) == (replicas,) * 4
    assert "unavailableReplicas" not in status
    new_rs = next(rs for rs in store.list(REPLICASETS, "default")
                  if rs["spec"]["template"]["spec"]["containers"][0]["image"] == fix)
    rs_name = new_rs["metadata"]["name"]
    assert {(c["type"], c["status"], c["reason"], c["message"]) for c in status["conditions"]} == {
        ("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
        ("Progressing", "True", "NewReplicaSetAvailable", f'ReplicaSet "{rs_name}" has successfully progressed.')}
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert new_rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert new_rs["status"]["readyReplicas"] == new_rs["status"]["availableReplicas"] == replicas
    for rs in store.list(REPLICASETS, "default"):
        if rs is not new_rs and rs["metadata"]["name"] != rs_name:
            assert rs["spec"]["replicas"] == 0 and rs["status"].get("replicas", 0) == 0
    pods = store.list(PODS, "default")
    assert len(pods) == replicas
    assert all(p["metadata"]["name"].startswith(rs_name + "-") and p["status"]["phase"] == "Running"
               for p in pods)


def test_revert_restarts_the_progress_clock(store: FakeStore) -> None:
    """The adopted ReplicaSet gets Progressing=True/FoundNewReplicaSet before its generation is observed."""
    sim = stalled_rollout(store, 1, "RollingUpdate")
    seen = record_kstatus(store)
    set_image(store, GOOD)
    sim.run_until_idle()
    found = [s for s in seen if s[2] == "FoundNewReplicaSet"]
    assert found and found[0][1] is not None and found[0][1] < found[0][0]



def manifest(image: str) -> str:
    """deployment() as the file Git holds, with a 1 s progress deadline so the engine test does not wait."""
    obj = deployment(1, image, "RollingUpdate")
    obj["spec"]["progressDeadlineSeconds"] = 1
    return yaml.safe_dump(obj)


def test_kustomization_health_check_passes_after_reverting_a_stalled_image(embedded_cluster: Any,
                                                                           tmp_path: Path) -> None:
    """Through the engine: good -> bad (HealthCheckFailed, deadline exceeded) -> revert (healthy), three times."""
    embedded_cluster.simulation.image_available = lambda image: image != BAD
    repo = LabRepo.create(tmp_path / "git")
    manager = Manager(embedded_cluster.api_client(), storage_dir=tmp_path / "artifacts", health_poll=0.05)
    manager.install_crds()
    repo.write("apps/web.yaml", manifest(GOOD))
    repo.commit("Add web")
    manager.client.create({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                           "metadata": {"name": "fleet", "namespace": "default"},
                           "spec": {"url": repo.url, "interval": "5m", "ref": {"branch": "main"}}})
    manager.client.create({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                           "metadata": {"name": "apps", "namespace": "default"},
                           "spec": {"sourceRef": {"kind": "GitRepository", "name": "fleet"}, "interval": "5m",
                                    "path": "./apps", "prune": True, "wait": True, "timeout": "1m"}})

    def ready() -> tuple[str, str, str]:
        manager.sync(timeout=60)
        obj = manager.get("Kustomization", "apps")
        assert obj is not None
        return conditions.summary(obj)

    assert ready()[:2] == ("True", "ReconciliationSucceeded")
    for _ in range(3):
        repo.write("apps/web.yaml", manifest(BAD))
        repo.commit("Break web")
        status, reason, message = ready()
        assert (status, reason) == ("False", "HealthCheckFailed")
        assert "[Deployment/default/web status: 'Failed': Progress deadline exceeded]" in message
        repo.write("apps/web.yaml", manifest(GOOD))
        repo.commit("Revert web")
        assert ready()[:2] == ("True", "ReconciliationSucceeded")
