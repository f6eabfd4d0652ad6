"""The controller manager: runs one reconciler per kind against any cluster, through the official client.

Three ways to run it:
* `sync(timeout)` reconciles until nothing is pending (deterministic; notebooks and tests),
* `start()` / `stop()` runs the loop in a background thread, `run()` in the foreground (`gitops run`).

What is pending is derived from the objects themselves (status is the only memory): no finalizer yet, being
deleted, a new generation, a new `reconcile.fluxcd.io/requestedAt`, never reconciled; in the background loop
also the requeue timer (interval / retryInterval). When an object's status changes, reconcilers that watch it
(`triggered_by`, e.g. Kustomizations of a GitRepository with a new revision) are queued in dependency order.
"""

from __future__ import annotations

import builtins
import datetime as dt
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes.client import ApiClient

from engine.api import conditions
from engine.api.crds import install_crds
from engine.api.kinds import KindInfo
from engine.api.reconcile import PhasedReconciler, Result
from engine.api.types import REQUESTED_AT, Kustomization, View
from engine.client import ApiError, Client, NoMatchError
from engine.events import EventRecorder, Logger, list_events

Obj = dict[str, Any]
Key = tuple[str, str, str]  # kind, namespace, name
Keys = list[Key]
Objs = list[Obj]
MAX_RUNS_PER_SYNC = 4


def key_of(obj: Obj) -> Key:
    meta = obj.get("metadata") or {}
    return obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", "")


def key_str(key: Key) -> str:
    return f"{key[0]}/{key[1]}/{key[2]}" if key[1] else f"{key[0]}/{key[2]}"


@dataclass
class Outcome:
    """One reconcile done by `sync`: the object, the result and its Ready summary afterwards."""

    key: Key
    result: Result
    ready: tuple[str, str, str]

    def __str__(self) -> str:
        status, reason, message = self.ready
        return f"{key_str(self.key)}: Ready={status} {reason}: {message}"


@dataclass
class SyncReport:
    outcomes: list[Outcome] = field(default_factory=list)
    pending: list[Key] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.result.ok for o in self.outcomes) and not self.pending

    def __str__(self) -> str:
        lines = [str(o) for o in self.outcomes]
        lines += [f"{key_str(k)}: still pending (timeout)" for k in self.pending]
        return "\n".join(lines)

    __repr__ = __str__


