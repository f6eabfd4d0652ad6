"""The `replicas:` field: set spec.replicas on workloads found by (original or current) name."""

from __future__ import annotations

from typing import Any

from ..errors import KustomizeError
from ..fieldspec import FieldSpec, visit
from ..resmap import ResMap


def set_replicas(resmap: ResMap, entry: dict[str, Any], specs: list[FieldSpec]) -> None:
    name = str(entry.get("name") or "")
    count = entry.get("count", 0)
    found = False
    for fs in specs:
        matches = [
            r
            for r in resmap.resources()
            if any(i.name == name and i.gvk.is_selected_by(fs.gvk) for i in r.all_ids())
        ]
        if not matches:
            continue
        found = True
        for r in matches:
            if fs.applies_to(r.gvk):
                visit(
                    r.obj, fs.parts, lambda p, k: p.__setitem__(k, count), create=fs.create, create_leaf=int
                )
    if not found:
        gvks = " ".join(str(fs.gvk) for fs in specs)
        raise KustomizeError(
            f"resource with name {name} does not match a config with the following GVK [{gvks}]"
        )
