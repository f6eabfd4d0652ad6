"""A CRD version's structural OpenAPI v3 schema, compiled once: pruning, defaulting and validation of custom
resources with the wording of a v1.32 apiextensions-apiserver (kube-openapi's validator messages turned into
field causes by `kubeOpenAPIResultToFieldErrors`)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import math
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import cel_rules
from .resources import ResourceInfo
from .validation import Cause, go_quote, go_value, not_supported, required, too_long

Obj = dict[str, Any]

_ROOT_KEYS = ("apiVersion", "kind", "metadata")


# ---------------------------------------------------------------- causes worded like field.Error


def _num(value: Any) -> str:
    """A number as Go's %v prints an int64 or float64."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, float):
        text = repr(value)
        return text.replace("e+", "e+") if "e" in text else text
    return str(value)


def _invalid(path: str, value: Any, detail: str) -> Cause:
    return {"reason": "FieldValueInvalid", "message": f"Invalid value: {_shown(value)}: {detail}", "field": path}


def _type_invalid(path: str, value: Any, detail: str) -> Cause:
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


# ---------------------------------------------------------------- formats (the ones a v1.32 server checks)

_UUID = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
_HOSTNAME = re.compile(r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}"
                       r"[a-zA-Z0-9])?)*\.?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DURATION = re.compile(r"^(-?\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w)\s*)+$|^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$")
_MAC = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")
_HEXCOLOR = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _ip(version: int) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            return ipaddress.ip_address(text).version == version
        except ValueError:
            return False
    return check


def _cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return "/" in text


