"""A CRD schema compiled into a tree of nodes carrying what validation, defaulting and pruning need, and the
string formats a v1.32 API server checks."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import cel_rules

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


FORMATS: dict[str, Callable[[str], bool]] = {
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
            node.pattern = re.compile(go_regex(schema["pattern"]))
        except re.error:
            node.pattern = None
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt.replace("-", "") in FORMATS and node.types in ((), ("string",)):
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


def go_regex(pattern: str) -> str:
    """RE2 syntax Python's re spells differently (`\\z`, `(?P<n>` is shared, `\\pL` classes are rare)."""
    return pattern.replace(r"\z", r"\Z")
