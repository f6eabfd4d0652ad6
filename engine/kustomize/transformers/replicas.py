"""The `replicas:` field: set spec.replicas on workloads found by (original or current) name."""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

from ..errors import KustomizeError
from ..fieldspec import FieldSpec, visit
from ..resid import ResId
from ..resmap import ResMap
from ..resource import Resource


def _set(count: Any, parent: Any, key: Any) -> None:
    parent[key] = count


def set_replicas(resmap: ResMap, entries: list[dict[str, Any]], specs: list[FieldSpec]) -> None:
    """Apply each entry in order; an entry whose name matches no workload kind is an error."""
    if not entries:
        return
    by_name: dict[str, list[tuple[Resource, list[ResId]]]] = defaultdict(list)
    for r in resmap.resources():
        ids = r.all_ids()
        for name in dict.fromkeys(i.name for i in ids):
            by_name[name].append((r, ids))
    for entry in entries:
        name = str(entry.get("name") or "")
        count = entry.get("count", 0)
        found = False
        for fs in specs:
            matches = [
                r
                for r, ids in by_name.get(name, ())
                if any(i.name == name and i.gvk.is_selected_by(fs.gvk) for i in ids)
            ]
            if not matches:
                continue
            found = True
            for r in matches:
                if fs.applies_to(r.gvk):
                    visit(
                        r.obj,
                        fs.parts,
                        partial(_set, count),
                        create=fs.create,
                        create_leaf=int,
                    )
        if not found:
            gvks = " ".join(str(fs.gvk) for fs in specs)
            raise KustomizeError(
                f"resource with name {name} does not match a config with the following GVK [{gvks}]"
            )
