"""The reconciler base: one reconciler per kind; a reconcile is a list of named phases over a typed run record.

How to write a reconciler for a new kind (read this first)
----------------------------------------------------------
1. **A run record.** Subclass `Run` with a `@dataclass` holding what your phases hand to each other (the
   artifact, the chart, the release …) as typed fields with defaults. Never a dict of string keys: mypy checks
   every read and write, and a lesson can print `run.revision` knowing it exists.

       @dataclass
       class HelmChartRun(Run):
           chart: ChartRef | None = None
           artifact: Obj | None = None

2. **The reconciler.** Subclass `PhasedReconciler[YourRun]`, set `kind` (a `KindInfo`), `controller` (the Flux
   controller's name, used as event source and status field manager `gotk-<controller>`) and `run_type`.
   List the phases in Flux's order in `phases()`; each phase is a method `phase_<name>(self, run) -> Result |
   None` whose docstring's first line says what Flux does at that step (the stepper shows it to learners).

3. **Inside a phase.** Read the object through `run.obj` (a working copy) and a typed view (`View(run.obj)`),
   write `run.status[...]` and conditions (`engine.api.conditions`), and say what you did with
   `run.did("kustomize build: 3 objects")`, built from real values: that line is what `step()` reports.
   Return None to continue, or a `Result` to end the reconcile (`self.succeed(...)` for the happy end).
   On failure *raise* a `ReconcileError(reason, message, requeue_after=…, stalled=…)` (reasons come from
   `engine.reasons`); the base turns it into Ready=False (or your negative condition), a log line, a Warning
   event and a requeue. Any other exception is caught too: the object gets Ready=False/ReconciliationFailed
   naming the phase and the error, and the manager retries it with exponential backoff. Nothing a phase does
   can stop the manager or another object.

4. **Long steps.** Before something slow (a fetch, a health check, a Helm install) call
   `self.progressing(run, "…")` then `self.patch_status(run)`: status is patched as it goes, so `kubectl get -w`
   shows `Reconciling=True` with the current step. Wait with `engine.api.poll.poll_until` only, passing
   `cancelled=self.cancelled` (raise `Cancelled` when it is set: `Manager.stop()` then does not wait for you)
   and `sleep=self.pause` (a manager running `sync()` one object at a time uses your pauses to reconcile the
   objects you wait for, e.g. a HelmRelease your Kustomization just applied and now health-checks).

5. **What triggers you, what you wait for.** Override `triggered_by(obj, changed)` (e.g. my source has a new
   revision) and `waits_for(obj)` (keys of objects that must be reconciled first, e.g. my source and my
   dependsOn). Set `observes_outside_world` (a remote is the truth: `sync(sources=True)` re-checks you) or
   `corrects_drift` (`sync(drift=True)` re-runs you). The manager knows no kinds: it only asks these questions.
   Start the first phase with `self.open_reconcile(run, …)` (deletion, finalizer, suspend, Reconciling).

6. **Finishing.** `finish_status(run)` summarises conditions before the status is written once more at the end
   (default: Ready=True or Stalled → drop Reconciling and record observedGeneration; a failure leaves
   Reconciling as ProgressingWithRetry). `lastHandledReconcileAt` is copied for you.

`reconcile(obj)` runs all phases and returns the `Result`; `run(obj)` returns the finished run record;
`step(obj)` yields a `PhaseReport` after every phase (then one for `finish`), which is how lesson 03 walks a
Kustomization through its pipeline.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Generic

from engine import reasons
from engine.api import conditions
from engine.api.kinds import KindInfo
from engine.api.run import (
    UNEXPECTED_REQUEUE,
    ArtifactNotFound,
    Cancelled,
    DependencyNotReady,
    Key,
    Obj,
    Phase,
    PhaseReport,
    R,
    ReconcileError,
    Result,
    Run,
    key_of,
    retry_message,
)
from engine.api.types import FINALIZER, REQUESTED_AT, View
from engine.client import ApiError, Client
from engine.events import NORMAL, WARNING, EventRecorder, Logger

__all__ = ["UNEXPECTED_REQUEUE", "ArtifactNotFound", "Cancelled", "DependencyNotReady", "Key", "Phase",
           "PhaseReport", "PhasedReconciler", "ReconcileError", "Result", "Run", "key_of", "retry_message"]


def _copy(obj: Obj) -> Obj:
    """A deep copy of a JSON object (API objects are JSON: much faster than copy.deepcopy)."""
    return json.loads(json.dumps(obj))


def _doc(func: Callable[..., Any]) -> str:
    return ((func.__doc__ or "").strip().splitlines() or [""])[0]


class PhasedReconciler(Generic[R]):
    """Base class of every reconciler: runs `phases()` over a run record of type `run_type`."""

    kind: ClassVar[KindInfo]
    controller: ClassVar[str] = ""
    run_type: type[R]
    #: True for kinds whose truth lives outside the cluster (git remotes, registries): `sync(sources=True)`
    #: re-checks them, as their interval timer would.
    observes_outside_world: ClassVar[bool] = False
    #: True for kinds that put the cluster back to what they applied (Kustomization): `sync(drift=True)` re-runs
    #: them, as their interval timer would.
    corrects_drift: ClassVar[bool] = False

    def __init__(self, client: Client, recorder: EventRecorder, logger: Logger) -> None:
        self.client = client
        self.recorder = recorder
        self.logger = logger
        #: set by the manager: True while it shuts down, so long waits (health checks) stop early
        self.cancelled: Callable[[], bool] = lambda: False
        #: set by the manager during `sync()`: reconcile other pending objects while this one waits
        self.while_waiting: Callable[[], None] = lambda: None

    def pause(self, seconds: float) -> None:
        """Sleep between two polls of a long wait, after letting the manager run what else is pending."""
        self.while_waiting()
        time.sleep(seconds)

    # -- what subclasses provide ------------------------------------------------------------------
    def phases(self) -> list[tuple[str, Callable[[R], Result | None]]]:
        """(name, method) pairs in Flux's order."""
        raise NotImplementedError

    def finish_status(self, run: R) -> None:
        """Summarise conditions before the final status write (Flux's `summarizeAndPatch`/`finalizeStatus`)."""
        if run.suspended:
            return
        obj = run.obj
        if conditions.is_ready(obj) or conditions.is_true(obj, conditions.STALLED):
            conditions.delete_condition(obj, conditions.RECONCILING)
            run.status["observedGeneration"] = View(obj).generation
        elif conditions.is_true(obj, conditions.RECONCILING):
            cond = conditions.get_condition(obj, conditions.RECONCILING) or {}
            conditions.mark_true(obj, conditions.RECONCILING, reasons.PROGRESSING_WITH_RETRY,
                                 str(cond.get("message", "")))

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        """Whether a change of `changed` (another object's status) should reconcile `obj` now."""
        return False

    def waits_for(self, obj: Obj) -> list[Key]:
        """Keys of objects that should be reconciled before `obj` (its source, its dependsOn)."""
        return []

    def default_requeue(self, run: R) -> float | None:
        """Retry delay after a failure that names none (Kustomization: retryInterval)."""
        return View(run.obj).interval

    def scrub(self, run: R, text: str) -> str:
        """Remove secret values from a message before it reaches conditions, events and logs."""
        return text

    def event_metadata(self, run: R) -> dict[str, str] | None:
        """Metadata attached to this reconciler's events (e.g. the revision annotation)."""
        return None

    def log_failure(self, run: R, err: ReconcileError, message: str, requeue: float | None) -> None:
        run.log.error("Reconciler error", error=message)

    # -- the loop ---------------------------------------------------------------------------------
    def new_run(self, obj: Obj) -> R:
        """A run record over a working copy of `obj`, with a logger bound to the object."""
        work = _copy(obj)
        _, ns, name = key_of(work)
        log = self.logger.bind(controller=self.kind.singular, controllerGroup=self.kind.group,
                               controllerKind=self.kind.kind, name=name, namespace=ns)
        raw = work.get("status")
        status: Obj = raw if isinstance(raw, dict) else {}
        return self.run_type(obj=work, old_status=_copy(status), log=log, written=_copy(status))

    def step(self, obj: Obj) -> Iterator[PhaseReport[R]]:
        """Run one phase at a time, yielding a `PhaseReport` after each; the status is written at the end
        (and patched on the way where the reconciler reports progress)."""
        run = self.new_run(obj)
        for name, phase in self.phases():
            run.phase = name
            try:
                run.result = self._run_phase(run, name, phase)
            except Cancelled as stop:
                run.result = Result(error=str(stop), reason="Cancelled", cancelled=True)
                run.log.info(f"reconcile stopped: {stop}")
                yield self._report(run, name, _doc(phase))
                return
            yield self._report(run, name, _doc(phase))
            if run.result is not None:
                break
        run.phase = "finish"
        self.finish(run)
        yield self._report(run, "finish", "Summarise the conditions and write the status.")

    def run(self, obj: Obj) -> R:
        """Reconcile `obj` and return the finished run record."""
        *_, last = self.step(obj)
        return last.run

    def reconcile(self, obj: Obj) -> Result:
        return self.run(obj).result or Result()

    def _run_phase(self, run: R, name: str, phase: Callable[[R], Result | None]) -> Result | None:
        try:
            return phase(run)
        except Cancelled:
            raise
        except ReconcileError as err:
            return self.fail(run, err)
        except ApiError as exc:
            return self.unexpected(run, name, exc)
        except Exception as exc:  # a bug or malformed input: this object fails, nothing else does
            return self.unexpected(run, name, exc)

    def _report(self, run: R, name: str, doc: str) -> PhaseReport[R]:
        ready = conditions.get_condition(run.obj, conditions.READY)
        summary = (str(ready.get("status", "")), str(ready.get("reason", "")), str(ready.get("message", ""))) \
            if ready else None
        return PhaseReport(name, doc, run.notes_of(name), run.result, summary, run)

    def unexpected(self, run: R, phase: str, exc: BaseException) -> Result:
        """An exception the phase did not turn into a ReconcileError: Ready=False naming the phase and the error,
        the traceback logged, retried with backoff by the manager."""
        detail = str(exc) if not isinstance(exc, KeyError) else f"missing field {exc}"
        message = f"{phase} failed: {type(exc).__name__}: {detail}"
        run.log.error("Reconciler error", error=message,
                      traceback="".join(traceback.format_exception(exc)).strip())
        err = ReconcileError(reasons.RECONCILIATION_FAILED, message, requeue_after=UNEXPECTED_REQUEUE)
        result = self.fail(run, err, logged=True)
        result.unexpected = True
        return result

    def finish(self, run: R) -> None:
        """Summarise and write the status (nothing after a deletion finished)."""
        if run.deleted:
            return
        try:
            self.finish_status(run)
        except Exception as exc:  # a summary that cannot be made still leaves a readable status
            run.result = self.unexpected(run, "finish", exc)
        requested = ((run.obj.get("metadata") or {}).get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            run.status["lastHandledReconcileAt"] = requested
        changed = run.status != (run.written if run.written is not None else run.old_status)
        self.patch_status(run)
        status, reason, _ = conditions.summary(run.obj)
        run.did(f"status {'written' if changed else 'unchanged'}: Ready={status} {reason}".rstrip())

    # -- outcomes ---------------------------------------------------------------------------------
    def fail(self, run: R, err: ReconcileError, *, logged: bool = False) -> Result:
        """Record a failure: the condition, a log line, a Warning event; returns the Result to requeue with."""
        message = self.scrub(run, err.message)
        if err.condition == conditions.READY:
            conditions.mark_false(run.obj, conditions.READY, err.reason, message)
        else:
            conditions.mark_true(run.obj, err.condition, err.reason, message)
        if err.stalled:
            conditions.mark_stalled(run.obj, err.reason, message)
        requeue = None if err.stalled else (err.requeue_after if err.requeue_after is not None
                                            else self._default_requeue(run))
        if not logged:
            self.log_failure(run, err, message, requeue)
        if err.event:
            self.event(run, WARNING, err.reason, message, self.event_metadata(run))
        return Result(requeue_after=requeue, error=message, reason=err.reason, stalled=err.stalled)

    def _default_requeue(self, run: R) -> float | None:
        try:
            return self.default_requeue(run)
        except Exception:  # e.g. the interval itself is invalid: retry soon, the condition says why
            return UNEXPECTED_REQUEUE

    def succeed(self, run: R, reason: str, message: str, requeue: float | None, *,
                event_message: str | None = None, event_reason: str = reasons.SUCCEEDED,
                only_on_change: bool = True) -> Result:
        """Ready=True with `reason`/`message`, Stalled dropped; a Normal event with `event_message` (when the Ready
        condition changed, unless `only_on_change` is False)."""
        previous = conditions.get_condition({"status": run.old_status}, conditions.READY)
        conditions.mark_true(run.obj, conditions.READY, reason, message)
        conditions.delete_condition(run.obj, conditions.STALLED)
        changed = previous is None or previous.get("message") != message or previous.get("status") != \
            conditions.TRUE
        if event_message and (changed or not only_on_change):
            self.event(run, NORMAL, event_reason, event_message, self.event_metadata(run))
        return Result(requeue_after=requeue)

    @staticmethod
    def progressing(run: Run, message: str) -> None:
        """Reconciling=True/Progressing with `message` (Stalled removed), as Flux's `MarkReconciling`."""
        conditions.mark_reconciling(run.obj, reasons.PROGRESSING, message)

    # -- API helpers ------------------------------------------------------------------------------
    def patch_status(self, run: R) -> None:
        """Merge-patch the status subresource with what changed since the last write (removed keys → null).
        Called at the end and, for progress, in the middle of a reconcile."""
        written = run.written if run.written is not None else run.old_status
        if run.status == written:
            return
        patch = {k: None for k in written if k not in run.status}
        patch.update({k: v for k, v in run.status.items() if written.get(k) != v})
        meta = run.obj["metadata"]
        try:
            updated = self.client.merge_patch(self.kind.api_version, self.kind.kind, meta["name"],
                                              meta.get("namespace"), {"status": patch}, subresource="status",
                                              field_manager=f"gotk-{self.controller}")
        except ApiError as exc:
            if exc.not_found:
                return
            raise
        run.written = _copy(run.status)
        run.obj["metadata"] = updated.get("metadata", meta)

    def ensure_finalizer(self, run: R) -> None:
        meta = run.obj["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if FINALIZER in finalizers:
            return
        finalizers.append(FINALIZER)
        updated = self.client.merge_patch(self.kind.api_version, self.kind.kind, meta["name"],
                                          meta.get("namespace"), {"metadata": {"finalizers": finalizers}})
        run.obj["metadata"] = updated["metadata"]

    def remove_finalizer(self, run: R) -> None:
        meta = run.obj["metadata"]
        finalizers = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
        try:
            self.client.merge_patch(self.kind.api_version, self.kind.kind, meta["name"], meta.get("namespace"),
                                    {"metadata": {"finalizers": finalizers or None}})
        except ApiError as exc:
            if not exc.not_found:
                raise
        run.deleted = True

    def event(self, run: R, type_: str, reason: str, message: str,
              metadata: dict[str, str] | None = None) -> None:
        self.recorder.event(run.obj, type_, reason, message, controller=self.controller, metadata=metadata)

    def open_reconcile(self, run: R, *, cleanup: Callable[[], None] | None = None,
                       finalize: Callable[[], Result] | None = None, reconciling: bool = True,
                       generation_message: bool = True,
                       suspended_log: str = "reconciliation is suspended for this object") -> Result | None:
        """The opening every controller shares: finish a deletion (`finalize` does the whole deletion and
        returns its Result; or `cleanup` runs before the finalizer is removed), add the finalizer, stop when
        suspended (logging `suspended_log`), else mark Reconciling when `reconciling` (naming a new generation
        when `generation_message`)."""
        view = View(run.obj)
        if view.deleting:
            if finalize is not None:
                return finalize()
            if cleanup is not None:
                cleanup()
            self.remove_finalizer(run)
            run.did("object deleted: finalizer removed")
            return Result()
        self.ensure_finalizer(run)
        if view.suspended:
            run.log.info(suspended_log)
            run.suspended = True
            run.did("suspended: nothing to do")
            return Result()
        if not reconciling:
            run.did("finalizer in place, object not being deleted")
            return None
        if generation_message and view.generation != view.observed_generation and view.observed_generation >= 0:
            self.progressing(run, f"processing object: new generation {view.observed_generation} -> "
                                  f"{view.generation}")
        else:
            self.progressing(run, "reconciliation in progress")
        run.did("finalizer in place; Reconciling=True")
        return None
