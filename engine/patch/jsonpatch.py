"""JSON patch (RFC 6902) with JSON pointers (RFC 6901)."""

import copy
from typing import Any

from .errors import PatchError

_OPS = ("add", "remove", "replace", "move", "copy", "test")


def parse_pointer(pointer: str) -> list[str]:
    """Split an RFC 6901 JSON pointer into unescaped reference tokens."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"JSON pointer {pointer!r} must be empty or start with '/'", pointer)
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(token: str, length: int, pointer: str, *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return length
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"path {pointer}: {token!r} is not a valid array index", pointer)
    idx = int(token)
    limit = length if allow_end else length - 1
    if idx > limit:
        raise PatchError(f"path {pointer}: index {idx} is out of range (array has {length} items)", pointer)
    return idx


def _resolve(doc: Any, tokens: list[str], pointer: str) -> Any:
    node = doc
    for i, token in enumerate(tokens):
        here = "/" + "/".join(tokens[: i + 1])
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"path {pointer}: no value at {here}", pointer)
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(token, len(node), pointer, allow_end=False)]
        else:
            raise PatchError(
                f"path {pointer}: {here} goes into a {type(node).__name__}, not an object or array", pointer
            )
    return node


def _get(doc: Any, pointer: str) -> Any:
    return _resolve(doc, parse_pointer(pointer), pointer)


def _add(doc: Any, pointer: str, value: Any) -> Any:
    tokens = parse_pointer(pointer)
    if not tokens:
        return value
    parent = _resolve(doc, tokens[:-1], pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(last, len(parent), pointer, allow_end=True), value)
    else:
        raise PatchError(
            f"path {pointer}: parent is a {type(parent).__name__}, not an object or array", pointer
        )
    return doc


def _remove(doc: Any, pointer: str) -> tuple[Any, Any]:
    tokens = parse_pointer(pointer)
    if not tokens:
        raise PatchError("cannot remove the whole document (path '')", pointer)
    parent = _resolve(doc, tokens[:-1], pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"path {pointer}: cannot remove, no value at this path", pointer)
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(last, len(parent), pointer, allow_end=False))
    raise PatchError(f"path {pointer}: parent is a {type(parent).__name__}, not an object or array", pointer)


def _field(op: dict, name: str, n: int) -> Any:
    if name not in op:
        raise PatchError(f"operation {n} ({op.get('op')!r}) is missing {name!r}")
    return op[name]


def apply_json_patch(obj: dict, ops: list[dict]) -> dict:
    """Apply an RFC 6902 JSON patch; returns a new object, the input is not modified."""
    if not isinstance(ops, list):
        raise PatchError(f"a JSON patch must be a list of operations, got {type(ops).__name__}")
    doc: Any = copy.deepcopy(obj)
    for n, op in enumerate(ops):
        if not isinstance(op, dict):
            raise PatchError(f"operation {n} must be an object, got {type(op).__name__}")
        kind = op.get("op")
        if kind not in _OPS:
            raise PatchError(
                f"operation {n}: unexpected kind of operation {kind!r}; use one of {', '.join(_OPS)}"
            )
        path = _field(op, "path", n)
        if not isinstance(path, str):
            raise PatchError(f"operation {n}: path must be a string, got {path!r}")
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(_field(op, "value", n)))
        elif kind == "remove":
            doc, _ = _remove(doc, path)
        elif kind == "replace":
            value = copy.deepcopy(_field(op, "value", n))
            tokens = parse_pointer(path)
            if not tokens:
                doc = value
                continue
            parent = _resolve(doc, tokens[:-1], path)
            last = tokens[-1]
            if isinstance(parent, dict):
                if last not in parent:
                    raise PatchError(f"replace operation does not apply: doc is missing key: {path}", path)
                parent[last] = value
            elif isinstance(parent, list):
                parent[_index(last, len(parent), path, allow_end=False)] = value
            else:
                raise PatchError(
                    f"path {path}: parent is a {type(parent).__name__}, not an object or array", path
                )
        elif kind in ("move", "copy"):
            source = _field(op, "from", n)
            if kind == "move" and (path + "/").startswith(source + "/") and path != source:
                raise PatchError(f"operation {n}: cannot move {source} into its own child {path}", path)
            if kind == "move":
                doc, value = _remove(doc, source)
            else:
                value = copy.deepcopy(_get(doc, source))
            doc = _add(doc, path, value)
        else:
            try:
                actual = _get(doc, path)
            except PatchError:
                actual = _Missing
            if (
                actual is _Missing
                or actual != _field(op, "value", n)
                or type(actual) is not type(op["value"])
                and not _num(actual, op["value"])
            ):
                raise PatchError(f"testing value {path} failed: test failed", path)
    return doc


class _Missing:
    pass


def _num(a: Any, b: Any) -> bool:
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
