"""Server-side apply and field ownership (metadata.managedFields) for the embedded API server; pure functions.

`server_side_apply` handles `application/apply-patch+yaml` PATCH requests; `record_update` records which
manager changed which fields on every other write (POST, PUT, non-apply PATCH). Both follow the
structured-merge-diff rules Kubernetes uses: field sets in FieldsV1, conflicts with other managers when an
apply changes a value they own, removal of fields an applier stopped applying and nobody else owns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.jsonobj import Obj
from workshop.cluster.embedded.fieldpath import Path, decode_fields_v1, encode_fields_v1, path_string
from workshop.cluster.embedded.fieldsets import FieldSets, field_sets
from workshop.cluster.embedded.structured import StructuredMerge, drop_nulls

from .errors import ApiError
from .objects import clone

BEFORE_FIRST_APPLY = "before-first-apply"
SERVER_METADATA = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
        "managedFields",
    }
)


@dataclass(frozen=True)
class Conflict:
    """One field another manager owns and an apply would change."""

    manager: str
    operation: str
    api_version: str
    subresource: str | None
    path: Path

    @property
    def field(self) -> str:
        return path_string(self.path)

    @property
    def owner(self) -> str:
        """The manager as Kubernetes prints it: `"kubectl-client-side-apply" using apps/v1` for Update owners."""
        text = f'"{self.manager}"'
        if self.subresource:
            text += f' with subresource "{self.subresource}"'
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


class ApplyConflict(ApiError):
    """409 Conflict: the apply changes fields other managers own; re-apply with force to take them over."""

    def __init__(self, found: list[Conflict]) -> None:
        self.found = found
        self.conflicts: list[tuple[str, str]] = [(c.manager, c.field) for c in found]
        causes = [
            {"type": "FieldManagerConflict", "message": f"conflict with {c.owner}", "field": c.field}
            for c in found
        ]
        plural = "" if len(found) == 1 else "s"
        super().__init__(
            409,
            "Conflict",
            f"Apply failed with {len(found)} conflict{plural}: {_summary(found)}",
            {"causes": causes},
        )

    @property
    def causes(self) -> list[Obj]:
        """The Status `details.causes` (reason FieldManagerConflict, message, field) as Kubernetes sends them."""
        return [
            {"reason": c["type"], "message": c["message"], "field": c["field"]}
            for c in self.details["causes"]
        ]


def _summary(found: list[Conflict]) -> str:
    if len(found) == 1:
        return f"conflict with {found[0].owner}: {found[0].field}"
    by_owner: dict[str, list[str]] = {}
    for c in found:
        by_owner.setdefault(c.owner, []).append(c.field)
    lines: list[str] = []
    for owner in sorted(by_owner):
        lines.append(f"conflicts with {owner}:")
        lines.extend(f"- {f}" for f in by_owner[owner])
    return "\n".join(lines)


@dataclass
class _Entry:
    manager: str
    operation: str
    api_version: str
    subresource: str | None
    time: str | None
    fields: set[Path] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str, str, str | None]:
        return (
            self.manager,
            self.operation,
            self.api_version if self.operation == "Update" else "",
            self.subresource,
        )

    def encode(self) -> Obj:
        out: Obj = {"manager": self.manager, "operation": self.operation, "apiVersion": self.api_version}
        if self.time:
            out["time"] = self.time
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = encode_fields_v1(self.fields)
        if self.subresource:
            out["subresource"] = self.subresource
        return out


def decode_managed_fields(obj: Obj | None) -> list[_Entry]:
    """The managedFields entries of an object (FieldsV1 decoded into path sets)."""
    raw = ((obj or {}).get("metadata") or {}).get("managedFields") or []
    entries = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not entry.get("manager") and not entry.get("fieldsV1"):
            continue
        if entry.get("fieldsType", "FieldsV1") != "FieldsV1":
            raise ValueError(f"metadata.managedFields[{i}].fieldsType: only FieldsV1 is supported")
        entries.append(
            _Entry(
                manager=str(entry.get("manager", "")),
                operation=str(entry.get("operation", "Update")),
                api_version=str(entry.get("apiVersion", "")),
                subresource=entry.get("subresource") or None,
                time=entry.get("time"),
                fields=decode_fields_v1(entry.get("fieldsV1") or {}),
            )
        )
    return entries


def encode_managed_fields(entries: list[_Entry]) -> list[Obj]:
    """Entries in Kubernetes' order: Apply before Update, then by time, manager, apiVersion, subresource."""
    ordered = sorted(
        (e for e in entries if e.fields),
        key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource or ""),
    )
    return [e.encode() for e in ordered]


def managed_paths(obj: Obj, *, subresource: str | None = None) -> dict[Path, Any]:
    """Every field path ownership is tracked for, with its value (server-owned fields excluded)."""
    return _field_sets(obj).leaves(_tracked(obj, subresource))


def _field_sets(obj: Obj) -> FieldSets:
    return field_sets(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))


def _tracked(obj: Obj | None, subresource: str | None) -> Obj:
    """The part of an object field managers own: no apiVersion/kind, no server metadata, status only on /status."""
    if not obj:
        return {}
    if subresource == "status":
        return {"status": obj["status"]} if "status" in obj else {}
    out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "status")}
    if isinstance(out.get("metadata"), dict):
        out["metadata"] = {k: v for k, v in out["metadata"].items() if k not in SERVER_METADATA}
        if not out["metadata"]:
            del out["metadata"]
    return out


