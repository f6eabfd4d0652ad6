"""Write holds: a watch event never reaches a client before the response of the write that caused it.

A request that may write registers a hold starting at the next resourceVersion before it is handled and closes it
once its response has been sent; watch streams wait (briefly, at most MAX_WAIT) before sending an event whose
resourceVersion an open hold covers. Writes the simulation makes directly in the store take no hold.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

MAX_WAIT = 2.0


@dataclass
class _Hold:
    start: int
    end: int | None = None


class WriteHolds:
    """The resourceVersion ranges of writes whose responses are not sent yet."""

    def __init__(self) -> None:
        self._holds: list[_Hold] = []
        self._cond = threading.Condition()

    def begin(self, current_rv: int) -> _Hold:
        """Hold every event after `current_rv` until end() (call before handling a write request)."""
        hold = _Hold(current_rv + 1)
        with self._cond:
            self._holds.append(hold)
        return hold

    def narrow(self, hold: _Hold, last_rv: int) -> None:
        """The request is handled: its writes are at most `last_rv` (later events need not wait for it)."""
        with self._cond:
            hold.end = last_rv
            self._cond.notify_all()

    def end(self, hold: _Hold) -> None:
        """The response has been sent."""
        with self._cond:
            if hold in self._holds:
                self._holds.remove(hold)
            self._cond.notify_all()

    def _held(self, rv: int) -> bool:
        return any(h.start <= rv and (h.end is None or rv <= h.end) for h in self._holds)

    def wait_released(self, rv: int, timeout: float = MAX_WAIT) -> None:
        """Block until no open write hold covers `rv` (or timeout)."""
        if not self._holds:
            return
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._held(rv):
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)


_REGISTRY: weakref.WeakKeyDictionary[object, WriteHolds] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def holds_for(store: object) -> WriteHolds:
    """The write holds of one store (created on first use)."""
    with _REGISTRY_LOCK:
        holds = _REGISTRY.get(store)
        if holds is None:
            holds = _REGISTRY[store] = WriteHolds()
        return holds
