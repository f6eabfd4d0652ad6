"""core/v1 Events written on behalf of the kubelet and controllers, aggregated like the client-go recorder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.jsonobj import Obj

from .api import GVR
from .objects import now, rfc3339

if TYPE_CHECKING:
    from .store import Store

EVENTS = GVR("", "v1", "events")
NODE_NAME = "lab-control-plane"


def involved_reference(obj: Obj) -> Obj:
    """An ObjectReference to obj, with the uid `kubectl describe` filters on."""
    m = obj.get("metadata", {})
    ref = {"kind": obj.get("kind", ""), "namespace": m.get("namespace"), "name": m.get("name", ""),
           "uid": m.get("uid", ""), "apiVersion": obj.get("apiVersion", ""),
           "resourceVersion": m.get("resourceVersion", "")}
    return {k: v for k, v in ref.items() if v is not None}


def record_event(store: Store, involved: Obj, reason: str, message: str, *, type_: str = "Normal",
                 component: str = "") -> Obj:
    """Create an Event about `involved`, or bump count/lastTimestamp of an identical recent one."""
    ref = involved_reference(involved)
    namespace = ref.get("namespace") or "default"
    source = {"component": component or "embedded-apiserver"}
    if component == "kubelet":
        source["host"] = NODE_NAME
    info = store.info(EVENTS)
    stamp = rfc3339(now())

    def same(ev: Obj) -> bool:
        return (ev.get("involvedObject", {}).get("uid") == ref.get("uid") and ev.get("reason") == reason
                and ev.get("message") == message and ev.get("type") == type_ and ev.get("source") == source)

    with store.lock:
        matches, _ = store.select(info, namespace, same)
        if matches:
            ev = matches[0]
            updated = {**ev, "count": int(ev.get("count") or 1) + 1, "lastTimestamp": stamp,
                       "metadata": dict(ev["metadata"])}
            return store.update_object(info, updated)
        n = store.resource_version + 1
        event: Obj = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{ref.get('name', 'object')}.{n:016x}", "namespace": namespace},
            "involvedObject": ref, "reason": reason, "message": message, "type": type_, "source": source,
            "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1,
            "reportingComponent": source["component"], "reportingInstance": source.get("host", ""),
        }
        return store.create_object(info, event, keep_status=True)
