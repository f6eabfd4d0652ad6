"""The test oracle for engine.patch's server-side apply machinery: slow, obviously correct, test-only.

workshop.cluster.embedded.fieldsets.FieldSets (leaves, diff), workshop.cluster.embedded.fieldpath's FieldsV1 encoding and
workshop.cluster.embedded.structured.StructuredMerge.merge are built for speed (caches, diffs that skip shared subtrees,
cheap copies). The functions here spell out the same rules in the plainest way (walk everything, compare
everything, deepcopy everything); the differential tests in test_fieldsets.py require both to agree on
randomly edited objects. Only item_keys (which key fields identify an item) and path_string (how errors
spell a path) come from the engine: their own tests pin them down.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from engine.patch.errors import PatchError
from engine.patch.schema import ListStrategy, is_atomic_map, list_strategy
from workshop.cluster.embedded.fieldpath import ITEM, ListLookup, MapLookup, Path, item_keys, path_string
from workshop.cluster.embedded.structured import StructuredMerge


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _names(path: Path) -> tuple[str, ...]:
    return tuple(pe[2:] for pe in path if pe.startswith("f:"))


def _key_pe(item: Any, strategy: ListStrategy, where: str) -> str:
    return "k:" + _json(item_keys(item, strategy, where))


class Walker:
    """Field sets of one kind: every member path of an object with its value (ITEM for associative items)."""

    def __init__(self, api_version: str, kind: str) -> None:
        self.lists: ListLookup = lambda p: list_strategy(api_version, kind, p)
        self.atomic_maps: MapLookup = lambda p: is_atomic_map(api_version, kind, p)

    def leaves(self, obj: dict) -> dict[Path, Any]:
        out: dict[Path, Any] = {}
        for key, value in obj.items():
            self._walk(value, ("f:" + key,), out)
        return out

    def _walk(self, node: Any, path: Path, out: dict[Path, Any]) -> None:
        if isinstance(node, dict):
            if not node or self.atomic_maps(_names(path)):
                out[path] = node
                return
            for key, value in node.items():
                self._walk(value, path + ("f:" + key,), out)
        elif isinstance(node, list):
            strategy = self.lists(_names(path))
            if strategy.type == "atomic" or not node:
                out[path] = node
            elif strategy.type == "set":
                for value in node:
                    out[path + ("v:" + _json(value),)] = value
            else:
                for i, item in enumerate(node):
                    item_path = path + (_key_pe(item, strategy, f"{path_string(path)}[{i}]"),)
                    out[item_path] = ITEM
                    for key, value in item.items():
                        self._walk(value, item_path + ("f:" + key,), out)
        else:
            out[path] = node

    def diff(self, before: dict, after: dict) -> tuple[set[Path], set[Path]]:
        """(changed, removed), from the complete field sets of both versions."""
        b, a = self.leaves(before), self.leaves(after)
        changed = {p for p, v in a.items() if p not in b or b[p] != v or type(b[p]) is not type(v)}
        return changed, set(b) - set(a)


def to_fields_v1(paths: Iterable[Path]) -> dict:
    """FieldsV1: a tree of path elements; a member with children gets `.`; fields first, then k:, v:, i:."""
    tree: dict = {}
    members: set[Path] = set()
    for path in paths:
        node = tree
        for pe in path:
            node = node.setdefault(pe, {})
        members.add(path)
    return _emit(tree, (), members)


def _order(pe: str) -> tuple[int, str]:
    return ("f:k:v:i:".find(pe[:2]) // 2, pe[2:])


def _emit(node: dict, path: Path, members: set[Path]) -> dict:
    out: dict = {}
    if node and path in members:
        out["."] = {}
    for pe in sorted(node, key=_order):
        out[pe] = _emit(node[pe], path + (pe,), members)
    return out


def from_fields_v1(fields: dict, base: Path = ()) -> set[Path]:
    if not isinstance(fields, dict):
        raise PatchError(f"fieldsV1 at {path_string(base) or 'the root'} must be a map, got {fields!r}")
    out: set[Path] = set()
    for pe, child in fields.items():
        if pe == ".":
            out.add(base)
        elif not child:
            out.add(base + (pe,))
        else:
            out |= from_fields_v1(child, base + (pe,))
    return out


class Merge(StructuredMerge):
    """structured-merge-diff's merge with deep copies and uncached item keys; the list order rule is the engine's
    (`StructuredMerge._merge_list`, pinned by test_structured.py)."""

    def __init__(self, api_version: str, kind: str) -> None:
        super().__init__(lambda p: list_strategy(api_version, kind, p), lambda p: is_atomic_map(api_version, kind, p))

    def merge(self, live: Any, applied: Any, path: tuple[str, ...] = ()) -> Any:
        if isinstance(live, dict) and isinstance(applied, dict) and not (path and self.atomic_maps(path)):
            out = dict(live)
            for key, value in applied.items():
                out[key] = (
                    self.merge(live[key], value, path + (key,)) if key in live else copy.deepcopy(value)
                )
            return out
        if isinstance(live, list) and isinstance(applied, list):
            strategy = self.lists(path)
            if strategy.type != "atomic":
                return self._merge_list(live, applied, path, strategy)
        return copy.deepcopy(applied)

    def _pe(self, item: Any, strategy: ListStrategy, path: tuple[str, ...], i: int) -> str:
        if strategy.type == "set":
            return "v:" + _json(item)
        return _key_pe(item, strategy, f"{'.' + '.'.join(path)}[{i}]")
