"""The simulation loop: a work queue and timers that run the controllers against the store, in one thread."""

from __future__ import annotations

import heapq
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from workshop.cluster.embedded.api import ObjectStore, StoreError, WatchEvent

from .controllers import default_controllers
from .core import Clock, Context, Controller, Key

log = logging.getLogger(__name__)


class Simulation:
    """Runs the simulated kube-controller-manager, scheduler and kubelet against an ObjectStore."""

    def __init__(self, store: ObjectStore, *, image_available: Callable[[str], bool] | None = None,
                 clock: Clock | None = None, controllers: list[Controller] | None = None) -> None:
        self.store = store
        self.clock = clock or Clock()
        self._controllers = {c.name: c for c in (controllers or default_controllers())}
        self._queue: OrderedDict[Key, None] = OrderedDict()
        self._timers: list[tuple[datetime, int, Key]] = []
        self._timer_due: dict[Key, datetime] = {}
        self._seq = 0
        self._busy = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.errors: list[str] = []
        #: called before each reconcile of the background worker: waits while the API server is busy
        self.give_way: Callable[[], None] | None = None
        self.ctx = Context(store, self.clock, image_available or (lambda image: True), self.enqueue,
                          self.schedule)
        store.subscribe(self._on_event)

    @property
    def image_available(self) -> Callable[[str], bool]:
        """Whether the lab's node can pull an image (e.g. it was pushed to the lab registry)."""
        return self.ctx.image_available

    @image_available.setter
    def image_available(self, oracle: Callable[[str], bool] | None) -> None:
        self.ctx.image_available = oracle or (lambda image: True)

    # ------------------------------------------------------------ feeding
    def _on_event(self, event: WatchEvent) -> None:
        for controller in self._controllers.values():
            for namespace, name in controller.keys_for(event):
                self.enqueue((controller.name, namespace, name))

    def enqueue(self, key: Key) -> None:
        with self._cond:
            self._queue[key] = None
            self._cond.notify_all()

    def schedule(self, key: Key, at: datetime) -> None:
        """Reconcile key again once simulated time reaches at."""
        with self._cond:
            due = self._timer_due.get(key)
            if due is not None and due <= at:
                return
            self._timer_due[key] = at
            self._seq += 1
            heapq.heappush(self._timers, (at, self._seq, key))
            self._cond.notify_all()

    def resync(self) -> None:
        """Queue every object every controller cares about (after bootstrap or a restart)."""
        for controller in self._controllers.values():
            resync = getattr(controller, "resync", None)
            if resync is not None:
                for namespace, name in resync(self.store):
                    self.enqueue((controller.name, namespace, name))

    def advance(self, seconds: float) -> None:
        """Fast-forward simulated time (e.g. past a Deployment's progressDeadlineSeconds)."""
        self.clock.advance(seconds)
        with self._cond:
            self._cond.notify_all()

    # ------------------------------------------------------------ running
    def _release_due_timers(self) -> None:
        now = self.clock.now()
        while self._timers and self._timers[0][0] <= now:
            at, _, key = heapq.heappop(self._timers)
            if self._timer_due.get(key) == at:
                del self._timer_due[key]
            self._queue[key] = None

    def _next(self) -> Key | None:
        with self._cond:
            self._release_due_timers()
            if not self._queue:
                return None
            key, _ = self._queue.popitem(last=False)
            self._busy = True
            return key

    def _process(self, key: Key) -> None:
        controller_name, namespace, name = key
        try:
            self._controllers[controller_name].reconcile(self.ctx, namespace, name)
        except StoreError as err:
            if err.code == 409:
                self.enqueue(key)
            elif err.code != 404:
                self.errors.append(f"{controller_name} {namespace}/{name}: {err.code} {err.message}")
                log.warning("simulated %s failed on %s/%s: %s", controller_name, namespace, name, err.message)
        except Exception as err:  # a controller bug must not kill the worker
            self.errors.append(f"{controller_name} {namespace}/{name}: {type(err).__name__}: {err}")
            log.exception("simulated %s crashed on %s/%s", controller_name, namespace, name)
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def run_until_idle(self, max_steps: int = 100_000) -> int:
        """Process queued work in this thread until nothing is due; returns the number of reconciles.

        Only for a simulation that was not start()ed (tests, synchronous labs); a running one is waited for.
        """
        if self._thread is not None:
            if not self.wait_idle(30):
                raise RuntimeError("the simulation is still busy after 30s")
            return 0
        steps = 0
        while steps < max_steps:
            key = self._next()
            if key is None:
                return steps
            self._process(key)
            steps += 1
        raise RuntimeError(f"simulation did not settle after {max_steps} reconciles: {self.errors[-3:]}")

    def _worker(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    self._release_due_timers()
                    if self._queue:
                        break
                    wait = None
                    if self._timers:
                        wait = max(0.0, min(1.0, (self._timers[0][0] - self.clock.now()).total_seconds()))
                    self._cond.wait(wait)
                if self._stopping:
                    return
            if self.give_way is not None:
                self.give_way()
            key = self._next()
            if key is not None:
                self._process(key)

    def start(self) -> None:
        """Start the worker thread (idempotent)."""
        if self._thread is not None:
            return
        self._stopping = False
        self.resync()
        self._thread = threading.Thread(target=self._worker, name="simulated-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def pending(self) -> bool:
        """True while work is queued, running, or due now."""
        with self._cond:
            self._release_due_timers()
            return bool(self._queue) or self._busy

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or running (future timers do not count); False on timeout."""
        deadline = datetime.now(UTC) + timedelta(seconds=timeout)
        with self._cond:
            while True:
                self._release_due_timers()
                if not self._queue and not self._busy:
                    return True
                left = (deadline - datetime.now(UTC)).total_seconds()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
