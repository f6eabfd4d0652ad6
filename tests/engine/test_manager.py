"""The controller manager: synchronous sync, background loop, restarts, extension by kind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kustomization.story import Story, open_story

from engine.api.kinds import KindInfo
from engine.api.reconcile import PhasedReconciler, Result, Run
from engine.manager import Manager
from workshop.testing import LabNamespaces


@pytest.fixture
def story(lab_cluster: Any, lab_namespaces: LabNamespaces, tmp_path: Path) -> Iterator[Story]:
    with open_story(lab_cluster, tmp_path, lab_namespaces) as story:
        yield story


def wait_until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_sync_report_reads_like_flux_get(story: Story) -> None:
    sha = story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    report = story.sync()
    assert report.ok
    assert str(report).splitlines() == [
        f"GitRepository/{story.ns}/fleet: Ready=True Succeeded: stored artifact for revision 'main@sha1:{sha}'",
        f"Kustomization/{story.ns}/apps: Ready=True ReconciliationSucceeded: Applied revision: main@sha1:{sha}",
    ]
    again = story.sync(sources=False)
    assert again.outcomes == []  # nothing pending


def test_watch_namespace_leaves_other_namespaces_alone(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    elsewhere = Manager(story.cluster.api_client(), storage_dir=story.storage_dir, watch_namespace=story.namespace("x"))
    assert elsewhere.sync(timeout=10).outcomes == []
    assert story.get("ConfigMap", "a") is None
    assert story.sync().ok
    assert story.get("ConfigMap", "a") is not None


def test_new_commit_is_applied_in_the_background(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository(interval="100ms")
    story.kustomization("apps", "./apps")
    manager = story.manager
    manager.start()
    try:
        wait_until(lambda: story.get("ConfigMap", "a") is not None)
        sha = story.commit("Add b", {"apps/b.yaml": story.configmap("b")})
        wait_until(lambda: story.ks("apps").last_applied_revision == f"main@sha1:{sha}")
        assert story.get("ConfigMap", "b") is not None
    finally:
        manager.stop()
    assert manager._thread is None
    story.commit("Add c", {"apps/c.yaml": story.configmap("c")})
    story.sync()  # synchronous use still works after the background loop stopped
    assert story.get("ConfigMap", "c") is not None


def test_spec_change_is_noticed_by_generation(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a"), "other/o.yaml": story.configmap("o")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    story.patch_spec("Kustomization", "apps", {"path": "./other"})
    story.sync(sources=False)
    assert story.inventory("apps") == [f"ConfigMap/{story.apps}/o"]
    assert story.ks("apps").status["observedGeneration"] == 2
    assert story.get("ConfigMap", "a") is None


def test_a_restarted_manager_only_reads_status(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    restarted = story.new_manager()
    report = restarted.sync(sources=False)
    assert report.outcomes == []  # everything is Ready at its generation: nothing to redo
    sha = story.commit("Add b", {"apps/b.yaml": story.configmap("b")})
    restarted.sync()
    assert story.ks("apps").last_applied_revision == f"main@sha1:{sha}"


class Counter(PhasedReconciler[Run]):
    """A toy reconciler for a kind the engine does not know, as the image-automation engineer would add."""

    kind = KindInfo(group="example.toolkit.fluxcd.io", version="v1", kind="Counter", plural="counters")
    controller = "counter-controller"
    run_type = Run

    def phases(self) -> list[tuple[str, Any]]:
        return [("count", self.count)]

    def count(self, run: Run) -> Result:
        """Count one more reconcile."""
        self.ensure_finalizer(run)
        if run.obj["metadata"].get("deletionTimestamp"):
            self.remove_finalizer(run)
            return Result()
        run.status["count"] = run.status.get("count", 0) + 1
        run.status["observedGeneration"] = run.obj["metadata"]["generation"]
        from engine.api import conditions

        conditions.mark_true(run.obj, "Ready", "Succeeded", f"counted {run.status['count']}")
        return Result(requeue_after=60)


def test_more_kinds_can_be_registered(story: Story) -> None:
    manager = story.manager
    manager.register(Counter(manager.client, manager.recorder, manager.logger))
    names = manager.install_crds()
    assert "counters.example.toolkit.fluxcd.io" in names
    manager.client.create({"apiVersion": "example.toolkit.fluxcd.io/v1", "kind": "Counter",
                           "metadata": {"name": "c", "namespace": story.ns}, "spec": {}})
    manager.sync()
    obj = manager.get("Counter", "c", story.ns)
    assert obj is not None
    assert obj["status"]["count"] == 1 and obj["status"]["conditions"][0]["message"] == "counted 1"
    manager.sync()
    assert (manager.get("Counter", "c", story.ns) or {}).get("status", {}).get("count") == 1


def test_stepper_reports_what_each_phase_did(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.manager.reconcile("GitRepository", "fleet", story.ns)
    reports = list(story.manager.step("Kustomization", "apps", story.ns))
    assert [r.phase for r in reports] == ["finalize", "source", "dependencies", "fetch", "path", "generate", "build",
                                          "apply", "prune", "health", "ready", "finish"]
    by_phase = {r.phase: r for r in reports}
    revision = story.gitrepo("fleet").revision
    assert by_phase["source"].did == (f"source GitRepository/{story.ns}/fleet: artifact revision {revision}",)
    assert by_phase["build"].did == ("kustomize build: 1 objects",)
    assert by_phase["apply"].did == (f"server-side apply: ConfigMap/{story.apps}/a created",)
    assert by_phase["fetch"].ready is not None and by_phase["fetch"].ready[1] == "Progressing"
    assert by_phase["finish"].ready is not None and by_phase["finish"].ready[1] == "ReconciliationSucceeded"
    assert by_phase["build"].doc.startswith("kustomize build")
    run = reports[-1].run
    assert [str(e) for e in run.changes] == [f"ConfigMap/{story.apps}/a created"]
    assert story.manager.last_change_set("apps", story.ns) == f"ConfigMap/{story.apps}/a created"


def test_stepper_reports_the_phase_that_stopped(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./missing")
    story.manager.reconcile("GitRepository", "fleet", story.ns)
    reports = list(story.manager.step("Kustomization", "apps", story.ns))
    assert [r.phase for r in reports][-2:] == ["path", "finish"]
    assert reports[-2].stopped and reports[-2].summary == (
        "stopped: ArtifactFailed: kustomization path not found: stat missing: no such file or directory")


class Exploding(Counter):
    """Fault injection: the reconcile of any object named `bad…` raises, as a bug or a malformed object would."""

    def count(self, run: Run) -> Result:
        """Count, or blow up on a bad object."""
        if run.obj["metadata"]["name"].startswith("bad"):
            raise RuntimeError("boom")
        return super().count(run)


def counter(manager: Manager, name: str, namespace: str) -> None:
    manager.client.create({"apiVersion": "example.toolkit.fluxcd.io/v1", "kind": "Counter",
                           "metadata": {"name": name, "namespace": namespace}, "spec": {}})


def ready_of(manager: Manager, name: str, namespace: str) -> tuple[str, str, str]:
    from engine.api import conditions

    return conditions.summary(manager.get("Counter", name, namespace) or {})


def test_an_exception_in_one_reconcile_stops_nothing_else(story: Story) -> None:
    manager = story.manager
    manager.register(Exploding(manager.client, manager.recorder, manager.logger))
    manager.install_crds()
    for name in ("a", "bad", "b"):
        counter(manager, name, story.ns)
    report = manager.sync()
    assert ready_of(manager, "a", story.ns) == ("True", "Succeeded", "counted 1")
    assert ready_of(manager, "b", story.ns) == ("True", "Succeeded", "counted 1")
    assert ready_of(manager, "bad", story.ns) == ("False", "ReconciliationFailed",
                                                  "count failed: RuntimeError: boom")
    failed = [o for o in report.outcomes if o.key[2] == "bad"]
    assert failed and failed[0].result.unexpected
    # retried with exponential backoff: each further failure doubles the delay
    first = manager._delay(("Counter", story.ns, "bad"), failed[0].result)
    second = manager._delay(("Counter", story.ns, "bad"), failed[0].result)
    assert first is not None and second == 2 * first
    warnings = [e for e in manager.events("Counter", "bad", story.ns) if e["type"] == "Warning"]
    assert [e["reason"] for e in warnings] == ["ReconciliationFailed"]


def test_the_background_workers_survive_an_exploding_reconciler(story: Story) -> None:
    manager = story.manager
    manager.register(Exploding(manager.client, manager.recorder, manager.logger))
    manager.install_crds()
    counter(manager, "bad", story.ns)
    manager.start()
    try:
        wait_until(lambda: ready_of(manager, "bad", story.ns)[1] == "ReconciliationFailed")
        for name in ("c1", "c2", "c3", "c4", "c5"):
            counter(manager, name, story.ns)
        for name in ("c1", "c2", "c3", "c4", "c5"):
            wait_until(lambda name=name: ready_of(manager, name, story.ns)[0] == "True")
        assert manager.alive and manager.failure is None
    finally:
        manager.stop()


def test_a_loop_that_cannot_work_says_why(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    manager = story.manager

    def broken(pools: Any) -> None:
        raise RuntimeError("the loop itself is broken")

    monkeypatch.setattr(manager, "_tick", broken)
    monkeypatch.setattr("threading.excepthook", lambda args: None)  # the thread's traceback is expected here
    manager.start()
    wait_until(lambda: not manager.alive)
    assert manager.failure == "controller manager stopped: RuntimeError: the loop itself is broken"


def test_sync_drift_reruns_only_kinds_that_correct_drift(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    report = story.sync(sources=False, drift=True)
    assert [o.key[0] for o in report.outcomes] == ["Kustomization"]


def test_sync_reconciles_what_a_health_check_waits_for(story: Story) -> None:
    """A Kustomization that applies another controller's object and waits for it (as for a HelmRelease) gets it
    reconciled during its health check, as Flux's concurrent controllers would; sync() does not time out."""
    manager = story.manager
    manager.register(Counter(manager.client, manager.recorder, manager.logger))
    manager.install_crds()
    counter_yaml = ("apiVersion: example.toolkit.fluxcd.io/v1\nkind: Counter\n"
                    f"metadata:\n  name: applied\n  namespace: {story.ns}\nspec: {{}}\n")
    story.commit("Add a counter", {"apps/counter.yaml": counter_yaml})
    story.git_repository()
    counted = [{"apiVersion": "example.toolkit.fluxcd.io/v1", "kind": "Counter", "current": "has(status.count)"}]
    story.kustomization("apps", "./apps", wait=True, timeout="30s", healthCheckExprs=counted)
    report = story.sync()
    assert story.ready("Kustomization", "apps")[0] == "True", report
    assert ready_of(manager, "applied", story.ns) == ("True", "Succeeded", "counted 1")
    order = [f"{key[0]}/{key[2]}" for key in (o.key for o in report.outcomes)]
    assert order == ["GitRepository/fleet", "Counter/applied", "Kustomization/apps"]  # reconciled in its wait
