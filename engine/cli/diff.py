"""`gitops diff kustomization`: server-side dry-run against the cluster, reported as flux does (dyff-like)."""

from __future__ import annotations

from typing import Any

import yaml

from engine.cli.session import Session
from engine.client import ApiError

Obj = dict[str, Any]


def _subject(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj['kind']}/{ns}/{meta['name']}" if ns else f"{obj['kind']}/{meta['name']}"


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    if items and all(isinstance(i, dict) and "name" in i for i in items):
        return {str(i["name"]): i for i in items}
    return None


def changes(old: Any, new: Any, path: str = "") -> list[str]:
    """Leaf differences as dyff prints them: path, `± value change`, `- old`, `+ new`."""
    if isinstance(old, list) and isinstance(new, list):
        ko, kn = _keyed(old), _keyed(new)
        if ko is not None and kn is not None:
            old, new = ko, kn
        else:
            old, new = {str(i): v for i, v in enumerate(old)}, {str(i): v for i, v in enumerate(new)}
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        added = {k: v for k, v in new.items() if k not in old}
        removed = {k: v for k, v in old.items() if k not in new}
        if added:
            out += [path or "(root level)", f"  + {_count(added)} added:"] + _indent(added)
        if removed:
            out += [path or "(root level)", f"  - {_count(removed)} removed:"] + _indent(removed)
        for k in old:
            if k in new:
                out += changes(old[k], new[k], f"{path}.{k}" if path else str(k))
        return out
    if old == new:
        return []
    return [path, "  ± value change", f"    - {_scalar(old)}", f"    + {_scalar(new)}"]


def _count(d: dict[str, Any]) -> str:
    return "one map entry" if len(d) == 1 else f"{len(d)} map entries"


def _indent(d: dict[str, Any]) -> list[str]:
    return ["    " + ln for ln in yaml.safe_dump(d, sort_keys=False).splitlines()]


def _scalar(v: Any) -> str:
    return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()


def diff_objects(s: Session, ks: Obj, objects: list[Obj]) -> list[str]:
    from engine.kustomization.apply import FIELD_MANAGER, _comparable
    from engine.kustomization.inventory import ObjMeta

    lines: list[str] = []
    built: set[str] = set()
    for obj in objects:
        meta = obj["metadata"]
        if not meta.get("namespace"):
            try:
                if s.client.is_namespaced(obj["apiVersion"], obj["kind"]):
                    meta["namespace"] = "default"
            except ApiError:
                pass
        built.add(ObjMeta.of(obj).id)
        existing = s.client.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        if existing is None:
            lines.append(f"► {_subject(obj)} created")
            continue
        dry = s.client.apply(obj, field_manager=FIELD_MANAGER, dry_run=True)
        before, after = _comparable(existing), _comparable(dry)
        if before != after:
            lines += [f"► {_subject(obj)} drifted", ""] + changes(before, after) + [""]
    if (ks.get("spec") or {}).get("prune"):
        for entry in ((ks.get("status") or {}).get("inventory") or {}).get("entries") or []:
            if entry["id"] not in built:
                lines.append(f"► {ObjMeta.parse(entry).subject} deleted")
    return lines