def _now(now: str | None) -> str:
    return now or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entries_for(live: Obj | None, *, apply: bool) -> list[_Entry]:
    entries = decode_managed_fields(live)
    if apply and live is not None and not entries:
        owned = set(managed_paths(live))
        if owned:
            entries = [
                _Entry(BEFORE_FIRST_APPLY, "Update", str(live.get("apiVersion", "")), None, None, owned)
            ]
    return entries


def server_side_apply(
    live: Obj | None,
    applied: Obj,
    *,
    manager: str,
    force: bool = False,
    now: str | None = None,
    subresource: str | None = None,
) -> Obj:
    """The object after `manager` applies `applied` to `live` (None: create), with updated managedFields.

    Raises ApplyConflict when another manager owns a field whose value would change and `force` is False.
    """
    if not manager:
        raise ValueError("server-side apply needs a field manager (the fieldManager query parameter)")
    if not isinstance(applied, dict):
        raise ValueError(f"an applied configuration must be an object, got {type(applied).__name__}")
    applied = drop_nulls(applied)
    api_version = str(applied.get("apiVersion") or (live or {}).get("apiVersion", ""))
    kind = str(applied.get("kind") or (live or {}).get("kind", ""))
    sets = field_sets(api_version, kind)
    merger = StructuredMerge(sets.list_strategy, sets.atomic_map)

    entries = _entries_for(live, apply=True)
    me = _Entry(manager, "Apply", api_version, subresource, None)
    previous = next((e for e in entries if e.key == me.key), None)
    others = [e for e in entries if e.key != me.key]

    config = _tracked(applied, subresource)
    config_paths = set(sets.leaves(config))
    base = _without_managed_fields(live) if live is not None else _skeleton(applied)
    result = merger.merge(base, config)

    if previous is not None:
        owned_elsewhere = set().union(*(e.fields for e in others)) if others else set()
        keep = config_paths | owned_elsewhere
        stale = previous.fields - keep
        if stale:
            result = clone(result)
            merger.remove(result, stale, keep)

    before = _tracked(base, subresource) if live is not None else {}
    changed, removed = sets.diff(before, _tracked(result, subresource))

    conflicts = [
        Conflict(e.manager, e.operation, e.api_version, e.subresource, p)
        for e in others
        for p in sorted(e.fields & changed)
    ]
    if conflicts and not force:
        raise ApplyConflict(conflicts)
    for e in others:
        e.fields -= changed | removed

    me.fields = config_paths
    unchanged = previous is not None and previous.fields == me.fields and not changed and not removed
    me.time = previous.time if unchanged and previous is not None else _now(now)
    _store(result, others + [me])
    return result


def record_update(
    old: Obj | None,
    new: Obj,
    *,
    manager: str,
    now: str | None = None,
    subresource: str | None = None,
) -> Obj:
    """`new` with managedFields updated for an Update by `manager`: the fields it changed become its own.

    managedFields sent in `new` are honoured when not empty (an explicit write, e.g. a JSON patch on
    /metadata/managedFields); `[{}]` resets them; otherwise the old object's entries carry over.
    """
    if not manager:
        raise ValueError("an update needs a field manager name")
    result = _without_managed_fields(new, keep_slot=True)
    sent = (new.get("metadata") or {}).get("managedFields")
    if sent == [{}]:
        entries: list[_Entry] = []
    elif sent:
        entries = decode_managed_fields(new)
    else:
        entries = decode_managed_fields(old)
    api_version = str(new.get("apiVersion", ""))
    before = _tracked(old, subresource) if old is not None else {}
    changed, removed = _field_sets(new).diff(before, _tracked(new, subresource))

    me = _Entry(manager, "Update", api_version, subresource, None)
    mine = next((e for e in entries if e.key == me.key), None)
    others = [e for e in entries if e.key != me.key]
    for e in others:
        e.fields -= changed | removed
    fields = ((mine.fields if mine else set()) - removed) | changed
    if mine is not None and mine.fields == fields:
        me.time = mine.time
    else:
        me.time = _now(now)
    me.fields = fields
    _store(result, others + [me])
    return result


def _without_managed_fields(obj: Obj, *, keep_slot: bool = False) -> Obj:
    """A deep copy of `obj` except metadata.managedFields, which the caller rebuilds (copying it is wasted).

    keep_slot keeps the (uncopied) entry where it is, so the rebuilt one takes its place in the key order.
    """
    out: Obj = {}
    for key, value in obj.items():
        if key == "metadata" and isinstance(value, dict):
            out[key] = {
                k: v if k == "managedFields" else clone(v)
                for k, v in value.items()
                if keep_slot or k != "managedFields"
            }
        else:
            out[key] = clone(value)
    return out


def _skeleton(applied: Obj) -> Obj:
    metadata = applied.get("metadata") or {}
    out: Obj = {"apiVersion": applied.get("apiVersion"), "kind": applied.get("kind"), "metadata": {}}
    for key in ("name", "namespace", "generateName"):
        if key in metadata:
            out["metadata"][key] = metadata[key]
    return out


def _store(obj: Obj, entries: list[_Entry]) -> None:
    encoded = encode_managed_fields(entries)
    metadata = obj.setdefault("metadata", {})
    if encoded:
        metadata["managedFields"] = encoded
    else:
        metadata.pop("managedFields", None)
