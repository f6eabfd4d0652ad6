"""The records of one reconcile: its `Run` (typed, per reconciler), the `PhaseReport` the stepper yields, the
`Result` handed to the manager, and the errors a phase raises (`ReconcileError` and its named cases).

The reconciler base that uses them is engine.api.reconcile (read its docstring to write a reconciler).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from engine import reasons
from engine.api import conditions
from engine.api.duration import format_duration
from engine.events import Logger
from engine.jsonobj import Obj

Key = tuple[str, str, str]  # kind, namespace, name
UNEXPECTED_REQUEUE = 5.0


def key_of(obj: Obj) -> Key:
    """(kind, namespace, name) of an object."""
    meta = obj.get("metadata") or {}
    return obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", "")


@dataclass
class Result:
    """What a reconcile asks of the manager: run again after `requeue_after` seconds (None: only on change).

    `unexpected` marks a failure the reconciler did not foresee (a bug, a malformed object): the manager retries
    it with exponential backoff instead of `requeue_after`."""

    requeue_after: float | None = None
    error: str | None = None
    reason: str = ""
    stalled: bool = False
    unexpected: bool = False
    cancelled: bool = False  # stopped by a shutdown: nothing was decided, run it again

    @property
    def ok(self) -> bool:
        return self.error is None


class ReconcileError(Exception):
    """A phase failed in a way Flux names: `reason` (from engine.reasons) and `message` go to the conditions.

    `requeue_after`: retry delay (None: the reconciler's default, e.g. retryInterval); `stalled`: no retry until
    the object changes; `condition`: the condition that records it (Ready, or a negative-polarity condition such
    as FetchFailed that the reconciler's `finish_status` summarises into Ready); `event`: send a Warning event."""

    def __init__(self, reason: str, message: str, *, requeue_after: float | None = None, stalled: bool = False,
                 condition: str = conditions.READY, event: bool = True) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.requeue_after = requeue_after
        self.stalled = stalled
        self.condition = condition
        self.event = event


class Cancelled(Exception):
    """The manager is shutting down: the reconcile stops where it is and writes no final status (the next
    manager reconciles the object again, as a restarted Flux controller does)."""


class ArtifactNotFound(ReconcileError):
    """The source has no artifact (yet): ArtifactFailed, retried after the dependency requeue (30s); only logged,
    no event (as kustomize-controller: a Warning would fire error Alerts for a source that is merely not ready)."""

    def __init__(self, message: str, requeue_after: float = 30.0) -> None:
        super().__init__(reasons.ARTIFACT_FAILED, message, requeue_after=requeue_after, event=False)


class DependencyNotReady(ReconcileError):
    """A dependsOn object is not ready: DependencyNotReady, retried after 30s, a Normal (not Warning) event."""

    def __init__(self, message: str, requeue_after: float = 30.0) -> None:
        super().__init__(reasons.DEPENDENCY_NOT_READY, message, requeue_after=requeue_after, event=False)


@dataclass
class Run:
    """The run record of one reconcile: the working copy of the object plus what the phases found.

    Subclass it per reconciler with typed fields (see engine.api.reconcile's docstring). `notes` collects what each phase
    did (`did()`), `written` is the status as last written to the API server (progress patches)."""

    obj: Obj
    old_status: Obj
    log: Logger = field(default_factory=Logger)
    started: float = field(default_factory=time.monotonic)
    phase: str = ""
    revision: str = ""
    result: Result | None = None
    suspended: bool = False
    deleted: bool = False
    notes: list[tuple[str, str]] = field(default_factory=list)
    written: Obj | None = None

    @property
    def status(self) -> Obj:
        """The working copy's status (created if missing)."""
        status = self.obj.get("status")
        if not isinstance(status, dict):
            status = self.obj["status"] = {}
        return status

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def key(self) -> Key:
        return key_of(self.obj)

    def did(self, text: str) -> None:
        """Record one line of what the current phase did (shown by the stepper)."""
        self.notes.append((self.phase, text))

    def notes_of(self, phase: str) -> tuple[str, ...]:
        return tuple(text for p, text in self.notes if p == phase)


R = TypeVar("R", bound=Run)
Phase = Callable[[R], "Result | None"]


@dataclass(frozen=True)
class PhaseReport(Generic[R]):
    """What one phase did, built from the run record: yielded by `PhasedReconciler.step()`.

    `doc` is what Flux does at that step (the phase's docstring), `did` what this run did, `result` set when the
    phase ended the reconcile, `ready` the Ready condition (status, reason, message) after the phase."""

    phase: str
    doc: str
    did: tuple[str, ...]
    result: Result | None
    ready: tuple[str, str, str] | None
    run: R

    @property
    def stopped(self) -> bool:
        return self.result is not None

    @property
    def summary(self) -> str:
        """One line: what the phase did, or why it stopped the reconcile."""
        text = "; ".join(self.did)
        if self.result is not None and self.result.error:
            stop = f"stopped: {self.result.reason}: {self.result.error.splitlines()[0]}"
            return f"{text}; {stop}" if text else stop
        return text or "nothing to do"

    def __str__(self) -> str:
        return f"{self.phase:<13} {self.summary}"


def retry_message(run: Run, requeue: float | None) -> str:
    """`Reconciliation failed after 1.2s, next try in 5m0s` (kustomize-controller's error log)."""
    return (f"Reconciliation failed after {format_duration(round(run.elapsed, 6))}, next try in "
            f"{format_duration(requeue or 0.0)}")
