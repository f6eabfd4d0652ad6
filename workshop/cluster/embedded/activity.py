"""API requests in flight, so that background work in the same process can give way to them.

The simulated controllers run in the API server's process and share its interpreter lock. A real
kube-controller-manager is another process: however busy it is, it does not slow the API server down. The
simulation therefore waits, before each reconcile, until no request is being handled (for a bounded time, so a
steady stream of requests delays it but never stops it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: how long the API must have been idle before background work goes on
QUIET = 0.002
#: the longest one reconcile of the simulation waits for a quiet moment
MAX_WAIT = 0.05


class RequestActivity:
    """Counts the requests being handled; `wait_quiet()` blocks until there are none."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._in_flight = 0
        self._last_end = 0.0

    @contextmanager
    def handling(self) -> Iterator[None]:
        with self._cond:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._last_end = time.monotonic()
                if not self._in_flight:
                    self._cond.notify_all()

    def wait_quiet(self, quiet: float = QUIET, limit: float = MAX_WAIT) -> None:
        """Return once no request has been handled for `quiet` seconds, or after `limit` seconds."""
        deadline = time.monotonic() + limit
        with self._cond:
            while True:
                now = time.monotonic()
                if now >= deadline:
                    return
                if not self._in_flight:
                    idle = now - self._last_end
                    if idle >= quiet:
                        return
                    self._cond.wait(min(quiet - idle, deadline - now))
                else:
                    self._cond.wait(deadline - now)
