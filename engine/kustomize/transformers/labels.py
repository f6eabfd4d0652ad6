"""commonLabels, labels and commonAnnotations: add string pairs to maps named by field specs."""

from __future__ import annotations

from typing import Any

from ..errors import KustomizeError
from ..fieldspec import FieldSpec, visit
from ..resmap import ResMap


def add_pairs(resmap: ResMap, pairs: dict[str, Any], specs: list[FieldSpec], *, what: str = "labels") -> None:
    """Set every pair in each map the field specs reach (creating maps where a spec says `create`)."""
    if not pairs:
        return
    values = {str(k): "" if v is None else str(v) for k, v in pairs.items()}

    for r in resmap.resources():
        gvk = r.gvk

        def setter(parent: Any, key: Any, r: Any = r) -> None:
            node = parent[key]
            if node is None:
                node = parent[key] = {}
            if not isinstance(node, dict):
                raise KustomizeError(
                    f"cannot add {what} to {r.cur_id()}: field '{key}' is a {type(node).__name__}, not a map"
                )
            node.update(values)

        for fs in specs:
            if fs.applies_to(gvk):
                visit(r.obj, fs.parts, setter, create=fs.create, create_leaf=dict)
