"""Kubernetes Events and structured JSON logs, as Flux's controllers emit them.

`EventRecorder.event()` writes a core/v1 Event about a Flux object (repeats are aggregated into `count`),
then hands an `EventRecord` to every sink (`add_sink`) — the notification engine forwards them to Alerts.
Trace events are stored as Normal events but never passed to sinks. `Logger` writes one JSON object per line.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine.client import ApiError, Client
from engine.jsonobj import Obj

NORMAL, WARNING, TRACE = "Normal", "Warning", "Trace"
SEVERITY = {NORMAL: "info", WARNING: "error", TRACE: "trace"}
EVENT_ANNOTATION_PREFIX = "event.toolkit.fluxcd.io/"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class EventRecord:
    """One event as the notification-controller receives it (before metadata rewriting)."""

    involved_object: Obj
    severity: str
    timestamp: str
    message: str
    reason: str
    metadata: dict[str, str]
    reporting_controller: str
    type: str = NORMAL

    def to_json(self) -> Obj:
        out: Obj = {"involvedObject": self.involved_object, "severity": self.severity,
                    "timestamp": self.timestamp, "message": self.message, "reason": self.reason}
        if self.metadata:
            out["metadata"] = self.metadata
        out.update(reportingController=self.reporting_controller, reportingInstance=self.reporting_controller)
        return out


def object_reference(obj: Obj) -> Obj:
    meta = obj.get("metadata") or {}
    return {"kind": obj.get("kind", ""), "namespace": meta.get("namespace", ""), "name": meta.get("name", ""),
            "uid": meta.get("uid", ""), "apiVersion": obj.get("apiVersion", ""),
            "resourceVersion": meta.get("resourceVersion", "")}


class EventRecorder:
    """Writes Events to the cluster (best effort: an API failure is logged, never raised)."""

    def __init__(self, client: Client | None, logger: Logger | None = None) -> None:
        self.client = client
        self.logger = logger
        self.sinks: list[Callable[[EventRecord], None]] = []
        self._seen: dict[tuple, tuple[str, str, int]] = {}
        self._lock = threading.Lock()
        self.history: collections.deque[EventRecord] = collections.deque(maxlen=1000)

    def add_sink(self, sink: Callable[[EventRecord], None]) -> None:
        """Receive every non-trace event (e.g. the Alert dispatcher)."""
        self.sinks.append(sink)

    def event(self, obj: Obj, type_: str, reason: str, message: str, *, controller: str,
              metadata: dict[str, str] | None = None) -> EventRecord:
        """Record an event about `obj`; `metadata` keys are already prefixed with the controller's group."""
        meta = dict(metadata or {})
        for key, value in ((obj.get("metadata") or {}).get("annotations") or {}).items():
            if key.startswith(EVENT_ANNOTATION_PREFIX):
                meta[key] = value
        record = EventRecord(object_reference(obj), SEVERITY[type_], _now(), message, reason, meta, controller,
                             type_)
        self.history.append(record)
        if self.client is not None:
            self._write(obj, NORMAL if type_ == TRACE else type_, reason, message, controller, meta)
        if type_ != TRACE:
            for sink in list(self.sinks):
                try:
                    sink(record)
                except Exception as exc:  # a broken sink must not break reconciliation
                    if self.logger:
                        self.logger.error("event sink failed", error=str(exc))
        return record

    def _write(self, obj: Obj, type_: str, reason: str, message: str, controller: str, meta: dict[str, str]) -> None:
        assert self.client is not None
        ref = object_reference(obj)
        namespace = ref["namespace"] or "default"
        key = (ref["uid"], type_, reason, message)
        now = _now()
        with self._lock:
            seen = self._seen.get(key)
        try:
            if seen is not None:
                name, ns, count = seen
                self.client.merge_patch("v1", "Event", name, ns, {"count": count + 1, "lastTimestamp": now})
                with self._lock:
                    self._seen[key] = (name, ns, count + 1)
                return
            name = f"{ref['name']}.{time.time_ns():x}"
            body = {
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": name, "namespace": namespace, **({"annotations": meta} if meta else {})},
                "involvedObject": {k: v for k, v in ref.items() if v},
                "reason": reason, "message": message, "type": type_,
                "source": {"component": controller},
                "reportingComponent": controller, "reportingInstance": controller,
                "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            }
            self.client.create(body)
            with self._lock:
                self._seen[key] = (name, namespace, 1)
        except ApiError as exc:
            with self._lock:
                self._seen.pop(key, None)
            if self.logger:
                self.logger.error("unable to record event", reason=reason, error=str(exc))


def list_events(client: Client, namespace: str | None = None, *, kind: str | None = None,
                name: str | None = None) -> list[Obj]:
    """Events about Flux objects, oldest first (by lastTimestamp then name)."""
    items = client.list("v1", "Event", namespace)
    out = [e for e in items
           if (kind is None or e.get("involvedObject", {}).get("kind") == kind)
           and (name is None or e.get("involvedObject", {}).get("name") == name)]
    return sorted(out, key=lambda e: (e.get("lastTimestamp") or "", _created_ns(e), e["metadata"]["name"]))


def _created_ns(event: Obj) -> int:
    suffix = event["metadata"]["name"].rpartition(".")[2]
    try:
        return int(suffix, 16)
    except ValueError:
        return 0


class LineSink(Protocol):
    """Where a Logger writes its lines: any text stream (sys.stderr) or an `AppendFile`."""

    def write(self, text: str, /) -> Any: ...

    def flush(self) -> Any: ...


class AppendFile:
    """A JSON-lines file opened for each line (`O_APPEND`): several processes may log to it; nothing to close.
    Past `max_bytes` the file moves to `<name>.1` (replacing the previous one) and a new one starts."""

    def __init__(self, path: str | Path, max_bytes: int = 10 << 20) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                if self.path.stat().st_size > self.max_bytes:
                    self.path.replace(self.path.with_name(self.path.name + ".1"))
            except FileNotFoundError:
                pass
            with self.path.open("a", encoding="utf-8") as out:
                return out.write(text)

    def flush(self) -> None:
        return None


@dataclass
class Logger:
    """JSON-lines logger: `{"level","ts","msg","controllerKind","name","namespace",...}`; keeps recent lines."""

    stream: LineSink | None = None
    level: int = logging.INFO
    fields: dict[str, Any] = field(default_factory=dict)
    records: collections.deque = field(default_factory=lambda: collections.deque(maxlen=2000))

    def bind(self, **fields: Any) -> Logger:
        """A logger sharing the same stream and buffer, with extra fields on every line."""
        return Logger(self.stream, self.level, {**self.fields, **fields}, self.records)

    def _emit(self, level: int, name: str, msg: str, extra: dict[str, Any]) -> None:
        if level < self.level:
            return
        line = {"level": name, "ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"), "msg": msg, **self.fields, **extra}
        self.records.append(line)
        if self.stream is not None:
            self.stream.write(json.dumps(line, default=str) + "\n")
            self.stream.flush()

    def debug(self, msg: str, **extra: Any) -> None:
        self._emit(logging.DEBUG, "debug", msg, extra)

    def info(self, msg: str, **extra: Any) -> None:
        self._emit(logging.INFO, "info", msg, extra)

    def error(self, msg: str, **extra: Any) -> None:
        self._emit(logging.ERROR, "error", msg, extra)

