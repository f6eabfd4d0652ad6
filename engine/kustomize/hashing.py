"""The content hash kustomize appends to generated ConfigMap and Secret names (api/hasher)."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .resmap import ResMap

_ENCODE = str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"})
_HTML_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def go_json(value: Any) -> str:
    """Compact JSON with sorted keys and Go's encoding/json escaping (HTML characters, U+2028/9)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).translate(
        _HTML_ESCAPES
    )


def _field(obj: dict, name: str) -> Any:
    """A field as kustomize's hasher reads it: a mapping stays a mapping, a missing field becomes ''."""
    value = obj.get(name)
    return "" if value is None else value


def hash_input(obj: dict) -> str:
    """The JSON text kustomize hashes for a ConfigMap or Secret (the name is always empty, as kustomize hashes it)."""
    kind = obj.get("kind")
    if kind == "ConfigMap":
        fields: dict[str, Any] = {"kind": "ConfigMap", "name": "", "data": _field(obj, "data")}
        if isinstance(obj.get("binaryData"), dict) and obj["binaryData"]:
            fields["binaryData"] = obj["binaryData"]
    elif kind == "Secret":
        fields = {"kind": "Secret", "type": _field(obj, "type"), "name": "", "data": _field(obj, "data")}
        if isinstance(obj.get("stringData"), dict) and obj["stringData"]:
            fields["stringData"] = obj["stringData"]
    else:
        return go_json(obj)
    return go_json(fields)


def encode_hash(hex_digest: str) -> str:
    """The first 10 hex digits with kustomize's vowel-free substitutions (0->g, 1->h, 3->k, a->m, e->t)."""
    return hex_digest[:10].translate(_ENCODE)


def hash_suffix(obj: dict) -> str:
    """The 10-character suffix kustomize appends (after '-') to a generated object's name."""
    return encode_hash(hashlib.sha256(hash_input(obj).encode("utf-8")).hexdigest())


def hash_names(resmap: ResMap) -> None:
    """Append the content hash to every generated object that asks for one (kustomize's HashTransformer)."""
    for r in resmap.resources():
        if r.needs_hash:
            h = hash_suffix(r.obj)
            r.store_previous_id()
            r.name = f"{r.name}-{h.lstrip('-')}"
