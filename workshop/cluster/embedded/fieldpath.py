"""Field paths and field sets as server-side apply records them (FieldsV1: `f:`, `k:`, `v:` and `.`).

A path is a tuple of path elements spelled as in FieldsV1: `f:spec`, `k:{"name":"web"}` (an item of an
associative list, by its keys), `v:"x"` (an item of a set list). A field set maps every member path of an
object to its value: scalars, atomic lists and maps, empty maps and lists are leaves; associative list items
are members themselves (the `.` in FieldsV1) and their fields are members too. Server-side apply encodes
field sets on every write, so item keys and whole encodings are cached.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from engine.patch import PatchError
from engine.patch.jsondata import clone
from engine.patch.schema import ListStrategy

Path = tuple[str, ...]
ITEM: Any = type("Item", (), {"__repr__": lambda self: "<list item>"})()

ListLookup = Callable[[tuple[str, ...]], ListStrategy]
MapLookup = Callable[[tuple[str, ...]], bool]

_json = json.JSONEncoder(separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode
_CACHE_LIMIT = 4096
_KEY_PES: dict[tuple[tuple[str, ...], tuple[Any, ...]], str] = {}
_ENCODED: dict[frozenset[Path], dict] = {}
_MEMBER: Any = object()


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
    """The `k:` element of an associative list item; `where` locates the item in errors."""
    found = _cached_key_pe(item, strategy.keys)
    if found is not None:
        return found
    return "k:" + _json(item_keys(item, strategy, where))


def _cached_key_pe(item: Any, keys: tuple[str, ...]) -> str | None:
    """The `k:` element of an item whose key fields are all strings or integers (None for any other item)."""
    if type(item) is not dict:
        return None
    values = tuple([item.get(name) for name in keys])
    for value in values:
        if type(value) is not str and type(value) is not int:
            return None
    found = _KEY_PES.get((keys, values))
    if found is None:
        if len(_KEY_PES) >= 16 * _CACHE_LIMIT:
            _KEY_PES.clear()
        found = _KEY_PES[(keys, values)] = "k:" + _json(dict(zip(keys, values, strict=True)))
    return found


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


def encode_fields_v1(paths: Iterable[Path]) -> dict:
    """A field set as FieldsV1 (`{"f:spec": {"f:replicas": {}}}`), members marked `.`, elements in Kubernetes' order.

    Each field set is encoded once (objects of one shape share it); callers get their own copy.
    """
    key = frozenset(paths)
    found = _ENCODED.get(key)
    if found is None:
        if len(_ENCODED) >= _CACHE_LIMIT:
            _ENCODED.clear()
        found = _ENCODED[key] = _encode_tree(key)
    return clone(found)


def _encode_tree(paths: Iterable[Path]) -> dict:
    root: dict = {}
    for path in paths:
        node = root
        for pe in path:
            child = node.get(pe)
            if child is None:
                child = node[pe] = {}
            node = child
        node[_MEMBER] = True
    return _emit(root)


def _emit(node: dict) -> dict:
    out: dict = {}
    if node.pop(_MEMBER, False) and node:
        out["."] = {}
    for pe in sorted(node, key=_order) if len(node) > 1 else node:
        out[pe] = _emit(node[pe])
    return out


def _order(pe: str) -> tuple[int, str]:
    """Kubernetes' order of path elements: fields, then keys, values and indexes, each sorted by text."""
    return ("f:k:v:i:".find(pe[:2]) // 2, pe[2:])


def decode_fields_v1(fields: dict) -> set[Path]:
    """A FieldsV1 map decoded into its set of paths."""
    out: set[Path] = set()
    _decode(fields, (), out)
    return out


def _decode(node: Any, base: Path, out: set[Path]) -> None:
    if not isinstance(node, dict):
        raise PatchError(f"fieldsV1 at {path_string(base) or 'the root'} must be a map, got {node!r}")
    for pe, child in node.items():
        if pe == ".":
            out.add(base)
        elif not child:
            out.add(base + (pe,))
        else:
            _decode(child, base + (pe,), out)
