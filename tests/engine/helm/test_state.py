"""The release state machine's first half, without a cluster: which state a stored release is in."""

from __future__ import annotations

from typing import Any

import pytest

from engine.helm import history as hist
from engine.helm.state import Desired, State, StateError, observe
from engine.helm.storage import Release, config_digest

DIGEST = config_digest({"message": "hi"})
DESIRED = Desired("web", "0.1.0", DIGEST)


def release(status: str = "deployed", version: int = 1, chart: str = "0.1.0", **extra: Any) -> Release:
    data = {"name": "web", "namespace": "apps", "version": version, "info": {"status": status},
            "chart": {"metadata": {"name": "web", "version": chart}}, "config": {"message": "hi"}, "manifest": "",
            **extra}
    return Release(data, {})


def snap(rel: Release, **extra: Any) -> dict[str, Any]:
    return {**hist.snapshot(rel, DIGEST), **extra}


def test_absent_locked_unmanaged() -> None:
    assert observe(None, [], DESIRED).state is State.ABSENT
    assert observe(release("pending-upgrade"), [], DESIRED).state is State.LOCKED
    assert observe(release(), [], DESIRED).state is State.UNMANAGED
    assert observe(release("uninstalled"), [], DESIRED).state is State.ABSENT


def test_tampered_release_is_unmanaged() -> None:
    rel = release()
    recorded = snap(rel)
    tampered = release(config={"message": "changed by hand"})
    assert observe(tampered, [recorded], DESIRED).state is State.UNMANAGED
    assert observe(rel, [recorded], DESIRED).state is State.IN_SYNC


@pytest.mark.parametrize("desired, reason", [
    (Desired("web", "0.2.0", DIGEST), "release chart changed"),
    (Desired("web", "0.1.0", config_digest({"message": "new"})), "release config values changed"),
    (Desired("web", "0.1.0", DIGEST, post_render_changed=True), "release post-renderers or common metadata changed"),
])
def test_out_of_sync(desired: Desired, reason: str) -> None:
    rel = release()
    seen = observe(rel, [snap(rel)], desired)
    assert (seen.state, seen.reason) == (State.OUT_OF_SYNC, reason)


def test_tests_drift_and_failures() -> None:
    rel = release()
    tested = Desired("web", "0.1.0", DIGEST, test_enabled=True)
    assert observe(rel, [snap(rel)], tested).state is State.UNTESTED
    passed = snap(rel, testHooks={"t": {"phase": "Succeeded"}})
    assert observe(rel, [passed], tested).state is State.IN_SYNC
    failed = snap(rel, testHooks={"t": {"phase": "Failed"}})
    assert observe(rel, [failed], tested).state is State.FAILED
    ignoring = Desired("web", "0.1.0", DIGEST, test_enabled=True, ignore_test_failures=True)
    assert observe(rel, [failed], ignoring).state is State.IN_SYNC
    drifting = Desired("web", "0.1.0", DIGEST, drift_mode="warn")
    assert observe(rel, [snap(rel)], drifting, lambda r: ["changed"]).state is State.DRIFTED
    assert observe(rel, [snap(rel)], drifting, lambda r: []).state is State.IN_SYNC
    broken = release("failed")
    assert observe(broken, [snap(broken)], DESIRED).state is State.FAILED


def test_unknown_status_is_a_state_error() -> None:
    rel = release("uninstalling")
    with pytest.raises(StateError, match="unable to determine state for release with status 'uninstalling'"):
        observe(rel, [snap(rel)], DESIRED)


def test_history_truncation_and_rollback_target() -> None:
    history = [{"version": 4, "status": "failed"}, {"version": 3, "status": "superseded",
                                                     "testHooks": {"t": {"phase": "Failed"}}},
               {"version": 2, "status": "superseded"}, {"version": 1, "status": "superseded"}]
    assert hist.rollback_target(history, ignore_test_failures=False) == history[2]
    assert hist.rollback_target(history, ignore_test_failures=True) == history[1]
    assert [s["version"] for s in hist.truncate(history, 0)] == [4, 3]
    assert config_digest(None) == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
