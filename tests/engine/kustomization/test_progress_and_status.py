"""What a learner watches live: status patched as the reconcile progresses, a long health check blocking no other
object, conditions in Flux's order, lastTransitionTime and status.history as kustomize-controller writes them,
and an engine killed mid-apply pruning what it had created."""

from __future__ import annotations

import time
from typing import Any

from kustomization.story import READY_IMAGE, Story


def wait_until(check: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def conditions_of(story: Story, name: str) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in story.ks(name).status.get("conditions") or []}


def test_a_long_health_check_shows_progress_and_blocks_nobody(story: Story) -> None:
    simulation = getattr(story.cluster, "simulation", None)
    if simulation is None:
        import pytest

        pytest.skip("needs the embedded cluster's kubelet to hold an image back")
    held = {"image": True}
    simulation.image_available = lambda image: not ("slow-start" in image and held["image"])
    sha = story.commit("Add", {"slow/web.yaml": story.deployment("web", image="registry.local/slow-start:1"),
                               "fast/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("slow", "./slow", wait=True, timeout="2m")
    manager = story.manager
    manager.start()
    try:
        revision = f"main@sha1:{sha}"

        def checking_health() -> bool:
            conds = conditions_of(story, "slow")
            return conds.get("Reconciling", {}).get("message", "").startswith("Running health checks")

        wait_until(checking_health)
        conds = conditions_of(story, "slow")
        assert conds["Reconciling"]["message"] == f"Running health checks for revision {revision} with a timeout " \
                                                  "of 2m0s"
        assert (conds["Ready"]["status"], conds["Ready"]["reason"], conds["Ready"]["message"]) == (
            "Unknown", "Progressing", "Reconciliation in progress")
        assert conds["Healthy"]["status"] == "Unknown"
        assert [c["type"] for c in story.ks("slow").status["conditions"]] == ["Reconciling", "Ready", "Healthy"]
        # another Kustomization is reconciled by another worker meanwhile
        story.kustomization("fast", "./fast")
        wait_until(lambda: story.ready("Kustomization", "fast")[0] == "True")
        assert checking_health()
        held["image"] = False  # the image becomes pullable: the rollout completes, the health check passes
        wait_until(lambda: story.ready("Kustomization", "slow")[0] == "True")
    finally:
        manager.stop()
    conds = conditions_of(story, "slow")
    assert "Reconciling" not in conds and conds["Healthy"]["status"] == "True"


def test_last_transition_time_moves_when_reason_or_message_change(monkeypatch: Any) -> None:
    from engine.api import conditions

    clock = iter(f"2026-01-01T00:00:{s:02d}Z" for s in range(60))
    monkeypatch.setattr(conditions, "now_rfc3339", lambda: next(clock))
    obj: dict[str, Any] = {"metadata": {"generation": 1}}
    conditions.mark_true(obj, "Ready", "ReconciliationSucceeded", "Applied revision: main@sha1:1")
    times = [conditions.get_condition(obj, "Ready")["lastTransitionTime"]]  # type: ignore[index]
    for reason, message in [("ReconciliationSucceeded", "Applied revision: main@sha1:1"),  # same state
                            ("ReconciliationSucceeded", "Applied revision: main@sha1:2"),  # new message
                            ("Succeeded", "Applied revision: main@sha1:2")]:               # new reason
        conditions.mark_true(obj, "Ready", reason, message)
        times.append(conditions.get_condition(obj, "Ready")["lastTransitionTime"])  # type: ignore[index]
    assert times == ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z",
                     "2026-01-01T00:00:02Z"]


def test_conditions_are_sorted_as_flux_sorts_them() -> None:
    from engine.api import conditions

    obj: dict[str, Any] = {"metadata": {"generation": 1}}
    conditions.mark_true(obj, "Healthy", "Succeeded", "ok")
    conditions.mark_true(obj, "Ready", "Succeeded", "ok")
    conditions.mark_true(obj, "ArtifactInStorage", "Succeeded", "ok")
    conditions.mark_stalled(obj, "Bad", "bad")
    assert [c["type"] for c in obj["status"]["conditions"]] == ["Stalled", "Ready", "ArtifactInStorage", "Healthy"]
    conditions.mark_reconciling(obj, "Progressing", "again")
    assert [c["type"] for c in obj["status"]["conditions"]] == ["Reconciling", "Ready", "ArtifactInStorage",
                                                                 "Healthy"]


def test_history_records_each_build_and_outcome(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    story.sync(drift=True)
    history = story.ks("apps").status["history"]
    assert len(history) == 1
    snap = history[0]
    assert snap["digest"].startswith("sha256:") and len(snap["digest"]) == 71
    assert snap["lastReconciledStatus"] == "ReconciliationSucceeded" and snap["totalReconciliations"] == 2
    assert snap["metadata"] == {"revision": story.artifact()["revision"]}
    assert set(snap) == {"digest", "firstReconciled", "lastReconciled", "lastReconciledDuration",
                         "lastReconciledStatus", "totalReconciliations", "metadata"}
    story.commit("Change", {"apps/a.yaml": story.configmap("a", {"k": "2"})})
    story.sync()
    history = story.ks("apps").status["history"]
    assert [h["totalReconciliations"] for h in history] == [1, 2]  # newest first
    assert history[0]["metadata"] == {"revision": story.artifact()["revision"]}


def test_killed_mid_apply_the_restart_prunes_what_the_interrupted_apply_created(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    many = {f"apps/n{i}.yaml": story.configmap(f"n{i}") for i in range(12)}
    story.commit("Add twelve", many)
    story.manager.reconcile("GitRepository", "fleet", story.ns)
    for report in story.manager.reconciler("Kustomization").step(story.ks("apps").obj):
        if report.phase == "apply":
            break  # the engine dies after writing the objects, before the final status
    assert story.get("ConfigMap", "n11") is not None
    sha = story.commit("Drop them again", {path: None for path in many})
    restarted = story.new_manager()
    restarted.sync()
    assert story.ks("apps").last_applied_revision == f"main@sha1:{sha}"
    assert [n for n in (f"n{i}" for i in range(12)) if story.get("ConfigMap", n) is not None] == []
    assert story.inventory("apps", restarted) == [f"ConfigMap/{story.apps}/a"]


def test_health_check_uses_the_ready_image(story: Story) -> None:
    """Guard for the fixture above: a Deployment with the preloaded image becomes healthy."""
    story.commit("Add", {"apps/web.yaml": story.deployment("web", image=READY_IMAGE)})
    story.git_repository()
    story.kustomization("apps", "./apps", wait=True)
    story.sync()
    assert story.ready("Kustomization", "apps")[1] == "ReconciliationSucceeded"


def test_stopping_the_manager_interrupts_a_long_health_check(story: Story) -> None:
    simulation = getattr(story.cluster, "simulation", None)
    if simulation is None:
        import pytest

        pytest.skip("needs the embedded cluster's kubelet to hold an image back")
    simulation.image_available = lambda image: "never-ready" not in image
    story.commit("Add", {"slow/web.yaml": story.deployment("web", image="registry.local/never-ready:1")})
    story.git_repository()
    story.kustomization("slow", "./slow", wait=True, timeout="5m")
    manager = story.manager
    manager.start()
    wait_until(lambda: conditions_of(story, "slow").get("Healthy", {}).get("status") == "Unknown")
    thread = manager._thread
    assert thread is not None
    manager.stop()  # joins for at most 30s: far less than the 5m health check timeout
    assert not thread.is_alive(), "stop() did not interrupt the health check"
    # no failure was written: the next manager picks the reconcile up again
    assert story.ready("Kustomization", "slow")[:2] == ("Unknown", "Progressing")
    assert manager._due[("Kustomization", story.ns, "slow")] == 0.0
