"""Strategic merge patch as the Kubernetes API server (and, with flavor="kustomize", kustomize v5) applies it."""

from __future__ import annotations

import copy
import json
from typing import Any, Literal

from .errors import PatchError
from .schema import ATOMIC, ListStrategy, SchemaLookup, schema_for

Flavor = Literal["kubernetes", "kustomize"]

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ORDER = "$setElementOrder/"
DELETE_FROM_PRIMITIVE = "$deleteFromPrimitiveList/"


def deletes_object(patch: dict) -> bool:
    """Whether the patch is a whole-object `$patch: delete` (kustomize drops the matched resource)."""
    return isinstance(patch, dict) and patch.get(DIRECTIVE) == "delete"


def apply_strategic_merge_patch(
    original: dict,
    patch: dict,
    *,
    schema: SchemaLookup | None = None,
    flavor: Flavor = "kubernetes",
) -> dict:
    """Apply a strategic merge patch; returns a new object, the inputs are not modified.

    `schema` maps a field path to its list strategy; by default it comes from the object's apiVersion and kind
    (custom resources: every list is replaced). `flavor="kustomize"` reproduces kustomize v5 where it differs from
    the API server: merged lists hold the patch's items first, `$retainKeys`/`$setElementOrder`/
    `$deleteFromPrimitiveList` are kept as plain data, and `$patch: delete` on a map removes the key.
    A whole-object `$patch: delete` returns `{}`; use `deletes_object` to detect it first.
    """
    if not isinstance(original, dict):
        raise PatchError(f"the object to patch must be a map, got {type(original).__name__}")
    if not isinstance(patch, dict):
        raise PatchError(f"a strategic merge patch must be a map, got {type(patch).__name__}")
    if schema is None:
        api_version = original.get("apiVersion") or patch.get("apiVersion") or ""
        kind = original.get("kind") or patch.get("kind") or ""
        schema = schema_for(str(api_version), str(kind))
    merger = _Merger(schema, flavor)
    merged = merger.merge_map(copy.deepcopy(original), copy.deepcopy(patch), (), "")
    return {} if merged is _DELETED else merged


_DELETED: Any = object()


def _where(display: str) -> str:
    return display or "the object root"