def _byte(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _uri(text: str) -> bool:
    return bool(re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|/)\S*$", text))


def _uuid_version(n: int) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            return bool(_UUID.match(text)) and uuid.UUID(text).version == n
        except ValueError:
            return False
    return check


_FORMATS: dict[str, Callable[[str], bool]] = {
    "uuid": lambda s: bool(_UUID.match(s)), "uuid3": _uuid_version(3), "uuid4": _uuid_version(4),
    "uuid5": _uuid_version(5), "hostname": lambda s: bool(_HOSTNAME.match(s)) and len(s) <= 255,
    "ipv4": _ip(4), "ipv6": _ip(6), "cidr": _cidr, "mac": lambda s: bool(_MAC.match(s)),
    "date": lambda s: bool(_DATE.match(s)), "datetime": lambda s: bool(_DATETIME.match(s)),
    "duration": lambda s: bool(_DURATION.match(s)), "byte": _byte, "uri": _uri,
    "email": lambda s: bool(_EMAIL.match(s)), "hexcolor": lambda s: bool(_HEXCOLOR.match(s)),
    "bsonobjectid": lambda s: bool(re.fullmatch(r"[0-9a-fA-F]{24}", s)), "password": lambda s: True,
}


# ---------------------------------------------------------------- the compiled tree


@dataclass(eq=False)
class Node:
    """One schema node with everything validation, defaulting and pruning need, precomputed."""

    types: tuple[str, ...] = ()
    type_name: str = ""
    nullable: bool = False
    properties: dict[str, Node] = field(default_factory=dict)
    additional: Node | bool | None = None
    items: Node | None = None
    required: tuple[str, ...] = ()
    enum: list[Any] | None = None
    pattern: re.Pattern[str] | None = None
    pattern_text: str = ""
    format: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_min: bool = False
    exclusive_max: bool = False
    multiple_of: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    list_type: str = ""
    map_keys: tuple[str, ...] = ()
    min_properties: int | None = None
    max_properties: int | None = None
    preserve: bool = False
    embedded: bool = False
    has_default: bool = False
    default: Any = None
    all_of: tuple[Node, ...] = ()
    any_of: tuple[Node, ...] = ()
    one_of: tuple[Node, ...] = ()
    not_: Node | None = None
    rules: tuple[cel_rules.Rule, ...] = ()
    has_rules_below: bool = False

    @property
    def declares_fields(self) -> bool:
        return bool(self.properties) or self.additional is not None


def compile_node(schema: Any, *, depth: int = 0) -> Node:
    """Compile a JSONSchemaProps dict into a Node tree (cycles are impossible in a CRD schema)."""
    if not isinstance(schema, dict) or depth > 200:
        return Node(preserve=True)
    node = Node()
    type_ = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        node.types = ("integer", "string")
    elif isinstance(type_, str) and type_:
        node.types = (type_,)
    node.type_name = ",".join(node.types)
    node.nullable = bool(schema.get("nullable"))
    props = schema.get("properties")
    if isinstance(props, dict):
        node.properties = {str(k): compile_node(v, depth=depth + 1) for k, v in props.items()}
    addl = schema.get("additionalProperties")
    if isinstance(addl, dict):
        node.additional = compile_node(addl, depth=depth + 1)
    elif isinstance(addl, bool):
        node.additional = addl
    if isinstance(schema.get("items"), dict):
        node.items = compile_node(schema["items"], depth=depth + 1)
    if isinstance(schema.get("required"), list):
        node.required = tuple(str(r) for r in schema["required"])
    if isinstance(schema.get("enum"), list):
        node.enum = list(schema["enum"])
    if isinstance(schema.get("pattern"), str):
        node.pattern_text = schema["pattern"]
        try:
            node.pattern = re.compile(_go_regex(schema["pattern"]))
        except re.error:
            node.pattern = None
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt.replace("-", "") in _FORMATS and node.types in ((), ("string",)):
        node.format = fmt
    for key, attr in (("minimum", "minimum"), ("maximum", "maximum"), ("multipleOf", "multiple_of")):
        if isinstance(schema.get(key), int | float) and not isinstance(schema.get(key), bool):
            setattr(node, attr, schema[key])
    node.exclusive_min = bool(schema.get("exclusiveMinimum"))
    node.exclusive_max = bool(schema.get("exclusiveMaximum"))
    for key, attr in (("minLength", "min_length"), ("maxLength", "max_length"), ("minItems", "min_items"),
                      ("maxItems", "max_items"), ("minProperties", "min_properties"),
                      ("maxProperties", "max_properties")):
        if isinstance(schema.get(key), int) and not isinstance(schema.get(key), bool):
            setattr(node, attr, schema[key])
    node.unique_items = bool(schema.get("uniqueItems"))
    node.list_type = str(schema.get("x-kubernetes-list-type") or "")
    if isinstance(schema.get("x-kubernetes-list-map-keys"), list):
        node.map_keys = tuple(str(k) for k in schema["x-kubernetes-list-map-keys"])
    node.preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    node.embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    if "default" in schema:
        node.has_default = True
        node.default = schema["default"]
    for key, attr in (("allOf", "all_of"), ("anyOf", "any_of"), ("oneOf", "one_of")):
        if isinstance(schema.get(key), list):
            setattr(node, attr, tuple(compile_node(s, depth=depth + 1) for s in schema[key]))
    if isinstance(schema.get("not"), dict):
        node.not_ = compile_node(schema["not"], depth=depth + 1)
    node.rules = cel_rules.compile_rules(schema.get("x-kubernetes-validations"))
    children = [*node.properties.values(), *([node.items] if node.items else []),
                *([node.additional] if isinstance(node.additional, Node) else []), *node.all_of]
    node.has_rules_below = bool(node.rules) or any(c.has_rules_below for c in children)
    return node


def _go_regex(pattern: str) -> str:
    """RE2 syntax Python's re spells differently (`\\z`, `(?P<n>` is shared, `\\pL` classes are rare)."""
    return pattern.replace(r"\z", r"\Z")


# ---------------------------------------------------------------- pruning and defaulting


def _meta_fields(obj: Obj, path: str, found: list[str], prune: bool) -> None:
    from .openapi import _walk_model

    md = obj.get("metadata")
    if isinstance(md, dict):
        _walk_model(md, "V1ObjectMeta", _join(path, "metadata"), found, prune)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def prune(value: Any, node: Node, path: str, found: list[str], do_prune: bool, *, root: bool = False) -> None:
    """Record (and remove when asked) fields the schema does not declare, as the server's pruning does."""
    if isinstance(value, dict):
        keep_meta = root or node.embedded
        if keep_meta:
            _meta_fields(value, path, found, do_prune)
        if node.preserve and not node.declares_fields:
            return
        for key in list(value):
            if keep_meta and key in _ROOT_KEYS:
                continue
            child = node.properties.get(key)
            if child is None and isinstance(node.additional, Node):
                child = node.additional
            if child is not None:
                prune(value[key], child, _join(path, key), found, do_prune)
            elif node.additional is True or node.preserve:
                continue
            else:
                found.append(_join(path, key))
                if do_prune:
                    del value[key]
    elif isinstance(value, list) and node.items is not None:
        for i, item in enumerate(value):
            prune(item, node.items, f"{path}[{i}]", found, do_prune)


def _fresh(value: Any) -> Any:
    return json.loads(json.dumps(value))


def default(value: Any, node: Node) -> Any:
    """value with defaults filled in below it (Kubernetes' defaulting.Default after dropping non-nullable nulls
    without a default); copy-on-write, so dicts shared with the stored object are never mutated."""
    if isinstance(value, dict):
        out = value
        for key, prop in node.properties.items():
            if prop.has_default and (key not in value or (value[key] is None and not prop.nullable)):
                out = dict(out) if out is value else out
                out[key] = _fresh(prop.default)
        for key, item in list(out.items()):
            child = node.properties.get(key)
            if child is None and isinstance(node.additional, Node):
                child = node.additional
            if child is None:
                continue
            if item is None and not child.nullable:
                out = dict(out) if out is value else out
                if child.has_default:
                    out[key] = _fresh(child.default)
                else:
                    del out[key]
                    continue
            new = default(out[key], child)
            if new is not out[key]:
                out = dict(out) if out is value else out
                out[key] = new
        return out
    if isinstance(value, list) and node.items is not None:
        items = node.items
        result = value
        for i, item in enumerate(value):
            new = _fresh(items.default) if item is None and not items.nullable and items.has_default else item
            new = default(new, items)
            if new is not item:
                result = list(result) if result is value else result
                result[i] = new
        return result
    return value


# ---------------------------------------------------------------- validation


def _in_body(path: str) -> str:
    return f"{path} in body"


def validate(value: Any, node: Node, path: str, causes: list[Cause], *, root: bool = False) -> None:
    """Append the causes kube-openapi's validator reports for value at path (type first, then the rest)."""
    if value is None:
        if node.types and not node.nullable:
            causes.append(_type_invalid(path, "null", f"{_in_body(path)} must be of type {node.type_name}: "
                                                      '"null"'))
        return
    if node.types and not _type_ok(value, node.types):
        actual = json_type(value)
        causes.append(_type_invalid(path, actual, f"{_in_body(path)} must be of type {node.type_name}: "
                                                  f"{go_quote(actual)}"))
        return
    for sub in node.all_of:
        validate(value, sub, path, causes)
    if node.any_of and not any(_passes(value, sub, path) for sub in node.any_of):
        causes.append(_invalid(path, "", f"{_in_body(path)} must validate at least one schema (anyOf)"))
    if node.one_of and sum(_passes(value, sub, path) for sub in node.one_of) != 1:
        causes.append(_invalid(path, "", f"{_in_body(path)} must validate one and only one schema (oneOf)"))
    if node.not_ is not None and _passes(value, node.not_, path):
        causes.append(_invalid(path, "", f"{_in_body(path)} must not validate the schema (not)"))
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
        causes.append(_invalid(path, value, f"{_in_body(path)} should be at least {node.min_length} chars long"))
    if node.pattern is not None and not node.pattern.search(value):
        causes.append(_invalid(path, value, f"{_in_body(path)} should match '{node.pattern_text}'"))
    if node.format and not _FORMATS[node.format.replace("-", "")](value):
        causes.append(_type_invalid(path, value, f"{_in_body(path)} must be of type {node.format}: "
                                                 f"{go_quote(value)}"))


def _number(value: float, node: Node, path: str, causes: list[Cause]) -> None:
    if node.multiple_of and not math.isclose(value / node.multiple_of, round(value / node.multiple_of)):
        causes.append(_invalid(path, value, f"{_in_body(path)} should be a multiple of {_num(node.multiple_of)}"))
    if node.maximum is not None and (value >= node.maximum if node.exclusive_max else value > node.maximum):
        word = "less than" if node.exclusive_max else "less than or equal to"
        causes.append(_invalid(path, value, f"{_in_body(path)} should be {word} {_num(node.maximum)}"))
    if node.minimum is not None and (value <= node.minimum if node.exclusive_min else value < node.minimum):
        word = "greater than" if node.exclusive_min else "greater than or equal to"
        causes.append(_invalid(path, value, f"{_in_body(path)} should be {word} {_num(node.minimum)}"))


def _array(value: list[Any], node: Node, path: str, causes: list[Cause]) -> None:
    if node.min_items is not None and len(value) < node.min_items:
        causes.append(_invalid(path, len(value), f"{_in_body(path)} should have at least {node.min_items} items"))
    if node.max_items is not None and len(value) > node.max_items:
        causes.append(_too_many(path, len(value), node.max_items))
    if node.unique_items:
        seen = [json.dumps(v, sort_keys=True) for v in value]
        if len(set(seen)) != len(seen):
            causes.append(_invalid(path, "", f"{_in_body(path)} shouldn't contain duplicates"))
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
                return [_invalid(f"{path}[{i}]", item, "must be an object for an array of list-type map")]
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
        causes.append(_invalid(path, len(value), f"{_in_body(path)} should have at least {node.min_properties} "
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
                causes.append(_invalid(path, "", f"{path}.{key} in body is a forbidden property"))
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
            causes.append(_invalid(_join(path, key), v, "must be a string"))
    md = value.get("metadata")
    if md is not None and not isinstance(md, dict):
        causes.append(_invalid(_join(path, "metadata"), md, "must be an object"))
    return causes


def _blocking(causes: list[Cause]) -> bool:
    """Schema errors after which CEL rules are not run (strategy.hasBlockingErr)."""
    return any(c["reason"] in ("FieldValueNotSupported", "FieldValueRequired", "FieldValueTooLong",
                               "FieldValueTooMany", "FieldValueTypeInvalid") for c in causes)


NOT_CHECKED: Cause = {"reason": "FieldValueInvalid", "field": "<nil>",
                      "message": 'Invalid value: "null": some validation rules were not checked because the object '
                                 "was invalid; correct the existing errors to complete validation"}


# ---------------------------------------------------------------- the compiled schema and its cache


class CompiledSchema:
    """One CRD version's schema, compiled: prune, default, validate (schema, embedded resources, CEL)."""

    def __init__(self, schema: Obj | None) -> None:
        self.root = compile_node(schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True})

    def unknown_fields(self, obj: Obj, do_prune: bool = True) -> list[str]:
        found: list[str] = []
        prune(obj, self.root, "", found, do_prune, root=True)
        return found

    def apply_defaults(self, obj: Obj) -> None:
        """Default obj in place (its nested values are replaced, never mutated)."""
        result = default(obj, self.root)
        if result is not obj:
            obj.clear()
            obj.update(result)

    def validate(self, obj: Obj, old: Obj | None) -> list[Cause]:
        causes: list[Cause] = []
        validate(obj, self.root, "", causes, root=True)
        if self.root.has_rules_below:
            if _blocking(causes):
                causes.append(dict(NOT_CHECKED))
            else:
                causes += cel_rules.evaluate(obj, old, self.root, "")
        if causes and old is not None:
            causes = _ratchet(causes, old, self)
        return causes


def _ratchet(causes: list[Cause], old: Obj, schema: CompiledSchema) -> list[Cause]:
    """Validation ratcheting: an update is not refused for errors the stored object already had."""
    before: list[Cause] = []
    validate(old, schema.root, "", before, root=True)
    seen = {(c["field"], c["message"]) for c in before}
    return [c for c in causes if (c["field"], c["message"]) not in seen]


def for_info(info: ResourceInfo) -> CompiledSchema:
    """The compiled schema a custom resource's served version validates against."""
    return for_crd_version(info.crd or {}, info.crd_version)


_CACHE: dict[tuple[int, str], tuple[Obj, CompiledSchema]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 512


def for_crd_version(crd: Obj, version: Obj | None) -> CompiledSchema:
    """The compiled schema of one CRD version, compiled once per stored CRD object (a CRD update stores a new
    object, so its schema is compiled again; the cache holds the object, so its identity cannot be reused)."""
    name = str((version or {}).get("name", ""))
    key = (id(crd), name)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is crd:
        return hit[1]
    schema = ((version or {}).get("schema") or {}).get("openAPIV3Schema")
    compiled = CompiledSchema(schema if isinstance(schema, dict) else None)
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            for stale in list(_CACHE)[: _CACHE_SIZE // 2]:
                del _CACHE[stale]
        _CACHE[key] = (crd, compiled)
    return compiled


# ---------------------------------------------------------------- a CRD's own schemas (on CRD create/update)


def _rule_repr(rule: Obj) -> str:
    """%#v of an apiextensions.ValidationRule, as the CRD validation prints it."""
    return ("apiextensions.ValidationRule{Rule:" + go_quote(str(rule.get("rule", ""))) + ", Message:"
            + go_quote(str(rule.get("message", ""))) + ", MessageExpression:"
            + go_quote(str(rule.get("messageExpression", ""))) + ", Reason:(*apiextensions.FieldValueErrorReason)"
            "(nil), FieldPath:" + go_quote(str(rule.get("fieldPath", ""))) + ", OptionalOldSelf:(*bool)(nil)}")


def _structural(schema: Any, path: str, level: str, causes: list[Cause]) -> None:
    """The structural-schema invariants a v1 CRD's schemas must meet (validateStructuralInvariants, in part)."""
    if not isinstance(schema, dict):
        return
    type_ = schema.get("type")
    if type_ == "array" and schema.get("items") is None:
        causes.append(required(f"{path}.items", "must be specified"))
    if isinstance(schema.get("items"), dict):
        _structural(schema["items"], f"{path}.items", "item", causes)
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    for key, sub in props.items():
        _structural(sub, f"{path}.properties[{key}]", "field", causes)
    addl = schema.get("additionalProperties")
    if addl is not None and addl is not True and addl is not False:
        if level == "root":
            causes.append({"reason": "FieldValueForbidden", "field": f"{path}.additionalProperties",
                           "message": "Forbidden: must not be used at the root"})
        if props:
            causes.append({"reason": "FieldValueForbidden", "field": f"{path}.additionalProperties",
                           "message": "Forbidden: additionalProperties and properties are mutual exclusive"})
        _structural(addl, f"{path}.additionalProperties", "field", causes)
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    if embedded and type_ != "object":
        detail = "must be object if x-kubernetes-embedded-resource is true"
        causes.append(required(f"{path}.type", detail) if not type_ else _invalid(f"{path}.type", type_, detail))
    elif not type_ and not schema.get("x-kubernetes-int-or-string") and not schema.get(
            "x-kubernetes-preserve-unknown-fields"):
        detail = {"root": "must not be empty at the root", "item": "must not be empty for specified array items",
                  "field": "must not be empty for specified object fields"}[level]
        causes.append(required(f"{path}.type", detail))
    if level == "root" and type_ and type_ != "object":
        causes.append(_invalid(f"{path}.type", type_, "must be object at the root"))
    if isinstance(schema.get("pattern"), str):
        try:
            re.compile(_go_regex(schema["pattern"]))
        except re.error as e:
            causes.append(_invalid(f"{path}.pattern", schema["pattern"],
                                   f"must be a valid regular expression, but isn't: error parsing regexp: {e}"))
    for i, rule in enumerate(schema.get("x-kubernetes-validations") or []):
        if not isinstance(rule, dict):
            continue
        where = f"{path}.x-kubernetes-validations[{i}]"
        if not str(rule.get("rule") or "").strip():
            causes.append(required(f"{where}.rule", "rule is not specified"))
            continue
        compiled = cel_rules.compile_rules([rule])
        if compiled and compiled[0].compile_error:
            causes.append({"reason": "FieldValueInvalid", "field": f"{where}.rule",
                           "message": f"Invalid value: {_rule_repr(rule)}: compilation failed: "
                                      f"{compiled[0].compile_error}"})


def crd_schema_causes(crd: Obj) -> list[Cause]:
    """Causes for a CRD whose version schemas are not structural or carry rules that do not compile."""
    spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
    causes: list[Cause] = []
    for i, version in enumerate(spec.get("versions") or []):
        schema = ((version or {}).get("schema") or {}).get("openAPIV3Schema") if isinstance(version, dict) else None
        if isinstance(schema, dict):
            found: list[Cause] = []
            _structural(schema, f"spec.versions[{i}].schema.openAPIV3Schema", "root", found)
            causes += sorted(found, key=lambda c: f"{c['field']}: {c['message']}")
    return causes
