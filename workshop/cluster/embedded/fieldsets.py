"""Field sets of objects of one kind, fast: schema lookups cached, diffs that skip shared subtrees.

`FieldSets.leaves` lists every member path of an object with its value; `FieldSets.diff` gives the changed
and removed paths between two versions of an object without listing the paths both share unchanged.
Server-side apply computes both on every write.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from engine.patch import PatchError
from engine.patch.schema import ListStrategy, is_atomic_map, list_strategy

from .fieldpath import ITEM, Path, key_pe, path_string, value_pe

Names = tuple[str, ...]
_CONTAINERS = (dict, list)
_ABSENT: Any = object()
_CACHE_LIMIT = 4096


class FieldSets:
    """Field sets and field-set diffs of the objects of one apiVersion/kind."""

    def __init__(self, api_version: str, kind: str) -> None:
        self.api_version = api_version
        self.kind = kind
        self._lists: dict[Names, ListStrategy] = {}
        self._atomic: dict[Names, bool] = {}

    def list_strategy(self, names: Names) -> ListStrategy:
        """The list strategy at a field-name path (list items transparent), as engine.patch.schema gives it."""
        found = self._lists.get(names)
        if found is None:
            if len(self._lists) >= _CACHE_LIMIT:
                self._lists.clear()
            found = self._lists[names] = list_strategy(self.api_version, self.kind, names)
        return found

    def atomic_map(self, names: Names) -> bool:
        """Whether the map at a field-name path is an atomic struct."""
        found = self._atomic.get(names)
        if found is None:
            if len(self._atomic) >= _CACHE_LIMIT:
                self._atomic.clear()
            found = self._atomic[names] = is_atomic_map(self.api_version, self.kind, names)
        return found

    def leaves(self, obj: dict) -> dict[Path, Any]:
        """Every member path of `obj` with its value (ITEM for associative list items)."""
        out: dict[Path, Any] = {}
        self._fields(obj, (), (), out)
        return out

    def diff(self, before: dict, after: dict) -> tuple[set[Path], set[Path]]:
        """(changed, removed): paths of `after` that are new or hold another value, and paths only `before` has."""
        changed: set[Path] = set()
        removed: set[Path] = set()
        self._diff_fields(before, after, (), (), changed, removed)
        return changed, removed

    def _fields(self, obj: dict, path: Path, names: Names, out: dict[Path, Any]) -> None:
        for key, value in obj.items():
            self._walk(value, path + ("f:" + key,), names + (key,), out)

    def _walk(self, node: Any, path: Path, names: Names, out: dict[Path, Any]) -> None:
        if isinstance(node, dict):
            if not node or self.atomic_map(names):
                out[path] = node
            else:
                self._fields(node, path, names, out)
        elif isinstance(node, list):
            strategy = self.list_strategy(names)
            if strategy.type == "atomic" or not node:
                out[path] = node
            elif strategy.type == "set":
                for value in node:
                    out[path + (value_pe(value),)] = value
            else:
                for i, item in enumerate(node):
                    item_path = path + (_key_pe(item, strategy, path, i),)
                    out[item_path] = ITEM
                    self._fields(item, item_path, names, out)
        else:
            out[path] = node

    def _subtree(self, node: Any, path: Path, names: Names) -> dict[Path, Any]:
        out: dict[Path, Any] = {}
        self._walk(node, path, names, out)
        return out

    def _diff_fields(
        self, before: dict, after: dict, path: Path, names: Names, changed: set[Path], removed: set[Path]
    ) -> None:
        for key, new in after.items():
            old = before.get(key, _ABSENT)
            if old is new:
                continue
            child = path + ("f:" + key,)
            if old is _ABSENT:
                changed.update(self._subtree(new, child, names + (key,)))
            elif isinstance(new, _CONTAINERS) or isinstance(old, _CONTAINERS):
                self._diff_node(old, new, child, names + (key,), changed, removed)
            elif old != new or type(old) is not type(new):
                changed.add(child)
        for key, old in before.items():
            if key not in after:
                removed.update(self._subtree(old, path + ("f:" + key,), names + (key,)))

    def _diff_node(
        self, before: Any, after: Any, path: Path, names: Names, changed: set[Path], removed: set[Path]
    ) -> None:
        if isinstance(before, dict) and isinstance(after, dict):
            if before and after and not self.atomic_map(names):
                self._diff_fields(before, after, path, names, changed, removed)
                return
        elif isinstance(before, list) and isinstance(after, list) and before and after:
            strategy = self.list_strategy(names)
            if strategy.type == "map" and self._diff_items(before, after, strategy, path, names, changed, removed):
                return
        _compare(self._subtree(before, path, names), self._subtree(after, path, names), changed, removed)

    def _diff_items(
        self,
        before: list,
        after: list,
        strategy: ListStrategy,
        path: Path,
        names: Names,
        changed: set[Path],
        removed: set[Path],
    ) -> bool:
        """Diff two associative lists item by item; False (nothing done) when one repeats a key."""
        old_items = _by_key(before, strategy, path)
        new_items = _by_key(after, strategy, path)
        if old_items is None or new_items is None:
            return False
        for pe, item in new_items.items():
            item_path = path + (pe,)
            old = old_items.get(pe)
            if old is None:
                changed.add(item_path)
                item_leaves: dict[Path, Any] = {}
                self._fields(item, item_path, names, item_leaves)
                changed.update(item_leaves)
            elif old is not item:
                self._diff_fields(old, item, item_path, names, changed, removed)
        for pe, item in old_items.items():
            if pe not in new_items:
                item_path = path + (pe,)
                removed.add(item_path)
                item_leaves = {}
                self._fields(item, item_path, names, item_leaves)
                removed.update(item_leaves)
        return True


@lru_cache(maxsize=256)
def field_sets(api_version: str, kind: str) -> FieldSets:
    """The (shared, cached) FieldSets of one apiVersion/kind."""
    return FieldSets(api_version, kind)


def _key_pe(item: Any, strategy: ListStrategy, path: Path, i: int) -> str:
    """key_pe, with the item's location (costly to spell) only worked out for an error."""
    try:
        return key_pe(item, strategy)
    except PatchError:
        return key_pe(item, strategy, f"{path_string(path)}[{i}]")


def _by_key(items: list, strategy: ListStrategy, path: Path) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for i, item in enumerate(items):
        pe = _key_pe(item, strategy, path, i)
        if pe in out:
            return None
        out[pe] = item
    return out


def _compare(before: dict[Path, Any], after: dict[Path, Any], changed: set[Path], removed: set[Path]) -> None:
    for path, new in after.items():
        old = before.get(path, _ABSENT)
        if old is _ABSENT or old != new or type(old) is not type(new):
            changed.add(path)
    removed.update(before.keys() - after.keys())
