"""Field specs: where in an object a transformer acts (kustomize's FieldSpec and fsslice traversal)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

from .errors import KustomizeError
from .resid import Gvk

# A setter receives the parent container and the key (or index) of the value it may change.
Setter = Callable[[Any, Any], None]


@lru_cache(maxsize=4096)
def split_path(path: str) -> tuple[str, ...]:
    """`a/b\\/c/d` -> ("a", "b/c", "d")."""
    parts: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "\\" and i + 1 < len(path) and path[i + 1] == "/":
            cur.append("/")
            i += 2
            continue
        if ch == "/":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return tuple(p for p in parts if p != "")


class FieldSpec(NamedTuple):
    """Where a transformer acts: objects selected by `gvk`, at `path`; `create` adds missing fields."""

    gvk: Gvk
    path: str
    create: bool = False

    @property
    def parts(self) -> tuple[str, ...]:
        return split_path(self.path)

    @classmethod
    def from_dict(cls, d: Any, *, where: str) -> FieldSpec:
        if not isinstance(d, dict):
            raise KustomizeError(
                f"{where}: a field spec must be a map with path, and optionally group/version/kind/create"
            )
        unknown = set(d) - {"group", "version", "kind", "path", "create"}
        if unknown:
            raise KustomizeError(f'{where}: json: unknown field "{sorted(unknown)[0]}"')
        path = d.get("path")
        if not isinstance(path, str) or not path:
            raise KustomizeError(f"{where}: a field spec needs a non-empty string 'path'")
        return cls(
            Gvk(str(d.get("group") or ""), str(d.get("version") or ""), str(d.get("kind") or "")),
            path,
            bool(d.get("create", False)),
        )

    def applies_to(self, gvk: Gvk) -> bool:
        return gvk.is_selected_by(self.gvk)


def merge_specs(specs: list[FieldSpec], incoming: list[FieldSpec]) -> list[FieldSpec]:
    """kustomize's FsSlice.MergeAll: add each spec unless one with the same path whose gvk it selects is
    present; a present one that differs in `create` is an error ("conflicting fieldspecs")."""
    out = list(specs)
    by_path: dict[str, list[FieldSpec]] = {}
    for s in out:
        by_path.setdefault(s.path, []).append(s)
    for x in incoming:
        same_path = by_path.setdefault(x.path, [])
        same = next((s for s in same_path if s.gvk.is_selected_by(x.gvk)), None)
        if same is None:
            out.append(x)
            same_path.append(x)
        elif same.create != x.create:
            raise KustomizeError("conflicting fieldspecs")
    return out


def visit(obj: Any, parts: tuple[str, ...], setter: Setter, *, create: bool, create_leaf: Any = None) -> None:
    """Walk `parts` through maps (and, implicitly, every item of lists) and call `setter(parent, key)` at the end.

    With `create`, missing intermediate maps are created; the leaf is created only when `create_leaf` is
    a factory (e.g. `dict` for a label map); a `[]` suffix marks a list segment, never created.
    """
    if isinstance(obj, list):
        for item in obj:
            visit(item, parts, setter, create=create, create_leaf=create_leaf)
        return
    if not isinstance(obj, dict) or not parts:
        return
    head = parts[0]
    is_seq = head.endswith("[]")
    if is_seq:
        head = head[:-2]
    last = len(parts) == 1
    if last:
        if head not in obj:
            if not create or create_leaf is None or is_seq:
                return
            obj[head] = create_leaf()
        elif obj[head] is None and create and create_leaf is not None and not is_seq:
            obj[head] = create_leaf()
        setter(obj, head)
        return
    child = obj.get(head)
    if child is None:
        if not create or is_seq:
            return
        child = {}
        obj[head] = child
    visit(child, parts[1:], setter, create=create, create_leaf=create_leaf)
