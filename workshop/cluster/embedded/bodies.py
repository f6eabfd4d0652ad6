"""Request bodies decoded the way a Go API server decodes them: YAML through JSON semantics (sigs.k8s.io/yaml:
timestamps stay strings, map keys become strings) and a nesting limit instead of a RecursionError."""

from __future__ import annotations

import json
from typing import Any

import yaml


class _JsonishLoader(yaml.SafeLoader):
    """A safe loader without the timestamp resolver (Go's YAML-to-JSON keeps `2024-01-01` a string)."""


_JsonishLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_JsonishLoader.add_constructor("tag:yaml.org,2002:timestamp",
                               yaml.SafeLoader.construct_yaml_str)  # type: ignore[type-var]



class TooDeep(ValueError):
    """The body nests deeper than Go's JSON decoder allows (or Python can parse)."""

    def __init__(self, char: str) -> None:
        super().__init__(f"invalid character '{char}' exceeded max depth")


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, float):
        return repr(key).replace("e+", "e+")
    return str(key)


def _jsonish(value: Any) -> Any:
    if isinstance(value, dict):
        return {_key(k): _jsonish(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonish(v) for v in value]
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    return value


def _too_deep_char(data: bytes) -> str:
    """The bracket at which nesting passes Python's limit (Go's decoder names the one past 10000)."""
    depth, in_string, escaped, deepest = 0, False, False, "["
    for byte in data:
        if in_string:
            escaped, in_string = (False, True) if escaped else (byte == 0x5C, byte != 0x22)
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = chr(byte)
            if depth > 900:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def load_json(data: bytes) -> Any:
    """json.loads, with too-deep nesting reported as Go's decoder reports it."""
    try:
        return json.loads(data)
    except RecursionError:
        raise TooDeep(_too_deep_char(data)) from None


def load_yaml(text: str) -> Any:
    """YAML as the API server's sigs.k8s.io/yaml reads it (JSON-compatible values and string keys)."""
    try:
        return _jsonish(yaml.load(text, Loader=_JsonishLoader))  # noqa: S506 - a safe loader
    except RecursionError:
        raise TooDeep("[") from None
