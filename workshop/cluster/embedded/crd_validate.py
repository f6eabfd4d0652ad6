"""Validation of a custom resource against its compiled CRD schema, worded as a v1.32 apiextensions-apiserver
words it (kube-openapi's validator messages turned into field causes by `kubeOpenAPIResultToFieldErrors`, the
list-type and embedded-resource checks, and the rule that schema errors keep CEL rules from running)."""

from __future__ import annotations

import json
import math
from typing import Any

from engine.jsonobj import Obj

from .crd_node import FORMATS, Node
from .validation import Cause, go_quote, go_value, not_supported, required, too_long

# ---------------------------------------------------------------- causes worded like field.Error


def _num(value: Any) -> str:
    """A number as Go's %v prints an int64 or float64."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, float):
        text = repr(value)
        return text.replace("e+", "e+") if "e" in text else text
    return str(value)


def invalid_cause(path: str, value: Any, detail: str) -> Cause:
    return {"reason": "FieldValueInvalid", "message": f"Invalid value: {_shown(value)}: {detail}", "field": path}


def _typeinvalid_cause(path: str, value: Any, detail: str) -> Cause:
    return {"reason": "FieldValueTypeInvalid", "message": f"Invalid value: {_shown(value)}: {detail}",
            "field": path}


def _too_many(path: str, actual: int, limit: int) -> Cause:
    noun = "item" if limit == 1 else "items"
    return {"reason": "FieldValueTooMany", "message": f"Too many: {actual}: must have at most {limit} {noun}",
            "field": path}


def _shown(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return _num(value)
    return go_value(value)


def json_type(value: Any) -> str:
    """The JSON schema type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_ok(value: Any, types: tuple[str, ...]) -> bool:
    actual = json_type(value)
    if actual in types:
        return True
    if actual == "integer" and "number" in types:
        return True
    return actual == "number" and "integer" in types and float(value).is_integer()


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# ---------------------------------------------------------------- validation


def _in_body(path: str) -> str:
    return f"{path} in body"


def validate(value: Any, node: Node, path: str, causes: list[Cause], *, root: bool = False) -> None:
    """Append the causes kube-openapi's validator reports for value at path (type first, then the rest)."""
    if value is None:
        if node.types and not node.nullable:
            causes.append(_typeinvalid_cause(path, "null", f"{_in_body(path)} must be of type {node.type_name}: "
                                                      '"null"'))
        return
    if node.types and not _type_ok(value, node.types):
        actual = json_type(value)
        causes.append(_typeinvalid_cause(path, actual, f"{_in_body(path)} must be of type {node.type_name}: "
                                                  f"{go_quote(actual)}"))
        return
    for sub in node.all_of:
        validate(value, sub, path, causes)
    if node.any_of and not any(_passes(value, sub, path) for sub in node.any_of):
        causes.append(invalid_cause(path, "", f"{_in_body(path)} must validate at least one schema (anyOf)"))
    if node.one_of and sum(_passes(value, sub, path) for sub in node.one_of) != 1:
        causes.append(invalid_cause(path, "", f"{_in_body(path)} must validate one and only one schema (oneOf)"))
    if node.not_ is not None and _passes(value, node.not_, path):
        causes.append(invalid_cause(path, "", f"{_in_body(path)} must not validate the schema (not)"))
    if isinstance(value, str):
        _string(value, node, path, causes)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _number(value, node, path, causes)
    elif isinstance(value, list):
        _array(value, node, path, causes)
    elif isinstance(value, dict):
        _object(value, node, path, causes, root=root)
    if node.enum is not None and value not in node.enum:
        causes.append(not_supported(path, value, [v if isinstance(v, str) else json.dumps(v) for v in node.enum]))


def _passes(value: Any, node: Node, path: str) -> bool:
    trial: list[Cause] = []
    validate(value, node, path, trial)
    return not trial


def _string(value: str, node: Node, path: str, causes: list[Cause]) -> None:
    if node.max_length is not None and len(value) > node.max_length:
        causes.append(too_long(path, value, node.max_length) if node.max_length != 1 else
                      {**too_long(path, value, 1), "message": "Too long: may not be more than 1 byte"})
    if node.min_length is not None and len(value) < node.min_length:
        causes.append(invalid_cause(path, value, f"{_in_body(path)} should be at least {node.min_length} chars long"))
    if node.pattern is not None and not node.pattern.search(value):
        causes.append(invalid_cause(path, value, f"{_in_body(path)} should match '{node.pattern_text}'"))
    if node.format and not FORMATS[node.format.replace("-", "")](value):
        causes.append(_typeinvalid_cause(path, value, f"{_in_body(path)} must be of type {node.format}: "
                                                 f"{go_quote(value)}"))


def _number(value: float, node: Node, path: str, causes: list[Cause]) -> None:
    if node.multiple_of and not math.isclose(value / node.multiple_of, round(value / node.multiple_of)):
        causes.append(invalid_cause(path, value, f"{_in_body(path)} should be a multiple of {_num(node.multiple_of)}"))
    if node.maximum is not None and (value >= node.maximum if node.exclusive_max else value > node.maximum):
        word = "less than" if node.exclusive_max else "less than or equal to"
        causes.append(invalid_cause(path, value, f"{_in_body(path)} should be {word} {_num(node.maximum)}"))
    if node.minimum is not None and (value <= node.minimum if node.exclusive_min else value < node.minimum):
        word = "greater than" if node.exclusive_min else "greater than or equal to"
        causes.append(invalid_cause(path, value, f"{_in_body(path)} should be {word} {_num(node.minimum)}"))