def _key_repr(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


class _Merger:
    def __init__(self, schema: SchemaLookup, flavor: Flavor) -> None:
        self.schema = schema
        self.kustomize = flavor == "kustomize"
        if flavor not in ("kubernetes", "kustomize"):
            raise ValueError(f"unknown flavor {flavor!r}; use 'kubernetes' or 'kustomize'")

    def strategy(self, path: tuple[str, ...]) -> ListStrategy:
        return self.schema(path) if path else ATOMIC

    def merge_map(self, original: dict, patch: dict, path: tuple[str, ...], where: str) -> Any:
        directive = patch.pop(DIRECTIVE, None)
        if directive == "replace":
            return self.fresh(patch, path, where)
        if directive == "delete":
            return _DELETED if self.kustomize or not path else {}
        if directive not in (None, "merge"):
            raise PatchError(
                f"{_where(where)}: unknown patch directive $patch: {directive!r}; use replace, delete or merge",
                where,
            )
        orders: dict[str, Any] = {}
        removals: dict[str, Any] = {}
        if not self.kustomize:
            self.retain_keys(original, patch, where)
            for key in [k for k in patch if k.startswith((SET_ORDER, DELETE_FROM_PRIMITIVE))]:
                target = orders if key.startswith(SET_ORDER) else removals
                field = key.split("/", 1)[1]
                value = patch.pop(key)
                if not isinstance(value, list):
                    raise PatchError(f"{where}.{key}: must be a list, got {type(value).__name__}", where)
                target[field] = value
        for key, value in patch.items():
            sub, here = path + (key,), f"{where}.{key}"
            if value is None:
                original.pop(key, None)
                continue
            current = original.get(key)
            if isinstance(current, dict) and isinstance(value, dict):
                merged = self.merge_map(current, value, sub, here)
            elif isinstance(current, list) and isinstance(value, list):
                merged = self.merge_list(current, value, sub, here, orders.pop(key, None))
            else:
                merged = self.fresh(value, sub, here)
            if merged is _DELETED:
                original.pop(key, None)
            else:
                original[key] = merged
        for key, order in orders.items():
            if isinstance(original.get(key), list):
                original[key] = self.merge_list(original[key], [], path + (key,), f"{where}.{key}", order)
        for key, values in removals.items():
            if isinstance(original.get(key), list):
                original[key] = [item for item in original[key] if item not in values]
        return original

    def retain_keys(self, original: dict, patch: dict, where: str) -> None:
        keep = patch.pop(RETAIN_KEYS, None)
        if keep is None:
            return
        if not isinstance(keep, list) or not all(isinstance(k, str) for k in keep):
            raise PatchError(f"{where}.$retainKeys: must be a list of field names, got {keep!r}", where)
        for key in [k for k in original if k not in keep]:
            del original[key]

    def fresh(self, value: Any, path: tuple[str, ...], where: str) -> Any:
        """A patch value with no counterpart in the original: directives applied, nulls dropped."""
        if isinstance(value, dict):
            return self.merge_map({}, value, path, where)
        if isinstance(value, list):
            return self.merge_list([], value, path, where, None)
        return value

    def merge_list(
        self, original: list, patch: list, path: tuple[str, ...], where: str, order: list | None
    ) -> list:
        strategy = self.strategy(path)
        if not strategy.smp_merge:
            return [
                self.fresh(item, path, f"{where}[{i}]") for i, item in enumerate(patch) if not _special(item)
            ]
        if any(isinstance(item, dict) for item in original + patch + (order or [])):
            if strategy.merge_key is None:
                raise PatchError(f"{where}: cannot merge a list of maps without a merge key", where)
            return self.merge_keyed(original, patch, path, where, strategy.merge_key, order)
        merged = list(original)
        for item in patch:
            if item not in merged:
                merged.append(item)
        return self.order(merged, order if order is not None else patch, original, lambda item: item)

    def merge_keyed(
        self, original: list, patch: list, path: tuple[str, ...], where: str, key: str, order: list | None
    ) -> list:
        def key_of(item: Any, label: str) -> Any:
            if not isinstance(item, dict) or key not in item:
                raise PatchError(
                    f"{label}: list item {item!r} does not contain declared merge key {key!r}", where
                )
            return item[key]

        merged = list(original)
        plain: list[dict] = []
        replace = False
        for i, item in enumerate(patch):
            directive = item.get(DIRECTIVE) if isinstance(item, dict) else None
            if directive == "delete":
                gone = key_of(item, f"{where}[{i}]")
                merged = [m for m in merged if not (isinstance(m, dict) and m.get(key) == gone)]
            elif directive == "replace":
                replace = True
            elif directive in (None, "merge"):
                if isinstance(item, dict):
                    item.pop(DIRECTIVE, None)
                key_of(item, f"{where}[{i}]")
                plain.append(item)
            else:
                raise PatchError(
                    f"{where}[{i}]: unknown patch directive $patch: {directive!r}; use replace, delete or merge",
                    where,
                )
        if replace:
            return [self.fresh(item, path, f"{where}[{key}={_key_repr(item[key])}]") for item in plain]
        for item in plain:
            value = item[key]
            here = f"{where}[{key}={_key_repr(value)}]"
            for i, existing in enumerate(merged):
                if isinstance(existing, dict) and existing.get(key) == value:
                    merged[i] = self.merge_map(existing, item, path, here)
                    break
            else:
                merged.append(self.fresh(item, path, here))
        wanted = order if order is not None else plain
        return self.order(
            merged, wanted, original, lambda item: item.get(key) if isinstance(item, dict) else item
        )

    def order(self, merged: list, wanted: list, original: list, key_of: Any) -> list:
        """Order a merged list: the patch's (or $setElementOrder's) items in that order, mixed with the rest."""
        wanted_keys = [key_of(item) for item in wanted]
        in_patch = sorted(
            (m for m in merged if key_of(m) in wanted_keys), key=lambda m: wanted_keys.index(key_of(m))
        )
        server_only = [m for m in merged if key_of(m) not in wanted_keys]
        if self.kustomize:
            return in_patch + server_only
        original_keys = [key_of(item) for item in original]
        result: list = []
        i = j = 0
        while i < len(server_only) or j < len(in_patch):
            if i >= len(server_only):
                result.append(in_patch[j])
                j += 1
            elif j >= len(in_patch):
                result.append(server_only[i])
                i += 1
            else:
                left, right = key_of(server_only[i]), key_of(in_patch[j])
                if (
                    left in original_keys
                    and right in original_keys
                    and (original_keys.index(left) < original_keys.index(right))
                ):
                    result.append(server_only[i])
                    i += 1
                else:
                    result.append(in_patch[j])
                    j += 1
        return result


def _special(item: Any) -> bool:
    return isinstance(item, dict) and DIRECTIVE in item
