"""The Helm actions a HelmRelease runs (install, upgrade, test, rollback, uninstall, unlock, drift correction),
each through Helm's own action in `engine.helm.sdk`, each recording its outcome as helm-controller does:
the Released/TestSuccess/Remediated condition, an event, failure counters and `status.history`.

An action raises `ActionError` only when it failed *without* writing a release (render error, bad values,
unreachable cluster): such failures are retried with back-off and never count towards remediation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from engine import reasons
from engine.api import conditions as c
from engine.api.duration import format_duration
from engine.api.types_helm import HelmRelease
from engine.client import ApiError, Client
from engine.events import NORMAL, WARNING
from engine.helm import drift as driftmod
from engine.helm import history as hist
from engine.helm import messages as msg
from engine.helm import sdk, storage
from engine.helm.postrender import PostRenderError, Rendered, post_render, replay_chart
from engine.jsonobj import Obj

Emit = Callable[[str, str, str, "dict[str, str] | None"], None]

RELEASE, REMEDIATE, TEST, UNLOCK, DRIFT = "release", "remediate", "test", "unlock", "drift"


class ActionError(Exception):
    """An action failed before Helm wrote anything to the release storage."""


@dataclass
class Request:
    """Everything one reconcile's Helm actions share: the object (status edited in place), the chart, values."""

    client: Client
    obj: Obj
    session: sdk.Session
    chart: sdk.ChartInfo
    archive: bytes
    values: Obj
    config_digest: str
    emit: Emit
    post_render_digest: str = ""
    written: list[int] = field(default_factory=list)

    @property
    def hr(self) -> HelmRelease:
        return HelmRelease(self.obj)

    @property
    def status(self) -> Obj:
        return self.obj.setdefault("status", {})

    @property
    def release_name(self) -> str:
        return self.hr.release_name

    @property
    def namespace(self) -> str:
        """Where Helm keeps the release's objects and (the SDK cannot split them) its storage Secrets."""
        return self.session.namespace

    @property
    def chart_ref(self) -> str:
        return f"{self.chart.name}@{self.chart.version}"

    def history(self) -> list[Obj]:
        return list(self.status.get("history") or [])

    def latest_snapshot(self) -> Obj | None:
        history = self.history()
        return history[0] if history else None

    def latest_release(self) -> storage.Release | None:
        return storage.latest(self.client, self.namespace, self.release_name)

    def event(self, type_: str, reason: str, message: str, snap: Obj | None = None) -> None:
        meta = {msg.REVISION_KEY: (snap or {}).get("chartVersion") or self.chart.version,
                msg.TOKEN_KEY: (snap or {}).get("configDigest") or self.config_digest}
        app = (snap or {}).get("appVersion") if snap else self.chart.app_version
        if app:
            meta[msg.APP_VERSION_KEY] = app
        self.emit(type_, reason, message, meta)


def _release_label(snap: Obj) -> str:
    return f"{snap.get('namespace')}/{snap.get('name')}.v{snap.get('version')}"


def _chart_label(snap: Obj) -> str:
    return f"{snap.get('chartName')}@{snap.get('chartVersion')}"


def _seconds(value: float) -> int:
    return max(1, int(round(value)))


def _wait(disable: bool) -> str:
    return "hookOnly" if disable else "watcher"


# --- recording what an action wrote ----------------------------------------------------------------------
def observe_writes(req: Request, before: int, *, action: str, config_digest: str | None = None) -> list[Obj]:
    """Refresh `status.history` from storage: snapshots of releases the action touched, new ones added."""
    stored = {rel.version: rel for rel in storage.history(req.client, req.namespace, req.release_name)}
    history = []
    for snap in req.history():
        rel = stored.get(int(snap.get("version", 0)))
        if rel is not None and snap.get("name") == rel.name:
            snap = hist.snapshot(rel, snap.get("configDigest", ""), previous=snap)
        history.append(snap)
    new = []
    for version in sorted(v for v in stored if v > before):
        snap = hist.snapshot(stored[version], config_digest or req.config_digest, action=action)
        history = hist.upsert(history, snap)
        new.append(snap)
    req.status["history"] = history
    req.written.extend(s["version"] for s in new)
    return new


