"""`status.history`: snapshots of the releases a HelmRelease wrote, newest first (helm-controller's Snapshots)."""

from __future__ import annotations

from engine.helm.storage import STATUS_DEPLOYED, STATUS_FAILED, STATUS_SUPERSEDED, Release
from engine.jsonobj import Obj

PHASE_SUCCEEDED = "Succeeded"
PHASE_FAILED = "Failed"


def snapshot(release: Release, config_digest: str, *, action: str = "", previous: Obj | None = None) -> Obj:
    """The snapshot of one stored release (`action` = the HelmRelease action that wrote it)."""
    info = release.info
    snap: Obj = {
        "apiVersion": "v2",
        "digest": release.digest,
        "name": release.name,
        "namespace": release.namespace,
        "version": release.version,
        "status": release.status,
        "chartName": release.chart_name,
        "chartVersion": release.chart_version,
        "configDigest": config_digest,
        "firstDeployed": info.get("first_deployed", ""),
        "lastDeployed": info.get("last_deployed", ""),
    }
    if action or (previous or {}).get("action"):
        snap["action"] = action or (previous or {})["action"]
    if release.app_version:
        snap["appVersion"] = release.app_version
    if info.get("deleted"):
        snap["deleted"] = info["deleted"]
    if previous and "testHooks" in previous:
        snap["testHooks"] = previous["testHooks"]
    return snap


def record_tests(snap: Obj, release: Release, selected: set[str] | None = None) -> Obj:
    """The snapshot with `testHooks` from the release's test hooks' last run (an empty map: no tests)."""
    hooks: Obj = {}
    for hook in release.test_hooks:
        if selected is not None and hook.get("name") not in selected:
            continue
        run = hook.get("last_run") or {}
        entry = {k2: run[k1] for k1, k2 in (("started_at", "lastStarted"), ("completed_at", "lastCompleted"),
                                            ("phase", "phase")) if run.get(k1)}
        hooks[str(hook.get("name", ""))] = entry
    return {**snap, "testHooks": hooks, "digest": release.digest}


def has_been_tested(snap: Obj) -> bool:
    """Tested = testHooks present and empty, or any Failed, or all Succeeded (Flux's HasBeenTested)."""
    hooks = snap.get("testHooks")
    if hooks is None:
        return False
    if not hooks:
        return True
    phases = [h.get("phase") for h in hooks.values()]
    return PHASE_FAILED in phases or all(p == PHASE_SUCCEEDED for p in phases)


def has_test_failures(snap: Obj) -> bool:
    return any(h.get("phase") == PHASE_FAILED for h in (snap.get("testHooks") or {}).values())


def upsert(history: list[Obj], snap: Obj) -> list[Obj]:
    """History with `snap` replacing the entry of the same name/namespace/version, or added; newest first."""
    out = [s for s in history if (s.get("name"), s.get("namespace"), s.get("version")) !=
           (snap["name"], snap["namespace"], snap["version"])]
    out.append(snap)
    return sorted(out, key=lambda s: int(s.get("version", 0)), reverse=True)


def truncate(history: list[Obj], max_history: int) -> list[Obj]:
    """Keep snapshots down to the previous deployed/superseded one (at most `max_history`, 0 = no limit)."""
    out: list[Obj] = []
    for index, snap in enumerate(history):
        out.append(snap)
        if index > 0 and snap.get("status") in (STATUS_DEPLOYED, STATUS_SUPERSEDED):
            break
    limit = max_history if max_history > 0 else len(out)
    return out[:max(limit, 1)]


def rollback_target(history: list[Obj], ignore_test_failures: bool) -> Obj | None:
    """The newest older snapshot that was deployed or superseded (test failures skipped unless ignored)."""
    for snap in history[1:]:
        if snap.get("status") not in (STATUS_DEPLOYED, STATUS_SUPERSEDED):
            continue
        if not ignore_test_failures and has_test_failures(snap):
            continue
        return snap
    return None


def is_failed(snap: Obj) -> bool:
    return snap.get("status") == STATUS_FAILED
