"""A watch response: newline-delimited JSON events, resumable from a resourceVersion, filtered per event."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator

from engine.jsonobj import Obj

from . import tables
from .errors import ApiError
from .resources import ResourceInfo
from .selectors import Predicate
from .store import Change, Store, Watcher
from .views import storage_of
from .watch_order import holds_for

TICK = 0.5
BOOKMARK_EVERY = 10.0


class WatchStream:
    """Yields encoded event lines, or None as a heartbeat so the transport can check the client is still there."""

    def __init__(self, store: Store, info: ResourceInfo, namespace: str | None, pred: Predicate | None, *,
                 since: int | None, timeout: float, bookmarks: bool, table: bool, query: dict[str, str],
                 initial_events: bool = False) -> None:
        self.store = store
        self.info = info
        self.namespace = namespace
        self.pred = pred
        self.since = since
        self.deadline = time.monotonic() + max(0.0, timeout)
        self.bookmarks = bookmarks
        self.table = table
        self.query = query
        self.initial_events = initial_events
        self._watcher: Watcher | None = None
        self.holds = holds_for(store)
        self._sent_columns = False
        self._closed = False

    def close(self) -> None:
        self._closed = True
        if self._watcher is not None:
            self.store.unwatch(self._watcher)
            self._watcher = None

    def _matches(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        if self.namespace and obj["metadata"].get("namespace") != self.namespace:
            return False
        return self.pred is None or self.pred(obj)

    def _event(self, type_: str, obj: Obj) -> bytes:
        rendered = self.store.render(self.info, obj)
        if self.table:
            body = tables.table(self.info, [rendered], rendered["metadata"].get("resourceVersion", ""), self.query)
            if self._sent_columns:
                body["columnDefinitions"] = []
            self._sent_columns = True
            rendered = body
        return json.dumps({"type": type_, "object": rendered}, separators=(",", ":")).encode() + b"\n"

    def _bookmark(self, rv: int, end_of_initial: bool = False) -> bytes:
        md: Obj = {"resourceVersion": str(rv)}
        if end_of_initial:
            md["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": self.info.kind, "apiVersion": self.info.api_version, "metadata": md}
        return json.dumps({"type": "BOOKMARK", "object": obj}, separators=(",", ":")).encode() + b"\n"

    def _translate(self, change: Change) -> bytes | None:
        if change.gr != storage_of(self.info.group_resource):
            return None
        new_match = self._matches(change.obj)
        if change.type == "ADDED":
            return self._event("ADDED", change.obj) if new_match else None
        old_match = self._matches(change.old)
        if change.type == "DELETED":
            return self._event("DELETED", change.obj) if old_match or new_match else None
        if new_match and old_match:
            return self._event("MODIFIED", change.obj)
        if new_match:
            return self._event("ADDED", change.obj)
        if old_match:
            return self._event("DELETED", change.obj)
        return None

    def __iter__(self) -> Iterator[bytes | None]:
        try:
            yield from self._run()
        finally:
            self.close()

    def _run(self) -> Iterator[bytes | None]:
        store = self.store
        try:
            with store.lock:
                watcher, replay, rv = store.watch(storage_of(self.info.group_resource), self.since)
                self._watcher = watcher
                initial: list[Obj] = []
                if self.since is None:
                    initial, rv = store.select(self.info, self.namespace, self.pred)
        except ApiError as e:
            err = {"type": "ERROR", "object": e.status()}
            yield json.dumps(err, separators=(",", ":")).encode() + b"\n"
            return
        last_rv = self.since or rv
        for obj in initial:
            yield self._event("ADDED", obj)
        if self.initial_events:
            yield self._bookmark(rv, end_of_initial=True)
        for past in replay:
            self.holds.wait_released(past.rv)
            line = self._translate(past)
            last_rv = past.rv
            if line:
                yield line
        last_sent = time.monotonic()
        while not self._closed:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                change = watcher.inbox.get(timeout=min(TICK, remaining))
            except queue.Empty:
                if self.bookmarks and time.monotonic() - last_sent > BOOKMARK_EVERY:
                    last_sent = time.monotonic()
                    yield self._bookmark(max(last_rv, 1))
                else:
                    yield None
                continue
            if change is None:
                return
            last_rv = change.rv
            self.holds.wait_released(change.rv)  # never ahead of the response of the write that made it
            line = self._translate(change)
            if line:
                last_sent = time.monotonic()
                yield line
