"""One waiter for the whole engine: poll a probe until a predicate holds or a timeout passes.

fluxcd/pkg/ssa waits with one poller (`WaitForSet`) for stage waits, health checks and deletions; the engine
does the same with `poll_until`, so every wait has the same clock, interval and cancellation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Polled(Generic[T]):
    """The outcome of a wait: whether the predicate held (`met`), the last probed value and the time it took."""

    met: bool
    value: T
    elapsed: float


def poll_until(probe: Callable[[], T], done: Callable[[T], bool], *, timeout: float, interval: float = 0.25,
               max_interval: float | None = None, clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep, cancelled: Callable[[], bool] | None = None) -> Polled[T]:
    """Call `probe()` until `done(value)` is true (met) or `timeout` seconds pass or `cancelled()` says stop.

    The probe runs at least once, so a zero timeout is a single check. With `max_interval` the pause grows by
    half each time up to it: quick answers stay quick, long waits (health checks) cost the API server less."""
    start = clock()
    pause = interval
    while True:
        value = probe()
        if done(value):
            return Polled(True, value, clock() - start)
        if clock() - start >= timeout or (cancelled is not None and cancelled()):
            return Polled(False, value, clock() - start)
        sleep(pause)
        if max_interval is not None:
            pause = min(pause * 1.5, max_interval)