def _array(value: list[Any], node: Node, path: str, causes: list[Cause]) -> None:
    if node.min_items is not None and len(value) < node.min_items:
        causes.append(invalid_cause(path, len(value), f"{_in_body(path)} should have at least {node.min_items} items"))
    if node.max_items is not None and len(value) > node.max_items:
        causes.append(_too_many(path, len(value), node.max_items))
    if node.unique_items:
        seen = [json.dumps(v, sort_keys=True) for v in value]
        if len(set(seen)) != len(seen):
            causes.append(invalid_cause(path, "", f"{_in_body(path)} shouldn't contain duplicates"))
    if node.items is not None:
        for i, item in enumerate(value):
            validate(item, node.items, f"{path}[{i}]", causes)
    if node.list_type in ("set", "map") and len(value) > 1:
        causes.extend(_list_duplicates(value, node, path))


def _go_map(value: dict[str, Any]) -> str:
    """%#v of a map[string]interface{} (keys sorted, as fmt prints maps)."""
    inner = ", ".join(f"{go_quote(k)}:{_shown(v)}" for k, v in sorted(value.items()))
    return "map[string]interface {}{" + inner + "}"


def _list_duplicates(value: list[Any], node: Node, path: str) -> list[Cause]:
    """x-kubernetes-list-type set/map: a Duplicate cause at each second occurrence (listtype validation)."""
    if node.list_type == "map":
        for i, item in enumerate(value):
            if item is not None and not isinstance(item, dict):
                return [invalid_cause(f"{path}[{i}]", item, "must be an object for an array of list-type map")]
        keys: list[Any] = [{k: item[k] for k in node.map_keys if k in item} if item else {} for item in value]
    else:
        keys = value
    counts: dict[str, int] = {}
    causes: list[Cause] = []
    for i, key in enumerate(keys):
        text = json.dumps(key, sort_keys=True)
        counts[text] = counts.get(text, 0) + 1
        if counts[text] == 2:
            shown = _go_map(key) if isinstance(key, dict) else _shown(key)
            causes.append({"reason": "FieldValueDuplicate", "message": f"Duplicate value: {shown}",
                           "field": f"{path}[{i}]"})
    return causes


def _object(value: Obj, node: Node, path: str, causes: list[Cause], *, root: bool) -> None:
    if node.min_properties is not None and len(value) < node.min_properties:
        causes.append(invalid_cause(path, len(value), f"{_in_body(path)} should have at least {node.min_properties} "
                                                 "properties"))
    if node.max_properties is not None and len(value) > node.max_properties:
        causes.append(_too_many(path, len(value), node.max_properties))
    for key, child in node.properties.items():
        if key not in value:
            continue
        if root and key == "metadata":  # ObjectMeta is validated as such; a schema may only narrow the names
            md = value[key]
            for sub in ("name", "generateName"):
                if isinstance(md, dict) and sub in md and sub in child.properties:
                    validate(md[sub], child.properties[sub], f"metadata.{sub}", causes)
            continue
        validate(value[key], child, _join(path, key), causes)
    if isinstance(node.additional, Node):
        for key, item in value.items():
            if key not in node.properties:
                validate(item, node.additional, _join(path, key), causes)
    elif node.additional is False and node.properties:
        for key in value:
            if key not in node.properties:
                causes.append(invalid_cause(path, "", f"{path}.{key} in body is a forbidden property"))
    for key in node.required:
        if key not in value:
            causes.append(required(_join(path, key)))
    if node.embedded:
        causes.extend(_embedded(value, path))


def _embedded(value: Obj, path: str) -> list[Cause]:
    """apiVersion and kind of an x-kubernetes-embedded-resource (schemaobjectmeta.validateEmbeddedResource)."""
    causes: list[Cause] = []
    for key in ("apiVersion", "kind"):
        v = value.get(key)
        if v is None or v == "":
            causes.append(required(_join(path, key), "must not be empty"))
        elif not isinstance(v, str):
            causes.append(invalid_cause(_join(path, key), v, "must be a string"))
    md = value.get("metadata")
    if md is not None and not isinstance(md, dict):
        causes.append(invalid_cause(_join(path, "metadata"), md, "must be an object"))
    return causes


def blocking(causes: list[Cause]) -> bool:
    """Schema errors after which CEL rules are not run (strategy.hasBlockingErr)."""
    return any(c["reason"] in ("FieldValueNotSupported", "FieldValueRequired", "FieldValueTooLong",
                               "FieldValueTooMany", "FieldValueTypeInvalid") for c in causes)


NOT_CHECKED: Cause = {"reason": "FieldValueInvalid", "field": "<nil>",
                      "message": 'Invalid value: "null": some validation rules were not checked because the object '
                                 "was invalid; correct the existing errors to complete validation"}
