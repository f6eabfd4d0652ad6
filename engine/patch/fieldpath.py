"""Field paths and field sets as server-side apply records them (FieldsV1: `f:`, `k:`, `v:` and `.`).

A path is a tuple of path elements spelled as in FieldsV1: `f:spec`, `k:{"name":"web"}` (an item of an
associative list, by its keys), `v:"x"` (an item of a set list). A field set maps every member path of an
object to its value: scalars, atomic lists and maps, empty maps and lists are leaves; associative list items
are members themselves (the `.` in FieldsV1) and their fields are members too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from .errors import PatchError
from .schema import ListStrategy

Path = tuple[str, ...]
ITEM: Any = type("Item", (), {"__repr__": lambda self: "<list item>"})()

ListLookup = Callable[[tuple[str, ...]], ListStrategy]
MapLookup = Callable[[tuple[str, ...]], bool]


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def field_pe(name: str) -> str:
    return "f:" + name


def value_pe(value: Any) -> str:
    return "v:" + _json(value)


def item_keys(item: Any, strategy: ListStrategy, where: str) -> dict[str, Any]:
    """The key fields of an associative list item (defaults filled in, e.g. protocol TCP)."""
    if not isinstance(item, dict):
        raise PatchError(
            f"{where}: list item {item!r} must be a map with key fields {', '.join(strategy.keys)}", where
        )
    defaults = dict(strategy.key_defaults)
    keys: dict[str, Any] = {}
    for name in strategy.keys:
        if name in item and item[name] is not None:
            keys[name] = item[name]
        elif name in defaults:
            keys[name] = defaults[name]
        else:
            raise PatchError(
                f"{where}: list item has no {name!r}, which identifies items of this list", where
            )
    return keys


def key_pe(item: Any, strategy: ListStrategy, where: str = "") -> str:
    return "k:" + _json(item_keys(item, strategy, where))


def names(path: Path) -> tuple[str, ...]:
    """The field names along a path (list items are transparent), as the schema lookups take them."""
    return tuple(pe[2:] for pe in path if pe.startswith("f:"))


def _go_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else _json(value)


def path_string(path: Path) -> str:
    """A path as Kubernetes prints it in conflicts: `.spec.containers[name="web"].image`."""
    out = []
    for pe in path:
        kind, body = pe[:2], pe[2:]
        if kind == "f:":
            out.append("." + body)
        elif kind == "k:":
            keys = json.loads(body)
            out.append("[" + ",".join(f"{k}={_go_string(v)}" for k, v in keys.items()) + "]")
        elif kind == "v:":
            out.append(f"[={_go_string(json.loads(body))}]")
        else:
            out.append(f"[{body}]")
    return "".join(out)


class Walker:
    """Computes field sets with the list and map strategies of one kind."""

    def __init__(self, lists: ListLookup, atomic_maps: MapLookup) -> None:
        self.lists = lists
        self.atomic_maps = atomic_maps

    def leaves(self, obj: dict, base: Path = ()) -> dict[Path, Any]:
        """Every member path of `obj` (a map at `base`) with its value (ITEM for associative list items)."""
        out: dict[Path, Any] = {}
        for key, value in obj.items():
            self._walk(value, base + (field_pe(key),), out)
        return out

    def _walk(self, node: Any, path: Path, out: dict[Path, Any]) -> None:
        if isinstance(node, dict):
            if not node or self.atomic_maps(names(path)):
                out[path] = node
                return
            for key, value in node.items():
                self._walk(value, path + (field_pe(key),), out)
        elif isinstance(node, list):
            strategy = self.lists(names(path))
            if strategy.type == "atomic" or not node:
                out[path] = node
            elif strategy.type == "set":
                for value in node:
                    out[path + (value_pe(value),)] = value
            else:
                for i, item in enumerate(node):
                    item_path = path + (key_pe(item, strategy, f"{path_string(path)}[{i}]"),)
                    out[item_path] = ITEM
                    for key, value in item.items():
                        self._walk(value, item_path + (field_pe(key),), out)
        else:
            out[path] = node


def to_fields_v1(paths: Iterable[Path]) -> dict:
    """Encode a field set as FieldsV1 (`{"f:spec": {"f:replicas": {}}}`)."""
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
    """Decode FieldsV1 into a set of paths."""
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