class Manager:
    """Registry of reconcilers by kind plus the loop that drives them.

    `watch_namespace` limits the loop to the objects of one namespace (flux's `--watch-all-namespaces=false`);
    by default it reconciles every namespace.
    """

    def __init__(self, api_client: ApiClient | Client, *, storage_dir: str | Path | None = None,
                 logger: Logger | None = None, health_poll: float = 0.25, poll_interval: float = 0.1,
                 register_defaults: bool = True, watch_namespace: str | None = None) -> None:
        self.watch_namespace = watch_namespace
        self.client = api_client if isinstance(api_client, Client) else Client(api_client)
        self.logger = logger or Logger()
        self.recorder = EventRecorder(self.client, self.logger)
        self.poll_interval = poll_interval
        self.reconcilers: dict[str, PhasedReconciler] = {}
        self._attempted: dict[tuple[str, str], tuple] = {}
        self._due: dict[Key, float] = {}
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        if register_defaults:
            from engine.kustomization.reconciler import KustomizationReconciler
            from engine.source.artifact import Storage, default_storage_root
            from engine.source.reconciler import GitRepositoryReconciler

            self.storage = Storage(Path(storage_dir) if storage_dir else default_storage_root())
            self.register(GitRepositoryReconciler(self.client, self.recorder, self.logger, self.storage))
            self.register(KustomizationReconciler(self.client, self.recorder, self.logger, health_poll=health_poll))

    # -- registry ---------------------------------------------------------------------------------
    def register(self, reconciler: PhasedReconciler) -> None:
        """Add a reconciler; kinds are reconciled in registration order (sources first)."""
        self.reconcilers[reconciler.kind.kind] = reconciler

    def reconciler(self, kind: str) -> PhasedReconciler:
        return self.reconcilers[kind]

    @property
    def kinds(self) -> builtins.list[KindInfo]:
        return [r.kind for r in self.reconcilers.values()]

    def install_crds(self) -> builtins.list[str]:
        """Install the CRDs of every registered kind."""
        return install_crds(self.client, self.kinds)

    # -- reading ----------------------------------------------------------------------------------
    def list(self, kind: str, namespace: str | None = None) -> Objs:
        info = self.reconcilers[kind].kind
        try:
            items = self.client.list(info.api_version, info.kind, namespace)
        except NoMatchError:
            return []
        return sorted(items, key=lambda o: key_of(o))

    def get(self, kind: str, name: str, namespace: str = "default") -> Obj | None:
        info = self.reconcilers[kind].kind
        return self.client.get(info.api_version, info.kind, name, namespace)

    def inventory(self, name: str, namespace: str = "default") -> builtins.list[str]:
        """The Kustomization's inventory as `Kind/namespace/name` lines (apply order)."""
        from engine.kustomization.inventory import ObjMeta

        obj = self.get("Kustomization", name, namespace)
        return [ObjMeta.parse(e).subject for e in Kustomization(obj or {}).inventory]

    def last_change_set(self, name: str, namespace: str = "default") -> str:
        """The change set of the last successful apply this manager made for a Kustomization."""
        from engine.api.types import NamespacedName

        changes = self.reconcilers["Kustomization"].last_changes.get(NamespacedName(namespace, name))  # type: ignore[attr-defined]
        return str(changes) if changes else ""

    def events(self, kind: str | None = None, name: str | None = None, namespace: str | None = None) -> Objs:
        return list_events(self.client, namespace, kind=kind, name=name)

    def request_reconcile(self, kind: str, name: str, namespace: str = "default") -> str:
        """Set `reconcile.fluxcd.io/requestedAt` (what `flux reconcile` does); returns the value."""
        info = self.reconcilers[kind].kind
        value = dt.datetime.now(dt.UTC).isoformat()
        self.client.merge_patch(info.api_version, info.kind, name, namespace,
                                {"metadata": {"annotations": {REQUESTED_AT: value}}})
        return value

    # -- deciding what to run ---------------------------------------------------------------------
    def _signature(self, obj: Obj) -> tuple:
        view = View(obj)
        return view.generation, view.requested_at, bool(view.deleting)

    def is_pending(self, obj: Obj) -> bool:
        """Does the object itself ask for a reconcile (independent of timers)?"""
        view = View(obj)
        if view.deleting or not view.has_finalizer:
            return True
        uid = (obj.get("metadata") or {}).get("uid", "")
        if self._attempted.get((obj.get("kind", ""), uid)) == self._signature(obj):
            return False
        if view.requested_at and view.requested_at != view.last_handled_reconcile_at:
            return True
        if conditions.get_condition(obj, conditions.READY) is None:
            return True
        return view.generation != view.observed_generation

    def _snapshot(self) -> dict[Key, Obj]:
        objs: dict[Key, Obj] = {}
        for kind in self.reconcilers:
            for obj in self.list(kind, self.watch_namespace):
                objs[key_of(obj)] = obj
        return objs

    # -- running ----------------------------------------------------------------------------------
    def reconcile(self, kind: str, name: str, namespace: str = "default") -> Result:
        """Reconcile one object now (no dependents)."""
        obj = self.get(kind, name, namespace)
        if obj is None:
            raise KeyError(f"{kind} {namespace}/{name} not found")
        return self._run(obj)

    def _run(self, obj: Obj) -> Result:
        reconciler = self.reconcilers[obj["kind"]]
        try:
            result = reconciler.reconcile(obj)
        except ApiError as exc:
            self.logger.error("Reconciler error", kind=obj["kind"], name=key_of(obj)[2], error=str(exc))
            result = Result(requeue_after=5.0, error=str(exc), reason="ReconciliationFailed")
        uid = (obj.get("metadata") or {}).get("uid", "")
        self._attempted[(obj["kind"], uid)] = self._signature(obj)
        if result.requeue_after is not None:
            self._due[key_of(obj)] = time.monotonic() + result.requeue_after
        else:
            self._due.pop(key_of(obj), None)
        return result

    def _order(self, queue: Keys, objs: dict[Key, Obj]) -> Key:
        """Next key: the first whose dependencies are not queued themselves (dependency order)."""
        queued: set[Key] = set(queue)
        for key in queue:
            obj = objs.get(key)
            if obj is None or key[0] != "Kustomization":
                return key
            deps = {("Kustomization", d.namespace, d.name) for d in Kustomization(obj).depends_on}
            ref = Kustomization(obj).source_ref
            deps.add((ref.get("kind", ""), ref.get("namespace", ""), ref.get("name", "")))
            if not deps & queued:
                return key
        return queue[0]

    def _drain(self, queue: Keys, deadline: float, report: SyncReport | None) -> None:
        runs: dict[Key, int] = {}
        background = report is None
        while not (background and self._stop.is_set()):
            if time.monotonic() > deadline:
                if report is not None:
                    report.pending.extend(queue)
                return
            objs = self._snapshot()
            queue[:] = [k for k in queue if k in objs]
            queue += [k for k, o in objs.items() if k not in runs and k not in queue and self.is_pending(o)]
            if not queue:
                return
            key = self._order(queue, objs)
            queue.remove(key)
            runs[key] = runs.get(key, 0) + 1
            if runs[key] > MAX_RUNS_PER_SYNC:
                continue
            before = objs[key]
            result = self._run(before)
            after = self._get_key(key)
            if report is not None:
                report.outcomes.append(Outcome(key, result, conditions.summary(after or before)))
            if after is not None and self.is_pending(after) and key not in queue:
                queue.append(key)
            if after is not None and (after.get("status") or {}) != (before.get("status") or {}):
                self._enqueue_dependents(after, queue, objs)

    def _get_key(self, key: Key) -> Obj | None:
        kind, namespace, name = key
        try:
            return self.get(kind, name, namespace)
        except ApiError:
            return None

    def _enqueue_dependents(self, changed: Obj, queue: Keys, objs: dict[Key, Obj]) -> None:
        for key, obj in objs.items():
            if key in queue or key == key_of(changed):
                continue
            if self.reconcilers[obj["kind"]].triggered_by(obj, changed):
                queue.append(key)

    def sync(self, timeout: float = 60.0, *, sources: bool = True, drift: bool = False) -> SyncReport:
        """Reconcile until nothing is pending. `sources`: also re-check every source and image repository
        (sees new commits and tags);
        `drift`: also re-apply every Kustomization (as its interval timer would)."""
        report = SyncReport()
        with self._lock:
            objs = self._snapshot()
            source_kinds = {k for k, r in self.reconcilers.items() if r.observes_outside_world}
            queue = [k for k, o in objs.items()
                     if self.is_pending(o) or (sources and k[0] in source_kinds) or
                     (drift and k[0] == "Kustomization")]
            self._drain(queue, time.monotonic() + timeout, report)
        return report

    # -- background -------------------------------------------------------------------------------
    def _tick(self) -> None:
        with self._lock:
            now = time.monotonic()
            objs = self._snapshot()
            queue = [k for k, o in objs.items()
                     if self.is_pending(o) or self._due.get(k, 0.0) <= now]
            if queue:
                self._drain(queue, now + 3600, None)

    def run(self, *, stop_after: float | None = None) -> None:
        """Run in the foreground until `stop()` (or `stop_after` seconds); every object is reconciled at start."""
        self._stop.clear()
        end = time.monotonic() + stop_after if stop_after is not None else None
        while not self._stop.is_set():
            try:
                self._tick()
            except ApiError as exc:
                self.logger.error("unable to list objects", error=str(exc))
            if end is not None and time.monotonic() >= end:
                break
            self._stop.wait(self.poll_interval)

    def start(self) -> None:
        """Run the loop in a daemon thread."""
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="gitops-manager", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> Manager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def objects_summary(objs: Iterable[Obj]) -> builtins.list[str]:
    return [f"{key_str(key_of(o))}: {conditions.summary(o)}" for o in objs]
