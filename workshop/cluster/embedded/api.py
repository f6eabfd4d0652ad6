"""The in-process contract between the embedded API server's store and the simulated cluster controllers.

The server (store, HTTP, watch) implements ObjectStore; the simulation (defaults, validation, workload
controllers) is written against it and never touches HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from engine.jsonobj import Obj


class GVR(NamedTuple):
    """A served resource: group ('' for core), version, plural resource name."""

    group: str
    version: str
    resource: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass(frozen=True)
class WatchEvent:
    """One change in the store: type is ADDED, MODIFIED or DELETED; obj is the object after the change."""

    type: str
    gvr: GVR
    obj: Obj


class StoreError(Exception):
    """A store operation failed the way the API would answer: code 404/409/422, reason NotFound/Conflict/..."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message


class ObjectStore(Protocol):
    """What the simulation may do to the cluster state. Objects are plain JSON dicts as served."""

    def get(self, gvr: GVR, namespace: str | None, name: str) -> Obj | None: ...

    def list(self, gvr: GVR, namespace: str | None = None, label_selector: str | None = None, *,
             where: Callable[[Obj], bool] | None = None, controller_uid: str | None = None) -> list[Obj]:
        """Objects sorted by namespace and name; `where` sees each stored object (read-only) before it is copied;
        `controller_uid` keeps the objects whose controller ownerReference has that uid."""
        ...

    def create(self, gvr: GVR, obj: Obj) -> Obj:
        """Create; sets uid, resourceVersion, creationTimestamp, generation; runs defaults. StoreError 409 if it exists."""
        ...

    def update(self, gvr: GVR, obj: Obj, *, subresource: str | None = None) -> Obj:
        """Replace; with subresource='status' only .status changes. Checks resourceVersion when set (409 on mismatch)."""
        ...

    def delete(self, gvr: GVR, namespace: str | None, name: str, *, propagation: str = "Background") -> None: ...

    def subscribe(self, callback: Callable[[WatchEvent], None]) -> None:
        """Call back (from the store's own thread, after the write is committed) on every change."""
        ...

    def record_event(self, involved: Obj, reason: str, message: str, *, type_: str = "Normal",
                     component: str = "") -> None:
        """Write a core/v1 Event about an object, as the kubelet or a controller would."""
        ...
