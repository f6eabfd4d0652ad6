"""The simulation's building blocks: simulated time (Clock), what a controller may use (Context), and the Controller protocol."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from workshop.cluster.embedded.api import Obj, ObjectStore, StoreError, WatchEvent

from .common import timestamp

log = logging.getLogger(__name__)

Key = tuple[str, str | None, str]
"""(controller name, namespace, object name)"""


class Clock:
    """Simulated time: wall-clock time plus whatever a lab has fast-forwarded with advance()."""

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._source = now or (lambda: datetime.now(UTC))
        self._offset = timedelta()

    def now(self) -> datetime:
        return self._source() + self._offset

    def stamp(self) -> str:
        return timestamp(self.now())

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)


class Context:
    """What a controller may use: the store, the clock, requeue/timer helpers and the image oracle."""

    def __init__(self, store: ObjectStore, clock: Clock, image_available: Callable[[str], bool],
                 enqueue: Callable[[Key], None], schedule: Callable[[Key, datetime], None]) -> None:
        self.store = store
        self.clock = clock
        self.image_available = image_available
        self.enqueue = enqueue
        self.schedule = schedule

    def event(self, involved: Obj, reason: str, message: str, *, type_: str = "Normal",
              component: str = "") -> None:
        try:
            self.store.record_event(involved, reason, message, type_=type_, component=component)
        except StoreError as err:
            log.debug("event %s on %s not recorded: %s", reason, involved.get("metadata", {}).get("name"), err)


class Controller(Protocol):
    """One simulated control loop."""

    name: str

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        """Which objects of this controller must be reconciled after this store change."""
        ...

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None: ...
