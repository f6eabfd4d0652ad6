"""Which fields the built-in kinds have, and the walk that finds (and prunes) the fields an object carries that its
kind does not declare.

The facts come from the official client's models, through a table generated from them
(`builtin_fields.json`, `tools/gen_builtin_fields.py`): the lab cluster's schema does not change with the client
package a learner installs, and no model class is imported on a request.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from engine.jsonobj import Obj

TABLE = Path(__file__).with_name("builtin_fields.json")
PRIMITIVES = frozenset({"str", "int", "float", "bool", "datetime", "date", "bytes", "bytearray"})
#: the client's type strings for lists and maps: `List[V1Container]`, `Dict[str, str]`
LIST_TYPE = re.compile(r"^List\[(.+)\]$")
DICT_TYPE = re.compile(r"^Dict\[str, (.+)\]$")


@functools.cache
def _models() -> dict[str, dict[str, str]]:
    return json.loads(TABLE.read_text())["models"]  # type: ignore[no-any-return]


def model_fields(cls_name: str) -> dict[str, str] | None:
    """JSON field name → client type string for a model class (None if the class does not exist)."""
    return _models().get(cls_name)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _walk_type(value: Any, type_: str, path: str, found: list[str], prune: bool) -> None:
    if type_ in PRIMITIVES or type_ == "object" or value is None:
        return
    m = LIST_TYPE.match(type_)
    if m:
        if isinstance(value, list):
            for i, item in enumerate(value):
                _walk_type(item, m.group(1), f"{path}[{i}]", found, prune)
        return
    m = DICT_TYPE.match(type_)
    if m:
        if isinstance(value, dict):
            for k, v in value.items():
                _walk_type(v, m.group(1), _join(path, k), found, prune)
        return
    if isinstance(value, dict):
        walk_model(value, type_, path, found, prune)


def walk_model(obj: Obj, cls_name: str, path: str, found: list[str], prune: bool) -> None:
    """Append to `found` the paths of fields `cls_name` does not declare; delete them when `prune`."""
    fields = model_fields(cls_name)
    if fields is None:
        return
    for key in list(obj):
        type_ = fields.get(key)
        if type_ is None:
            found.append(_join(path, key))
            if prune:
                del obj[key]
            continue
        _walk_type(obj[key], type_, _join(path, key), found, prune)
