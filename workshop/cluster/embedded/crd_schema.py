"""A CRD version's structural OpenAPI v3 schema, compiled once per stored CRD: pruning of unknown fields,
defaulting (nested, copy-on-write) and validation (schema, embedded resources, list types, CEL rules, ratcheting)
of custom resources as a v1.32 API server does them."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from engine.jsonobj import Obj

from . import cel_rules
from .crd_node import Node, compile_node
from .crd_structural import crd_schema_causes
from .crd_validate import NOT_CHECKED, blocking, validate
from .resources import ResourceInfo
from .validation import Cause

_ROOT_KEYS = ("apiVersion", "kind", "metadata")

# ---------------------------------------------------------------- pruning and defaulting


def _meta_fields(obj: Obj, path: str, found: list[str], prune: bool) -> None:
    from .builtin_fields import walk_model

    md = obj.get("metadata")
    if isinstance(md, dict):
        walk_model(md, "V1ObjectMeta", _join(path, "metadata"), found, prune)


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
        """Causes for a create (old None) or an update. An update is not refused for an error on a value it left
        unchanged (validation ratcheting), so tightening a CRD never locks existing objects."""
        causes: list[Cause] = []
        validate(obj, self.root, "", causes, root=True)
        if causes and old is not None:
            before: list[Cause] = []
            validate(old, self.root, "", before, root=True)
            causes = _ratchet(causes, before, obj, old)
        if self.root.has_rules_below:
            if blocking(causes):
                causes.append(dict(NOT_CHECKED))
            else:
                rules = cel_rules.evaluate(obj, old, self.root, "")
                if rules and old is not None:
                    rules = _ratchet(rules, cel_rules.evaluate(old, None, self.root, ""), obj, old)
                causes += rules
        return causes


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_MISSING = object()


def value_at(obj: Any, path: str) -> Any:
    """The value at a cause's field path (`spec.tags[1]`, `spec.labels.key`); _MISSING when absent."""
    value = obj
    for key, index in _PATH_PART.findall(path):
        if index:
            if not isinstance(value, list) or int(index) >= len(value):
                return _MISSING
            value = value[int(index)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return _MISSING
    return value


def _ratchet(causes: list[Cause], before: list[Cause], obj: Obj, old: Obj) -> list[Cause]:
    """Drop the causes the stored object had too, at a value this update did not change."""
    seen = {(c["field"], c["message"]) for c in before}
    kept = []
    for cause in causes:
        field = cause.get("field", "")
        unchanged = value_at(obj, field) is not _MISSING and value_at(obj, field) == value_at(old, field)
        if not ((field, cause["message"]) in seen and unchanged):
            kept.append(cause)
    return kept


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


__all__ = ["CompiledSchema", "crd_schema_causes", "for_crd_version", "for_info"]