def _render(req: Request, revision: int, is_install: bool) -> tuple[bytes, Rendered]:
    """The chart rendered with the values, post-rendered, packed as a replay chart for Helm."""
    hr = req.hr
    try:
        rendered = sdk.render(req.archive, req.values, name=req.release_name, namespace=req.namespace,
                              revision=revision, is_install=is_install)
        parsed = post_render(Rendered.parse(req.chart.name, rendered), hr.post_renderers, hr.common_metadata,
                             hr.name, hr.namespace)
    except sdk.HelmSdkError as err:
        raise ActionError(str(err)) from None
    except PostRenderError as err:
        raise ActionError(str(err)) from None
    return replay_chart(req.chart.metadata, req.chart.values, req.chart.schema, req.chart.crds, parsed), parsed


def _take_over(req: Request, objects: list[tuple[Obj, bool]]) -> None:
    """Adopt objects Helm would refuse (no ownership metadata) and reclaim fields other managers took, so
    Helm's non-forced server-side apply meets no conflict (Flux applies with force and takes ownership)."""
    manager = sdk.field_manager()
    for desired, _namespaced in objects:
        meta = desired["metadata"]
        try:
            live = req.client.get(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"))
        except ApiError:
            continue
        if live is None:
            continue
        annotations = (live.get("metadata") or {}).get("annotations") or {}
        foreign = {m.get("manager") for m in (live.get("metadata") or {}).get("managedFields") or []
                   if m.get("subresource") != "status"} - {manager}
        unowned = annotations.get(driftmod.RELEASE_NAME_ANNOTATION) != req.release_name
        if unowned or foreign:
            try:
                req.client.apply(desired, field_manager=manager, force=True)
            except ApiError:
                continue


# --- install / upgrade -----------------------------------------------------------------------------------
def install(req: Request) -> None:
    """Helm install; a new release clears history, TestSuccess and Remediated (helm-controller's Install)."""
    hr = req.hr
    opts = hr.install
    latest = req.latest_release()
    before = latest.version if latest else 0
    req.status["lastAttemptedReleaseAction"] = "install"
    req.status["history"] = []
    c.delete_condition(req.obj, msg.TEST_SUCCESS)
    c.delete_condition(req.obj, msg.REMEDIATED)
    started = time.monotonic()
    error: str | None = None
    try:
        archive, rendered = _render(req, before + 1, True)
        if not opts.flag("disableTakeOwnership"):
            _take_over(req, driftmod.owned(req.client, _manifest_objects(rendered), req.release_name,
                                           req.namespace))
        req.session.install(archive, req.release_name, req.values, timeout=_seconds(opts.timeout),
                            wait=_wait(opts.disable_wait), create_namespace=opts.flag("createNamespace"))
    except (sdk.HelmSdkError, ActionError) as err:
        error = str(err).strip()
    req.status["lastAttemptedReleaseActionDuration"] = format_duration(round(time.monotonic() - started, 3))
    new = observe_writes(req, before, action="install")
    if error is not None:
        _release_failure(req, reasons.INSTALL_FAILED, msg.INSTALL_FAILURE, error, new, "installFailures")
        return
    _release_success(req, reasons.INSTALL_SUCCEEDED, msg.INSTALL_SUCCESS, opts.strategy.retry_on_failure)


def upgrade(req: Request) -> None:
    """Helm upgrade with reset values (unless preserveValues), after reclaiming fields others took."""
    hr = req.hr
    opts = hr.upgrade
    latest = req.latest_release()
    if latest is None:
        raise ActionError(f'"{req.release_name}" has no deployed releases')
    before = latest.version
    req.status["lastAttemptedReleaseAction"] = "upgrade"
    c.delete_condition(req.obj, msg.TEST_SUCCESS)
    c.delete_condition(req.obj, msg.REMEDIATED)
    started = time.monotonic()
    error: str | None = None
    try:
        archive, _ = _render(req, before + 1, False)
        _take_over(req, driftmod.desired_objects(req.client, latest))
        req.session.upgrade(archive, req.release_name, req.values, timeout=_seconds(opts.timeout),
                            wait=_wait(opts.disable_wait), max_history=hr.max_history,
                            preserve_values=opts.flag("preserveValues"), cleanup_on_fail=opts.flag("cleanupOnFail"))
    except (sdk.HelmSdkError, ActionError) as err:
        error = str(err).strip()
    req.status["lastAttemptedReleaseActionDuration"] = format_duration(round(time.monotonic() - started, 3))
    new = observe_writes(req, before, action="upgrade")
    if error is not None:
        _release_failure(req, reasons.UPGRADE_FAILED, msg.UPGRADE_FAILURE, error, new, "upgradeFailures")
        return
    _release_success(req, reasons.UPGRADE_SUCCEEDED, msg.UPGRADE_SUCCESS, opts.strategy.retry_on_failure)


def _release_failure(req: Request, reason: str, template: str, error: str, new: list[Obj], counter: str) -> None:
    """A failed install/upgrade: Released=False, a Warning event, the failure counters; when Helm wrote no new
    release the action itself failed (ActionError)."""
    message = template.format(release=f"{req.namespace}/{req.release_name}", chart=req.chart_ref, error=error)
    req.status["failures"] = int(req.status.get("failures") or 0) + 1
    c.mark_false(req.obj, msg.RELEASED, reason, message)
    req.event(WARNING, reason, message)
    if not new:
        raise ActionError(message)
    req.status[counter] = int(req.status.get(counter) or 0) + 1


def _manifest_objects(rendered: Rendered) -> list[Obj]:
    """The objects Helm will apply: everything rendered except hooks."""
    return [o for o in rendered.objects()
            if "helm.sh/hook" not in ((o.get("metadata") or {}).get("annotations") or {})]


def _release_success(req: Request, reason: str, fmt: str, retry_on_failure: bool) -> None:
    snap = req.latest_snapshot() or {}
    message = fmt.format(release=_release_label(snap), chart=_chart_label(snap))
    c.mark_true(req.obj, msg.RELEASED, reason, message)
    if req.hr.test_enabled and not hist.has_been_tested(snap):
        c.mark_unknown(req.obj, msg.TEST_SUCCESS, reasons.AWAITING_TESTS,
                       msg.TEST_PENDING.format(release=_release_label(snap), chart=_chart_label(snap)))
    if retry_on_failure:
        for key in ("failures", "installFailures", "upgradeFailures"):
            req.status.pop(key, None)
    req.event(NORMAL, reason, message, snap)


# --- test --------------------------------------------------------------------------------------------------
def test(req: Request) -> None:
    """Helm test of the current release; hook results land in history[0].testHooks."""
    hr = req.hr
    snap = req.latest_snapshot()
    if snap is None:
        raise ActionError("no current release: required for test")
    include = [name for name, exclude in hr.test_filters if not exclude]
    exclude_names = [name for name, exclude in hr.test_filters if exclude]
    error: str | None = None
    try:
        req.session.test(req.release_name, timeout=_seconds(hr.test.timeout), include=include,
                         exclude=exclude_names)
    except sdk.HelmSdkError as err:
        error = str(err).strip()
    stored = storage.get(req.client, req.namespace, req.release_name, int(snap["version"]))
    if stored is not None:
        selected = {h.get("name", "") for h in stored.test_hooks
                    if (not include or h.get("name") in include) and h.get("name") not in exclude_names}
        snap = hist.record_tests(hist.snapshot(stored, snap.get("configDigest", ""), previous=snap), stored,
                                 selected)
        req.status["history"] = [snap] + req.history()[1:]
    label, chart = _release_label(snap), _chart_label(snap)
    if error is not None:
        message = msg.TEST_FAILURE.format(release=label, chart=chart, error=error)
        req.status["failures"] = int(req.status.get("failures") or 0) + 1
        c.mark_false(req.obj, msg.TEST_SUCCESS, reasons.TEST_FAILED, message)
        req.event(WARNING, reasons.TEST_FAILED, message, snap)
        if not hist.has_been_tested(snap):
            raise ActionError(message)
        remediation = hr.active_remediation
        if remediation is not None and not remediation.must_ignore_test_failures(hr.test.flag("ignoreFailures")):
            key = "installFailures" if remediation.action == "install" else "upgradeFailures"
            req.status[key] = int(req.status.get(key) or 0) + 1
        return
    count = len(snap.get("testHooks") or {})
    detail = "no test hooks" if not count else f"{count} test hook{'s' if count > 1 else ''} completed successfully"
    message = msg.TEST_SUCCESS_MSG.format(release=label, chart=chart, detail=detail)
    c.mark_true(req.obj, msg.TEST_SUCCESS, reasons.TEST_SUCCEEDED, message)
    req.event(NORMAL, reasons.TEST_SUCCEEDED, message, snap)


# --- remediation ------------------------------------------------------------------------------------------
def rollback(req: Request, target: Obj) -> None:
    """Roll back to `target` (a snapshot): a new revision carrying the target's chart and values."""
    hr = req.hr
    opts = hr.rollback
    latest = req.latest_release()
    before = latest.version if latest else 0
    error: str | None = None
    try:
        req.session.rollback(req.release_name, int(target["version"]), timeout=_seconds(opts.timeout),
                             wait=_wait(opts.flag("disableWait")))
    except sdk.HelmSdkError as err:
        error = str(err).strip()
    observe_writes(req, before, action="rollback", config_digest=target.get("configDigest", ""))
    label, chart = _release_label(target), _chart_label(target)
    if error is not None:
        message = msg.ROLLBACK_FAILURE.format(release=label, chart=chart, error=error)
        c.mark_false(req.obj, msg.REMEDIATED, reasons.ROLLBACK_FAILED, message)
        req.event(WARNING, reasons.ROLLBACK_FAILED, message, target)
        raise ActionError(message)
    message = msg.ROLLBACK_SUCCESS.format(release=label, chart=chart)
    c.mark_true(req.obj, msg.REMEDIATED, reasons.ROLLBACK_SUCCEEDED, message)
    req.event(NORMAL, reasons.ROLLBACK_SUCCEEDED, message, target)


def uninstall_remediation(req: Request) -> None:
    """Uninstall the failed release so the next run installs afresh."""
    snap = req.latest_snapshot() or {}
    error = _uninstall(req)
    observe_writes(req, int(snap.get("version", 0)), action="uninstall-remediation")
    label, chart = _release_label(snap), _chart_label(snap)
    if error is not None:
        message = msg.UNINSTALL_REMEDIATION_FAILURE.format(release=label, chart=chart, error=error)
        c.mark_false(req.obj, msg.REMEDIATED, reasons.UNINSTALL_FAILED, message)
        req.event(WARNING, reasons.UNINSTALL_FAILED, message, snap)
        raise ActionError(message)
    message = msg.UNINSTALL_REMEDIATION_SUCCESS.format(release=label, chart=chart)
    c.mark_true(req.obj, msg.REMEDIATED, reasons.UNINSTALL_SUCCEEDED, message)
    req.event(NORMAL, reasons.UNINSTALL_SUCCEEDED, message, snap)


def _uninstall(req: Request) -> str | None:
    opts = req.hr.uninstall
    try:
        req.session.uninstall(req.release_name, timeout=_seconds(opts.timeout), keep_history=opts.flag("keepHistory"),
                              wait=None if opts.flag("disableWait") else "watcher")
    except sdk.HelmSdkError as err:
        if err.not_found:
            return None
        return str(err).strip()
    return None


def uninstall(req: Request) -> None:
    """Uninstall for deletion or a changed target; a missing release counts as uninstalled."""
    snap = req.latest_snapshot() or {"namespace": req.namespace, "name": req.release_name, "version": 0,
                                     "chartName": req.chart.name, "chartVersion": req.chart.version}
    label, chart = _release_label(snap), _chart_label(snap)
    if req.latest_release() is None:
        message = msg.UNINSTALL_MISSING.format(release=label)
        c.mark_false(req.obj, msg.RELEASED, reasons.UNINSTALL_SUCCEEDED, message)
        req.event(NORMAL, reasons.UNINSTALL_SUCCEEDED, message, snap)
        return
    error = _uninstall(req)
    if error is not None:
        message = msg.UNINSTALL_FAILURE.format(release=label, chart=chart, error=error)
        c.mark_false(req.obj, msg.RELEASED, reasons.UNINSTALL_FAILED, message)
        req.event(WARNING, reasons.UNINSTALL_FAILED, message, snap)
        raise ActionError(message)
    message = msg.UNINSTALL_SUCCESS.format(release=label, chart=chart)
    c.mark_false(req.obj, msg.RELEASED, reasons.UNINSTALL_SUCCEEDED, message)
    req.status.pop("inventory", None)
    req.event(NORMAL, reasons.UNINSTALL_SUCCEEDED, message, snap)


# --- unlock, drift ------------------------------------------------------------------------------------------
def unlock(req: Request, release: storage.Release) -> None:
    """Rewrite a release stuck in pending-* (the controller died mid-action) to failed, in place."""
    status = release.status
    snap = hist.snapshot(release, req.config_digest)
    label = release.full_name
    chart = f"{release.chart_name}@{release.chart_version}"
    try:
        storage.rewrite_status(req.client, release, storage.STATUS_FAILED,
                               f"Release unlocked from stale '{status}' state")
    except ApiError as err:
        message = msg.UNLOCK_FAILURE.format(release=label, chart=chart, status=status, error=err)
        c.mark_false(req.obj, msg.RELEASED, reasons.PENDING_RELEASE, message)
        req.event(WARNING, reasons.PENDING_RELEASE, message, snap)
        raise ActionError(message) from None
    observe_writes(req, release.version - 1, action=req.status.get("lastAttemptedReleaseAction") or "upgrade")
    message = msg.UNLOCK_SUCCESS.format(release=label, chart=chart, status=status)
    c.mark_false(req.obj, msg.RELEASED, reasons.PENDING_RELEASE, message)
    req.event(WARNING, reasons.PENDING_RELEASE, message, snap)


def correct_drift(req: Request, drift: driftmod.Drift) -> None:
    """Re-create and re-apply drifted objects without a Helm upgrade (no new revision)."""
    snap = req.latest_snapshot() or {}
    label = _release_label(snap)
    c.mark_unknown(req.obj, c.READY, c.PROGRESSING, "correcting cluster drift")
    done, errors = driftmod.correct(req.client, drift)
    if errors:
        partial = "partially " if done else ""
        message = f"Failed to {partial}correct cluster state of release {label}:\n" + "\n".join(errors)
        if done:
            message += "\n\nSuccessful corrections:\n" + "\n".join(done)
        req.event(WARNING, reasons.DRIFT_CORRECTION_FAILED, message, snap)
        raise ActionError(message)
    req.event(NORMAL, reasons.DRIFT_CORRECTED, msg.DRIFT_CORRECTED_MSG.format(release=label, report="\n".join(done)), snap)
