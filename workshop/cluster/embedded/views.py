"""Resources served as views of another resource's objects: events.k8s.io/v1 Events over the core/v1 Events.

Kubernetes keeps one Event object that both APIs serve: an Event created through events.k8s.io/v1 is listed by
`kubectl get events` and the other way round. The store keeps the core/v1 form; a view converts on every read
and write (field names as in Kubernetes' events/v1 conversion) and maps its field-selector labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.jsonobj import Obj

GR = tuple[str, str]

#: events.k8s.io/v1 field -> core/v1 field; fields not listed (eventTime, series, action, reason, type,
#: related, reportingInstance) have the same name in both.
EVENTS_TO_CORE: dict[str, str] = {
    "note": "message",
    "regarding": "involvedObject",
    "reportingController": "reportingComponent",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}
CORE_TO_EVENTS: dict[str, str] = {core: events for events, core in EVENTS_TO_CORE.items()}

_REGARDING = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
#: events.k8s.io/v1 field-selector labels -> the core/v1 label they select on (as the Kubernetes API server maps them)
EVENTS_FIELD_LABELS: dict[str, str] = {
    **{f"regarding.{f}": f"involvedObject.{f}" for f in _REGARDING},
    "reportingController": "reportingComponent",
    "reason": "reason",
    "source": "source",
    "type": "type",
    "metadata.name": "metadata.name",
    "metadata.namespace": "metadata.namespace",
}


def _renamed(obj: Obj, names: dict[str, str], api_version: str) -> Obj:
    """obj with fields renamed (order kept); a field already in the target form stays unless its source is there."""
    out: Obj = {"apiVersion": api_version, "kind": obj.get("kind", "Event")}
    sources = {target: source for source, target in names.items()}
    for key, value in obj.items():
        if key in ("apiVersion", "kind"):
            continue
        if key in names:
            out[names[key]] = value
        elif key not in sources or sources[key] not in obj:
            out[key] = value
    return out


def events_to_core(obj: Obj) -> Obj:
    """An events.k8s.io/v1 Event in its core/v1 form (a new top-level map; nested values are shared)."""
    return _renamed(obj, EVENTS_TO_CORE, "v1")


def core_to_events(obj: Obj) -> Obj:
    """A core/v1 Event in its events.k8s.io/v1 form (a new top-level map; nested values are shared)."""
    return _renamed(obj, CORE_TO_EVENTS, "events.k8s.io/v1")


@dataclass(frozen=True)
class View:
    """A resource whose objects live in `storage`, converted on the way in and out."""

    storage: GR
    to_storage: Callable[[Obj], Obj]
    from_storage: Callable[[Obj], Obj]
    field_labels: dict[str, str] = field(default_factory=dict)


VIEWS: dict[GR, View] = {
    ("events.k8s.io", "events"): View(("", "events"), events_to_core, core_to_events, EVENTS_FIELD_LABELS),
}


def view_of(group_resource: GR) -> View | None:
    """The view a group-resource is served through, or None for a resource stored as itself."""
    return VIEWS.get(group_resource)


def storage_of(group_resource: GR) -> GR:
    """The group-resource whose stored objects serve this one."""
    view = VIEWS.get(group_resource)
    return view.storage if view is not None else group_resource
