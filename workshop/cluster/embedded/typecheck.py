"""Typed decoding of built-in kinds: a JSON value of the wrong type for its Go field is a 400 BadRequest with the
decoder's wording (`json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type
int32`), checked against the same client models the OpenAPI documents are built from. Nulls in typed structs
are dropped, as Go's decoder leaves such fields at their zero value."""

from __future__ import annotations

import re
from typing import Any

from engine.jsonobj import Obj

from .builtin_fields import DICT_TYPE, LIST_TYPE, model_fields
from .errors import ApiError, bad_request
from .resources import ResourceInfo

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
#: Integer fields the Kubernetes Go types declare int64 (every other integer field is int32).
INT64_FIELDS = frozenset({
    "activeDeadlineSeconds", "deletionGracePeriodSeconds", "expirationSeconds", "fsGroup", "generation",
    "gracePeriodSeconds", "observedGeneration", "runAsGroup", "runAsUser", "startingDeadlineSeconds",
    "supplementalGroups", "terminationGracePeriodSeconds", "seconds", "limit", "remainingItemCount",
    "ttlSecondsAfterFinished", "count",
})
#: resource.Quantity fields (the client models type them as strings; the Go type also takes a number).
QUANTITY_MAPS = frozenset({"limits", "requests", "capacity", "allocatable", "hard", "used", "default",
                           "defaultRequest", "max", "min", "maxLimitRequestRatio"})
QUANTITY_FIELDS = frozenset({"sizeLimit", "averageValue", "value", "storage"})

_MODEL = re.compile(r"^(?:[A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$")
_MAX_DEPTH = 200


class TypeMismatch(Exception):
    """The first value that does not fit its Go type."""

    def __init__(self, what: str, struct: str, path: str, go_type: str) -> None:
        super().__init__(f"json: cannot unmarshal {what} into Go struct field {struct}.{path} of type {go_type}")


def _struct_name(model: str) -> str:
    m = _MODEL.match(model)
    return m.group(2) if m else model


def _go_type(type_: str, key: str = "") -> str:
    if type_ == "str":
        return "string"
    if type_ == "bool":
        return "bool"
    if type_ == "int":
        return "int64" if key in INT64_FIELDS else "int32"
    if type_ == "float":
        return "float64"
    if type_ == "datetime":
        return "v1.Time"
    if type_ == "bytes":
        return "[]uint8"
    m = LIST_TYPE.match(type_)
    if m:
        return "[]" + _go_type(m.group(1), key)
    m = DICT_TYPE.match(type_)
    if m:
        return "map[string]" + ("resource.Quantity" if key in QUANTITY_MAPS else _go_type(m.group(1)))
    m = _MODEL.match(type_)
    if m:
        return f"{m.group(1).lower()}.{m.group(2)}"
    return type_


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _number_text(value: float) -> str:
    text = repr(value) if isinstance(value, float) else str(value)
    return text.replace("e+", "e")


def _check_value(value: Any, type_: str, struct: str, path: str, key: str, depth: int) -> None:
    """Raise TypeMismatch when value cannot be decoded into type_ (field `key` of `struct`, at `path`)."""
    if value is None or type_ == "object" or depth > _MAX_DEPTH:
        return
    if type_ == "str":
        quantity = key in QUANTITY_FIELDS and isinstance(value, int | float) and not isinstance(value, bool)
        if not isinstance(value, str) and not quantity:
            raise TypeMismatch(_json_kind(value), struct, path, _go_type(type_, key))
        return
    if type_ in ("datetime", "bytes"):
        if not isinstance(value, str):
            raise TypeMismatch(_json_kind(value), struct, path, "string" if type_ == "datetime" else _go_type(type_, key))
        return
    if type_ == "bool":
        if not isinstance(value, bool):
            raise TypeMismatch(_json_kind(value), struct, path, _go_type(type_, key))
        return
    if type_ in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeMismatch(_json_kind(value), struct, path, _go_type(type_, key))
        if type_ == "int":
            low, high = INT64 if key in INT64_FIELDS else INT32
            if isinstance(value, float) or not low <= value <= high:
                raise TypeMismatch(f"number {_number_text(value)}", struct, path, _go_type(type_, key))
        return
    m = LIST_TYPE.match(type_)
    if m:
        if not isinstance(value, list):
            raise TypeMismatch(_json_kind(value), struct, path, _go_type(type_, key))
        for item in value:
            _check_value(item, m.group(1), struct, path, key, depth + 1)
        return
    m = DICT_TYPE.match(type_)
    if m:
        if not isinstance(value, dict):
            raise TypeMismatch(_json_kind(value), struct, path, _go_type(type_, key))
        inner = m.group(1)
        for item in value.values():
            if inner == "str" and key in QUANTITY_MAPS and isinstance(item, int | float) \
                    and not isinstance(item, bool):
                continue
            _check_value(item, inner, struct, path, "", depth + 1)
        return
    if not isinstance(value, dict):
        raise TypeMismatch(_json_kind(value), struct, path, _go_type(type_, key))
    check_model(value, type_, path, depth + 1)


def check_model(obj: Obj, model: str, path: str = "", depth: int = 0) -> None:
    """Check every declared field of obj against the model; drop null fields (Go leaves them unset)."""
    fields = model_fields(model)
    if fields is None:
        return
    struct = _struct_name(model)
    for key in list(obj):
        type_ = fields.get(key)
        if type_ is None:
            continue
        value = obj[key]
        if value is None:
            del obj[key]
            continue
        _check_value(value, type_, struct, f"{path}.{key}" if path else key, key, depth)


def check(info: ResourceInfo, obj: Obj) -> None:
    """400 BadRequest (the typed decoder's message) when a field of a built-in kind has the wrong JSON type;
    for custom resources only metadata is typed."""
    for key in ("apiVersion", "kind"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise bad_request(f"the object provided is unrecognized (must be of type {info.kind}): couldn't get "
                              f"version/kind; json parse error: json: cannot unmarshal {_json_kind(obj[key])} into "
                              f"Go struct field .{key} of type string")
    try:
        if info.crd is None and info.model:
            check_model(obj, info.model)
        elif "metadata" in obj and obj["metadata"] is None:
            del obj["metadata"]
        elif isinstance(obj.get("metadata"), dict):
            check_model(obj["metadata"], "V1ObjectMeta", "metadata")
    except TypeMismatch as e:
        raise decode_error(info, str(e)) from None


def decode_error(info: ResourceInfo, detail: str) -> ApiError:
    """The BadRequest a real server answers when the body cannot be decoded into the kind's Go type."""
    return bad_request(f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: {detail}')
