"""The reconciler contract: one reconciler per kind, a reconcile is a list of named phases over a Context.

A phase returns None to continue or a `Result` to end the reconcile. `PhasedReconciler.reconcile()` runs all
phases; `step()` yields after each one so a notebook can show the object's status between phases.
The only memory is the object's status, written once at the end (`finish`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.api import conditions
from engine.api.kinds import KindInfo
from engine.api.types import FINALIZER, REQUESTED_AT, View
from engine.client import ApiError, Client
from engine.events import EventRecorder, Logger

Obj = dict[str, Any]


@dataclass
class Result:
    """What a reconcile asks of the manager: run again after `requeue_after` seconds (None: only on change)."""

    requeue_after: float | None = None
    error: str | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Context:
    """State carried between the phases of one reconcile; `obj` is a working copy whose status is rewritten."""

    obj: Obj
    old_status: Obj
    started: float = field(default_factory=time.monotonic)
    phase: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    result: Result | None = None
    log: Logger = field(default_factory=Logger)

    @property
    def status(self) -> Obj:
        return self.obj.setdefault("status", {})

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


Phase = Callable[[Context], Result | None]


def key_of(obj: Obj) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", "")


class PhasedReconciler:
    """Base class: subclasses list their phases and summarise conditions in `finish_status`."""

    kind: KindInfo
    controller = ""
    #: True for kinds whose truth lives outside the cluster (git remotes, registries): `sync(sources=True)`
    #: re-checks them, as their interval timer would.
    observes_outside_world = False

    def __init__(self, client: Client, recorder: EventRecorder, logger: Logger) -> None:
        self.client = client
        self.recorder = recorder
        self.logger = logger

    # -- what subclasses provide ------------------------------------------------------------------
    def phases(self) -> list[tuple[str, Phase]]:
        raise NotImplementedError

    def finish_status(self, ctx: Context) -> None:
        """Summarise conditions into Ready before the status is written."""

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        """Whether a change of `changed` (another object's status) should reconcile `obj` now."""
        return False

    # -- the loop ---------------------------------------------------------------------------------
    def begin(self, obj: Obj) -> Context:
        import copy

        work = copy.deepcopy(obj)
        kind, ns, name = key_of(work)
        log = self.logger.bind(controller=self.kind.singular, controllerGroup=self.kind.group,
                               controllerKind=self.kind.kind, name=name, namespace=ns)
        return Context(work, copy.deepcopy(work.get("status") or {}), log=log)

    def step(self, obj: Obj) -> Iterator[tuple[str, Context]]:
        """Run one phase at a time, yielding (phase name, context) after each; the status is written at the end."""
        ctx = self.begin(obj)
        for name, phase in self.phases():
            ctx.phase = name
            try:
                ctx.result = phase(ctx)
            except ApiError as exc:
                ctx.result = self.api_failure(ctx, exc)
            yield name, ctx
            if ctx.result is not None:
                break
        self.finish(ctx)
        yield "finish", ctx

    def reconcile(self, obj: Obj) -> Result:
        *_, (_, ctx) = self.step(obj)
        return ctx.result or Result()

    def api_failure(self, ctx: Context, exc: ApiError) -> Result:
        """An unexpected API error in a phase (e.g. the server restarted): retry soon, keep everything."""
        return Result(requeue_after=5.0, error=str(exc), reason="ReconciliationFailed")

    def finish(self, ctx: Context) -> None:
        if ctx.values.get("deleted"):
            return
        self.finish_status(ctx)
        requested = ((ctx.obj.get("metadata") or {}).get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            ctx.status["lastHandledReconcileAt"] = requested
        if ctx.status != ctx.old_status:
            self.write_status(ctx)

    # -- API helpers ------------------------------------------------------------------------------
    def write_status(self, ctx: Context) -> None:
        """Merge-patch the status subresource with the new status (removed keys set to null)."""
        patch = {k: None for k in ctx.old_status if k not in ctx.status}
        patch.update(ctx.status)
        meta = ctx.obj["metadata"]
        try:
            updated = self.client.merge_patch(self.kind.api_version, self.kind.kind, meta["name"],
                                              meta.get("namespace"), {"status": patch}, subresource="status",
                                              field_manager=f"gotk-{self.controller}")
        except ApiError as exc:
            if exc.status == 404:
                return
            raise
        ctx.obj["metadata"] = updated.get("metadata", meta)

    def ensure_finalizer(self, ctx: Context) -> None:
        meta = ctx.obj["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if FINALIZER in finalizers:
            return
        finalizers.append(FINALIZER)
        updated = self.client.merge_patch(self.kind.api_version, self.kind.kind, meta["name"],
                                          meta.get("namespace"), {"metadata": {"finalizers": finalizers}})
        ctx.obj["metadata"] = updated["metadata"]

    def remove_finalizer(self, ctx: Context) -> None:
        meta = ctx.obj["metadata"]
        finalizers = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
        try:
            self.client.merge_patch(self.kind.api_version, self.kind.kind, meta["name"], meta.get("namespace"),
                                    {"metadata": {"finalizers": finalizers or None}})
        except ApiError as exc:
            if exc.status != 404:
                raise
        ctx.values["deleted"] = True

    def event(self, ctx: Context, type_: str, reason: str, message: str,
              metadata: dict[str, str] | None = None) -> None:
        self.recorder.event(ctx.obj, type_, reason, message, controller=self.controller, metadata=metadata)

    def open_reconcile(self, ctx: Context, *, cleanup: Callable[[], None] | None = None,
              generation_message: bool = True) -> Result | None:
        """The opening every controller shares: finish a deletion (after `cleanup`), add the finalizer,
        stop when suspended, else mark Reconciling (naming a new generation when `generation_message`)."""
        view = View(ctx.obj)
        if view.deleting:
            if cleanup is not None:
                cleanup()
            self.remove_finalizer(ctx)
            return Result()
        self.ensure_finalizer(ctx)
        if view.suspended:
            ctx.log.info("reconciliation is suspended for this object")
            ctx.values["suspended"] = True
            return Result()
        if generation_message and view.generation != view.observed_generation and view.observed_generation >= 0:
            self.progressing(ctx, f"processing object: new generation {view.observed_generation} -> "
                                  f"{view.generation}")
        else:
            self.progressing(ctx, "reconciliation in progress")
        return None

    @staticmethod
    def progressing(ctx: Context, message: str) -> None:
        conditions.mark_reconciling(ctx.obj, conditions.PROGRESSING, message)
