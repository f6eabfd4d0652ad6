"""The controller manager: runs one reconciler per kind against any cluster, through the official client.

It knows no kinds. Each reconciler tells it what triggers a reconcile (`triggered_by`: e.g. my source has a new
revision) and what to reconcile first (`waits_for`: my source, my dependsOn); the manager only schedules.

Three ways to run it:
* `sync(timeout)` reconciles until nothing is pending, one object at a time in dependency order (deterministic;
  notebooks and tests),
* `start()` / `stop()` runs the loop in a background thread, `run()` in the foreground (`gitops run`): each
  controller has a pool of `concurrent` workers (flux's `--concurrent`, default 4) and an object is never
  reconciled by two workers at once.

What is pending is derived from the objects themselves (status is the only memory): no finalizer yet, being
deleted, a new generation, a new `reconcile.fluxcd.io/requestedAt`, never reconciled; in the background loop
also the requeue timer (interval / retryInterval). No exception from one object's reconcile stops the manager or
another object: it becomes that object's Ready=False and is retried with exponential backoff.
`last_runs` keeps the run record of each object's latest reconcile for lessons to read; nothing is decided
from it.
"""

from __future__ import annotations

import builtins
import datetime as dt
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes.client import ApiClient

from engine import reasons
from engine.api import conditions
from engine.api.crds import install_crds
from engine.api.kinds import KindInfo
from engine.api.reconcile import UNEXPECTED_REQUEUE, Key, PhasedReconciler, PhaseReport, Result, Run, key_of
from engine.api.types import REQUESTED_AT, Kustomization, View
from engine.client import ApiError, Client, NoMatchError
from engine.events import AppendFile, EventRecorder, Logger, list_events
from engine.jsonobj import Obj

Keys = list[Key]
Objs = list[Obj]
MAX_MEANWHILE_RUNS = 20
MAX_RUNS_PER_SYNC = 4
DEFAULT_CONCURRENT = 4
BACKOFF_MAX = 300.0

__all__ = ["Manager", "Outcome", "SyncReport", "key_of", "key_str", "new_manager"]


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


def new_manager(api_client: ApiClient | Client, *, storage_dir: str | Path | None = None,
                log_file: str | Path | None = None, watch_namespace: str | None = None,
                concurrent: int = DEFAULT_CONCURRENT, concurrent_ssa: int | None = None) -> Manager:
    """The one way the kit builds a manager for a cluster (CLI, lab, tests): the default reconcilers with the
    engine's health-poll setting, logging JSON lines to `log_file` (where `gitops logs` reads) or stderr."""
    logger = Logger(stream=AppendFile(Path(log_file))) if log_file is not None else Logger()
    return Manager(api_client, storage_dir=storage_dir, logger=logger, watch_namespace=watch_namespace,
                   concurrent=concurrent, concurrent_ssa=concurrent_ssa)


