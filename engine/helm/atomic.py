"""The release state machine's loop (helm-controller's AtomicRelease): observe the release, choose the next
action for its state, run it, and repeat until the release is in sync, an action type would run twice, or a
remediation ran. The outcome says whether and when the manager should come back.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass

from engine import reasons
from engine.api import conditions as c
from engine.api.duration import format_duration
from engine.api.types_helm import HelmRelease
from engine.helm import actions, storage
from engine.helm import history as hist
from engine.helm import messages as msg
from engine.helm.drift import Drift, detect
from engine.helm.state import Desired, Observed, State, StateError, observe
from engine.helm.storage import Release
from engine.jsonobj import Obj

SUMMARY = (msg.REMEDIATED, msg.TEST_SUCCESS, msg.RELEASED)


class Outcome(enum.Enum):
    """How a loop ended: done (requeue after interval), requeue now, retry after retryInterval, stalled, error."""

    DONE = "done"
    REQUEUE = "requeue"
    RETRY_AFTER_INTERVAL = "retry"
    STALLED = "stalled"
    ERROR = "error"


@dataclass
class Step:
    """One chosen action: its name (as in `Running '<name>' action`), its type and how to run it."""

    name: str
    type: str
    timeout: float
    run: Callable[[], None]


@dataclass
class LoopResult:
    outcome: Outcome
    error: str = ""
    retry_after: float = 0.0
    steps: tuple[str, ...] = ()


def summarize(obj: Obj) -> None:
    """Ready from Remediated, TestSuccess (only when tests count) and Released, newest generation first;
    a Remediated summary is never Ready; Ready=True removes Stalled (helm-controller's summarize)."""
    hr = HelmRelease(obj)
    test = hr.test
    types = [msg.REMEDIATED, msg.RELEASED]
    if test.flag("enable") and not test.flag("ignoreFailures"):
        types = [msg.REMEDIATED, msg.TEST_SUCCESS, msg.RELEASED]
    if not test.flag("enable"):
        c.delete_condition(obj, msg.TEST_SUCCESS)
    present = [cond for cond in (obj.get("status") or {}).get("conditions") or [] if cond.get("type") in types]
    if not present:
        return
    best = sorted(present, key=lambda cond: (-int(cond.get("observedGeneration") or 0),
                                             types.index(cond["type"])))[0]
    status = c.FALSE if best["type"] == msg.REMEDIATED else best.get("status", c.UNKNOWN)
    if status == c.TRUE:
        c.delete_condition(obj, c.STALLED)
    c.set_condition(obj, c.READY, status, best.get("reason", ""), best.get("message", ""))


def _replace_remediated(obj: Obj, snap: Obj) -> None:
    """An in-sync release after a rollback: Remediated becomes Released=True/UpgradeSucceeded."""
    if c.is_true(obj, msg.REMEDIATED):
        c.delete_condition(obj, msg.REMEDIATED)
        c.mark_true(obj, msg.RELEASED, reasons.UPGRADE_SUCCEEDED, msg.UPGRADE_SUCCESS.format(
            release=f"{snap.get('namespace')}/{snap.get('name')}.v{snap.get('version')}",
            chart=f"{snap.get('chartName')}@{snap.get('chartVersion')}"))


class ExhaustedError(Exception):
    """Retries are exhausted (`exceeded maximum retries: cannot <x> release`)."""


class MissingTargetError(Exception):
    """The rollback target is gone from storage."""


class AtomicRelease:
    """Drive one HelmRelease's release to its desired state with at most one action of each type per run."""

    def __init__(self, req: actions.Request, desired: Desired, *, force: bool = False,
                 on_progress: Callable[[], None] | None = None, log: Callable[[str], None] | None = None) -> None:
        self.req = req
        self.desired = desired
        self.force = force
        self.on_progress = on_progress or (lambda: None)
        self.log = log or (lambda message: None)
        self.last_observed: Observed | None = None

    # -- the other half of the state machine: state -> action -----------------------------------------
    def next_step(self, seen: Observed) -> Step | None:
        req, obj = self.req, self.req.obj
        hr = req.hr
        status = req.status
        state = seen.state
        if state is State.IN_SYNC:
            status["history"] = hist.truncate(req.history(), hr.max_history)
            if self.force:
                return self._upgrade()
            snap = req.latest_snapshot() or {}
            _replace_remediated(obj, snap)
            if not c.is_ready(obj) or not c.is_true(obj, msg.RELEASED):
                reason = c.get_condition(obj, msg.RELEASED) or {}
                label = f"{snap.get('namespace')}/{snap.get('name')}.v{snap.get('version')}"
                chart = f"{snap.get('chartName')}@{snap.get('chartVersion')}"
                if reason.get("reason") == reasons.INSTALL_FAILED:
                    c.mark_true(obj, msg.RELEASED, reasons.INSTALL_SUCCEEDED, msg.INSTALL_SUCCESS.format(release=label, chart=chart))
                elif reason.get("reason") == reasons.UPGRADE_FAILED:
                    c.mark_true(obj, msg.RELEASED, reasons.UPGRADE_SUCCEEDED, msg.UPGRADE_SUCCESS.format(release=label, chart=chart))
                summarize(obj)
            if hr.drift_detection_mode in ("enabled", "warn"):
                c.mark_false(obj, msg.DRIFTED, reasons.NO_DRIFT_DETECTED, msg.NO_DRIFT_MSG)
            return None
        if state is State.LOCKED:
            release = seen.release
            assert release is not None
            return Step("unlock", actions.UNLOCK, hr.timeout, lambda: actions.unlock(req, release))
        if state is State.ABSENT:
            if hr.install.remediation.retries_exhausted(status) and not self.force:
                raise ExhaustedError("exceeded maximum retries: cannot install release")
            return Step("install", actions.RELEASE, hr.install.timeout, lambda: actions.install(req))
        if state is State.UNMANAGED:
            status["history"] = []
            return self._upgrade()
        if state is State.OUT_OF_SYNC:
            if hr.upgrade.remediation.retries_exhausted(status) and not self.force:
                raise ExhaustedError("exceeded maximum retries: cannot upgrade release")
            return self._upgrade()
        if state is State.DRIFTED:
            drift: Drift = seen.drift
            snap = req.latest_snapshot() or {}
            message = msg.DRIFT_DETECTED_MSG.format(
                release=f"{snap.get('namespace')}/{snap.get('name')}.v{snap.get('version')}", report=drift.report())
            req.event("Warning", reasons.DRIFT_DETECTED, message, snap)
            c.mark_true(obj, msg.DRIFTED, reasons.DRIFT_DETECTED, message)
            if hr.drift_detection_mode == "enabled":
                return Step("correct cluster drift", actions.DRIFT, hr.timeout,
                            lambda: actions.correct_drift(req, drift))
            return None
        if state is State.UNTESTED:
            _replace_remediated(obj, req.latest_snapshot() or {})
            return Step("test", actions.TEST, hr.test.timeout, lambda: actions.test(req))
        if state is State.FAILED:
            return self._failed()
        raise StateError(f"unknown release state {state}")

    def _upgrade(self) -> Step:
        return Step("upgrade", actions.RELEASE, self.req.hr.upgrade.timeout, lambda: actions.upgrade(self.req))

    def _failed(self) -> Step:
        req = self.req
        hr = req.hr
        strategy = hr.active_strategy
        if strategy is not None and strategy.retry_on_failure:
            return self._upgrade()
        remediation = hr.active_remediation
        if remediation is None or remediation.failure_count(req.status) <= 0 or self.force:
            return self._upgrade()
        if remediation.retries_exhausted(req.status) and not remediation.remediate_last_failure:
            raise ExhaustedError("exceeded maximum retries: cannot remediate failed release")
        ignore = remediation.must_ignore_test_failures(hr.test.flag("ignoreFailures"))
        req.status["history"] = hist.truncate(req.history(), 0)
        if remediation.action == "upgrade" and remediation.strategy == "rollback":
            target = hist.rollback_target(req.history(), ignore)
            stored = None if target is None else _stored(req, int(target["version"]))
            if target is None or stored is None:
                raise MissingTargetError("missing target release for rollback: cannot remediate failed release")
            if stored.digest != target.get("digest"):
                return self._upgrade()
            return Step("rollback", actions.REMEDIATE, hr.rollback.timeout, lambda: actions.rollback(req, target))
        return Step("uninstall", actions.REMEDIATE, hr.uninstall.timeout,
                    lambda: actions.uninstall_remediation(req))

    # -- the loop --------------------------------------------------------------------------------------
    def observe(self) -> Observed:
        req = self.req
        latest = req.latest_release()
        ignore = req.hr.drift_ignore_rules

        def drift_of(release: Release) -> Drift:
            return detect(req.client, release, ignore)

        return observe(latest, req.history(), self.desired, drift_of)

    def run(self) -> LoopResult:
        req, obj = self.req, self.req.obj
        hr = req.hr
        ran: list[str] = []
        names: list[str] = []
        while True:
            try:
                seen = self.observe()
            except StateError as err:
                c.mark_false(obj, c.READY, reasons.STATE_ERROR, f"Could not determine release state: {err}")
                return LoopResult(Outcome.ERROR, str(err), steps=tuple(names))
            self.last_observed = seen
            self.log(f"release state: {seen}")
            try:
                step = self.next_step(seen)
            except ExhaustedError as err:
                self._stall_exhausted()
                return LoopResult(Outcome.STALLED, str(err), steps=tuple(names))
            except MissingTargetError as err:
                c.mark_stalled(obj, reasons.MISSING_ROLLBACK_TARGET, f"Failed to perform remediation: {err}")
                return LoopResult(Outcome.STALLED, str(err), steps=tuple(names))
            if step is None:
                c.delete_condition(obj, c.RECONCILING)
                summarize(obj)
                return LoopResult(Outcome.DONE, steps=tuple(names))
            if step.type in ran:
                return self._stop_before(names)
            message = msg.RUNNING_ACTION.format(action=step.name, timeout=format_duration(step.timeout))
            c.mark_reconciling(obj, c.PROGRESSING, message)
            if step.type == actions.RELEASE:
                c.mark_unknown(obj, c.READY, c.PROGRESSING, message)
            self.on_progress()
            self.log(f"running '{step.name}' action with timeout of {format_duration(step.timeout)}")
            names.append(step.name)
            try:
                step.run()
            except actions.ActionError as err:
                if step.type in (actions.RELEASE, actions.TEST):
                    summarize(obj)
                strategy = hr.active_strategy
                if strategy is not None and strategy.retry_on_failure:
                    c.mark_reconciling(obj, c.PROGRESSING_WITH_RETRY,
                                       f"retrying after {format_duration(strategy.retry_interval)}")
                    return LoopResult(Outcome.RETRY_AFTER_INTERVAL, str(err), strategy.retry_interval, tuple(names))
                if c.is_ready(obj):
                    c.mark_false(obj, c.READY, reasons.RECONCILE_ERROR, str(err))
                return LoopResult(Outcome.ERROR, str(err), steps=tuple(names))
            if step.type == actions.RELEASE:
                # the release now carries the current post-renderers/common metadata (Flux records their
                # observed digests when it summarizes)
                self.desired = dataclasses.replace(self.desired, post_render_changed=False)
            if step.type in (actions.RELEASE, actions.TEST, actions.REMEDIATE, actions.UNLOCK):
                summarize(obj)
            if step.type == actions.REMEDIATE:
                return self._stop_after(names)
            ran.append(step.type)
            self.on_progress()

    def _stall_exhausted(self) -> None:
        hr = self.req.hr
        remediation = hr.active_remediation
        count = remediation.failure_count(self.req.status) if remediation else 0
        action = self.req.status.get("lastAttemptedReleaseAction", "")
        c.mark_stalled(self.req.obj, reasons.RETRIES_EXCEEDED, f"Failed to {action} after {count} attempt(s)")

    def _retry_on_failure(self, names: list[str]) -> LoopResult | None:
        """The strategy `RetryOnFailure`: no remediation, just the next attempt after the retry interval."""
        strategy = self.req.hr.active_strategy
        if strategy is None or not strategy.retry_on_failure:
            return None
        c.mark_reconciling(self.req.obj, c.PROGRESSING_WITH_RETRY,
                           f"retrying after {format_duration(strategy.retry_interval)}")
        return LoopResult(Outcome.RETRY_AFTER_INTERVAL, retry_after=strategy.retry_interval, steps=tuple(names))

    def _stop_before(self, names: list[str]) -> LoopResult:
        obj, hr = self.req.obj, self.req.hr
        retry = self._retry_on_failure(names)
        if retry is not None:
            return retry
        remediation = hr.active_remediation
        if remediation is None or not remediation.retries_exhausted(self.req.status):
            c.mark_reconciling(obj, c.PROGRESSING_WITH_RETRY, (c.get_condition(obj, c.READY) or {}).get("message", ""))
            return LoopResult(Outcome.REQUEUE, steps=tuple(names))
        c.delete_condition(obj, c.RECONCILING)
        return LoopResult(Outcome.DONE, steps=tuple(names))

    def _stop_after(self, names: list[str]) -> LoopResult:
        obj, hr = self.req.obj, self.req.hr
        retry = self._retry_on_failure(names)
        if retry is not None:
            return retry
        remediation = hr.active_remediation
        if remediation is None or not remediation.retries_exhausted(self.req.status) or \
                remediation.uninstall_after_upgrade:
            c.mark_reconciling(obj, c.PROGRESSING_WITH_RETRY, (c.get_condition(obj, c.READY) or {}).get("message", ""))
            return LoopResult(Outcome.REQUEUE, steps=tuple(names))
        self._stall_exhausted()
        return LoopResult(Outcome.STALLED, "retries exhausted", steps=tuple(names))


def _stored(req: actions.Request, version: int) -> Release | None:
    return storage.get(req.client, req.namespace, req.release_name, version)
