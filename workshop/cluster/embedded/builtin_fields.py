"""Which fields the built-in kinds have, read from the official client's models, and the walk that finds (and
prunes) the fields an object carries that its kind does not declare."""

from __future__ import annotations

import functools
import re
from typing import Any

import kubernetes.client.models as models

from engine.jsonobj import Obj

PRIMITIVES = frozenset({"str", "int", "float", "bool", "datetime", "date", "bytearray"})
#: the client's type strings for lists and maps: `List[V1Container]`, `Dict[str, str]`
LIST_TYPE = re.compile(r"^List\[(.+)\]$")
DICT_TYPE = re.compile(r"^Dict\[str, (.+)\]$")


@functools.cache
def model_fields(cls_name: str) -> dict[str, str] | None:
    """JSON field name → client type string for a model class (None if the class does not exist)."""
    cls = getattr(models, cls_name, None)
    if cls is None or not hasattr(cls, "openapi_types"):
        return None
    return {cls.attribute_map[attr]: type_ for attr, type_ in cls.openapi_types.items()}


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