class Manager:
    """Registry of reconcilers by kind plus the loop that drives them.

    `watch_namespace` limits the loop to the objects of one namespace (flux's `--watch-all-namespaces=false`);
    by default it reconciles every namespace. `concurrent` is the number of workers per controller;
    `concurrent_ssa` the dry-runs a Kustomization has in flight at once (flux's `--concurrent-ssa`, default 4).
    """

    def __init__(self, api_client: ApiClient | Client, *, storage_dir: str | Path | None = None,
                 logger: Logger | None = None, health_poll: float | None = None, poll_interval: float = 0.1,
                 register_defaults: bool = True, watch_namespace: str | None = None,
                 concurrent: int = DEFAULT_CONCURRENT, concurrent_ssa: int | None = None) -> None:
        self.watch_namespace = watch_namespace
        self.client = api_client if isinstance(api_client, Client) else Client(api_client)
        self.logger = logger or Logger()
        self.recorder = EventRecorder(self.client, self.logger)
        self.poll_interval = poll_interval
        self.concurrent = max(1, concurrent)
        self.reconcilers: dict[str, PhasedReconciler[Any]] = {}
        self.last_runs: dict[Key, Run] = {}
        #: why the background loop stopped working, if it did (`gitops run` exits non-zero with it)
        self.failure: str | None = None
        self._attempted: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._due: dict[Key, float] = {}
        self._failures: dict[Key, int] = {}
        self._busy: set[Key] = set()
        self._inflight: set[Key] = set()
        self._wanted: set[Key] = set()  # triggered by another object's change: run as soon as a worker is free
        self._objs: dict[Key, Obj] = {}
        self._state = threading.Condition(threading.RLock())
        self._sync_lock = threading.RLock()
        self._meanwhile = False  # reconciling others while a sync's current object waits
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._shutdown = threading.Event()  # set only while stop() waits: long waits inside reconciles give up
        if register_defaults:
            from engine.kustomization.reconciler import HEALTH_POLL, KustomizationReconciler
            from engine.source.artifact import Storage, default_storage_root
            from engine.source.helm_reconcilers import HelmChartReconciler, HelmRepositoryReconciler
            from engine.source.reconciler import GitRepositoryReconciler

            self.storage = Storage(Path(storage_dir) if storage_dir else default_storage_root())
            self.register(GitRepositoryReconciler(self.client, self.recorder, self.logger, self.storage))
            self.register(HelmRepositoryReconciler(self.client, self.recorder, self.logger, self.storage))
            self.register(HelmChartReconciler(self.client, self.recorder, self.logger, self.storage))
            self.register(KustomizationReconciler(self.client, self.recorder, self.logger,
                                                  health_poll=health_poll or HEALTH_POLL,
                                                  concurrent_ssa=concurrent_ssa))
            from engine.helm.reconciler import HelmReleaseReconciler

            self.register(HelmReleaseReconciler(self.client, self.recorder, self.logger))

    # -- registry ---------------------------------------------------------------------------------
    def register(self, reconciler: PhasedReconciler[Any]) -> None:
        """Add a reconciler; kinds are reconciled in registration order (sources first)."""
        reconciler.cancelled = self._shutdown.is_set
        self.reconcilers[reconciler.kind.kind] = reconciler

    def reconciler(self, kind: str) -> PhasedReconciler[Any]:
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

    def last_run(self, kind: str, name: str, namespace: str = "default") -> Run | None:
        """The run record of this manager's latest reconcile of an object (None: not reconciled here)."""
        return self.last_runs.get((kind, namespace, name))

    def last_change_set(self, name: str, namespace: str = "default") -> str:
        """The change set of the latest apply this manager made for a Kustomization (from its run records)."""
        run = self.last_run("Kustomization", name, namespace)
        changes = getattr(run, "changes", None)
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
    def _signature(self, obj: Obj) -> tuple[Any, ...]:
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

    def _waits_for(self, obj: Obj) -> set[Key]:
        try:
            return set(self.reconcilers[obj["kind"]].waits_for(obj))
        except Exception:  # a malformed spec: its own reconcile reports it
            return set()

    def _triggered(self, obj: Obj, changed: Obj) -> bool:
        try:
            return self.reconcilers[obj["kind"]].triggered_by(obj, changed)
        except Exception:  # a malformed spec: its own reconcile reports it
            return False

    def _order(self, queue: Keys, objs: dict[Key, Obj]) -> Key:
        """Next key: the first whose prerequisites (`waits_for`) are not queued themselves."""
        queued: set[Key] = set(queue)
        for key in queue:
            obj = objs.get(key)
            if obj is None or not self._waits_for(obj) & queued:
                return key
        return queue[0]

    # -- running one object -----------------------------------------------------------------------
    def reconcile(self, kind: str, name: str, namespace: str = "default") -> Result:
        """Reconcile one object now (no dependents)."""
        obj = self.get(kind, name, namespace)
        if obj is None:
            raise KeyError(f"{kind} {namespace}/{name} not found")
        return self._run(obj)

    def step(self, kind: str, name: str, namespace: str = "default") -> Iterator[PhaseReport[Any]]:
        """Reconcile one object a phase at a time: yields each `PhaseReport` (see PhasedReconciler.step) and
        keeps the finished run record in `last_runs`."""
        obj = self.get(kind, name, namespace)
        if obj is None:
            raise KeyError(f"{kind} {namespace}/{name} not found")
        return self._step(obj)

    def _step(self, obj: Obj) -> Iterator[PhaseReport[Any]]:
        key = key_of(obj)
        self._claim(key)
        try:
            report: PhaseReport[Any] | None = None
            for report in self.reconcilers[obj["kind"]].step(obj):
                yield report
            if report is not None:
                self._record(obj, report.run.result or Result(), report.run)
        finally:
            self._release(key)

    def _claim(self, key: Key) -> None:
        """Per-object exclusivity: wait until no other worker reconciles `key`, then take it."""
        with self._state:
            while key in self._busy:
                self._state.wait()
            self._busy.add(key)

    def _release(self, key: Key) -> None:
        with self._state:
            self._busy.discard(key)
            self._state.notify_all()

    def _run(self, obj: Obj) -> Result:
        """Reconcile one object; whatever happens inside, the manager carries on."""
        key = key_of(obj)
        self._claim(key)
        try:
            run = self.reconcilers[obj["kind"]].run(obj)
            result = run.result or Result()
        except Exception as exc:  # the base already isolates phases; this is the last net (e.g. a status write)
            self.logger.error("Reconciler error", controllerKind=key[0], name=key[2], namespace=key[1],
                              error=f"{type(exc).__name__}: {exc}")
            run = None
            result = Result(requeue_after=UNEXPECTED_REQUEUE, error=str(exc),
                            reason=reasons.RECONCILIATION_FAILED, unexpected=True)
        finally:
            self._release(key)
        self._record(obj, result, run)
        return result

    def _record(self, obj: Obj, result: Result, run: Run | None) -> None:
        key = key_of(obj)
        uid = (obj.get("metadata") or {}).get("uid", "")
        if result.cancelled:  # interrupted by stop(): due again as soon as the manager runs
            with self._state:
                self._due[key] = 0.0
            return
        with self._state:
            if run is not None:
                self.last_runs[key] = run
            self._attempted[(obj["kind"], uid)] = self._signature(obj)
            delay = self._delay(key, result)
            if delay is None:
                self._due.pop(key, None)
            else:
                self._due[key] = time.monotonic() + delay

    def _delay(self, key: Key, result: Result) -> float | None:
        """The requeue delay; unexpected failures back off exponentially (as controller-runtime does)."""
        if not result.unexpected:
            self._failures.pop(key, None)
            return result.requeue_after
        failures = self._failures[key] = self._failures.get(key, 0) + 1
        return min((result.requeue_after or UNEXPECTED_REQUEUE) * 2 ** (failures - 1), BACKOFF_MAX)

    def _get_key(self, key: Key) -> Obj | None:
        kind, namespace, name = key
        try:
            return self.get(kind, name, namespace)
        except ApiError:
            return None

    # -- sync: deterministic, one object at a time ------------------------------------------------
    def _drain(self, queue: Keys, deadline: float, report: SyncReport) -> None:
        runs: dict[Key, int] = {}
        while True:
            if time.monotonic() > deadline:
                report.pending.extend(queue)
                return
            objs = self._snapshot()
            queue[:] = [k for k in queue if k in objs]
            # an object run earlier in this sync is queued again when it asks for it (e.g. a HelmChart whose
            # spec the HelmRelease just changed, or one being deleted), up to MAX_RUNS_PER_SYNC runs
            queue += [k for k, o in objs.items()
                      if runs.get(k, 0) < MAX_RUNS_PER_SYNC and k not in queue and self.is_pending(o)]
            if not queue:
                return
            key = self._order(queue, objs)
            queue.remove(key)
            runs[key] = runs.get(key, 0) + 1
            if runs[key] > MAX_RUNS_PER_SYNC:
                continue
            self._run_and_follow(key, objs, queue, report)

    def _run_and_follow(self, key: Key, objs: dict[Key, Obj], queue: Keys, report: SyncReport) -> None:
        """Reconcile `key`, report it, and queue what it asks for: itself when still pending, and the objects
        its new status triggers (e.g. Kustomizations of a source with a new revision)."""
        before = objs[key]
        result = self._run(before)
        after = self._get_key(key)
        report.outcomes.append(Outcome(key, result, conditions.summary(after or before)))
        if after is not None and self.is_pending(after) and key not in queue:
            queue.append(key)
        if after is not None and (after.get("status") or {}) != (before.get("status") or {}):
            queue += [k for k, o in objs.items() if k not in queue and k != key and self._triggered(o, after)]

    def sync(self, timeout: float = 60.0, *, sources: bool = True, drift: bool = False) -> SyncReport:
        """Reconcile until nothing is pending. `sources`: also re-check every source and image repository
        (sees new commits and tags); `drift`: also re-run every kind that corrects drift (Kustomizations, as their
        interval timer would).

        One object at a time, in dependency order; while one waits (a health check), the objects it may be
        waiting for that are pending now (e.g. a HelmRelease it just applied) are reconciled in its pauses, as
        Flux's concurrent controllers would."""
        report = SyncReport()
        with self._sync_lock:
            objs = self._snapshot()
            outside = {k for k, r in self.reconcilers.items() if r.observes_outside_world}
            drifting = {k for k, r in self.reconcilers.items() if r.corrects_drift}
            queue = [k for k, o in objs.items()
                     if self.is_pending(o) or (sources and k[0] in outside) or (drift and k[0] in drifting)]
            for reconciler in self.reconcilers.values():
                reconciler.while_waiting = lambda: self._run_pending_meanwhile(queue, report)
            try:
                self._drain(queue, time.monotonic() + timeout, report)
            finally:
                for reconciler in self.reconcilers.values():
                    reconciler.while_waiting = lambda: None
        return report

    def _run_pending_meanwhile(self, queue: Keys, report: SyncReport) -> None:
        """During a wait inside `sync()`: reconcile what is due (pending, or queued by another object's change)
        and waits for nothing busy or due itself; those runs leave the sync's queue."""
        if self._meanwhile:
            return
        self._meanwhile = True
        try:
            for _ in range(MAX_MEANWHILE_RUNS):
                objs = self._snapshot()
                with self._state:
                    busy = set(self._busy)
                wanted = [k for k, o in objs.items() if k not in busy and (k in queue or self.is_pending(o))]
                unsettled = busy | set(wanted)
                due = [k for k in wanted if not self._waits_for(objs[k]) & (unsettled - {k})]  # snapshot order
                if not due:
                    return
                key = self._order(due, objs)
                if key in queue:
                    queue.remove(key)
                self._run_and_follow(key, objs, queue, report)
        finally:
            self._meanwhile = False

    # -- background: a worker pool per controller -------------------------------------------------
    def _tick(self, pools: dict[str, ThreadPoolExecutor]) -> None:
        objs = self._snapshot()
        now = time.monotonic()
        with self._state:
            self._objs = objs
            due = [k for k, o in objs.items() if k not in self._inflight and k not in self._busy
                   and (k in self._wanted or self.is_pending(o) or self._due.get(k, 0.0) <= now)]
            # prerequisites first: a key whose waits_for is also due goes after it
            ordered = sorted(due, key=lambda k: bool(self._waits_for(objs[k]) & set(due)))
            for key in ordered:
                pool = pools.get(key[0])
                if pool is None:
                    continue
                self._inflight.add(key)
                self._wanted.discard(key)
                pool.submit(self._work, key)

    def _work(self, key: Key) -> None:
        """One background reconcile; never raises (a worker thread must survive every object)."""
        try:
            before = self._get_key(key)
            if before is None:
                return
            self._run(before)
            after = self._get_key(key)
            if after is not None and (after.get("status") or {}) != (before.get("status") or {}):
                with self._state:
                    for other, obj in self._objs.items():
                        if other != key and self._triggered(obj, after):
                            self._wanted.add(other)  # kept even if `other` is running now: it runs again
        except Exception as exc:
            self.logger.error("Reconciler error", controllerKind=key[0], name=key[2], namespace=key[1],
                              error=f"{type(exc).__name__}: {exc}")
        finally:
            with self._state:
                self._inflight.discard(key)

    def run(self, *, stop_after: float | None = None) -> None:
        """Run in the foreground until `stop()` (or `stop_after` seconds); every object is reconciled at start."""
        self._stop.clear()
        self.failure = None
        end = time.monotonic() + stop_after if stop_after is not None else None
        pools = {kind: ThreadPoolExecutor(self.concurrent, thread_name_prefix=f"gitops-{kind.lower()}")
                 for kind in self.reconcilers}
        try:
            while not self._stop.is_set():
                try:
                    self._tick(pools)
                except ApiError as exc:
                    self.logger.error("unable to list objects", error=str(exc))
                if end is not None and time.monotonic() >= end:
                    break
                self._stop.wait(self.poll_interval)
        except Exception as exc:  # a bug in the loop itself: say so, so `gitops run` can exit non-zero
            self.failure = f"controller manager stopped: {type(exc).__name__}: {exc}"
            self.logger.error("controller manager stopped", error=self.failure)
            raise
        finally:
            for pool in pools.values():
                pool.shutdown(wait=True, cancel_futures=True)

    def start(self) -> None:
        """Run the loop in a daemon thread."""
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="gitops-manager", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """Is the background loop running?"""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the background loop; reconciles in a long wait (a health check) stop early, unwritten."""
        self._shutdown.set()
        self._stop.set()
        try:
            if self._thread is not None:
                self._thread.join(timeout)
                self._thread = None
        finally:
            self._shutdown.clear()

    def __enter__(self) -> Manager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
