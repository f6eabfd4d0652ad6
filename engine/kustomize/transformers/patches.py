"""patches, patchesStrategicMerge and patchesJson6902: load each patch, detect its type, apply it to targets."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..errors import KustomizeError
from ..loader import Loader
from ..resmap import ResMap
from ..resource import Resource
from ..yamlio import load_documents

if TYPE_CHECKING:
    from engine.patch.schema import SchemaLookup

    from ..selector import Selector

_SELECTOR_ORDER = ("group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector")


def _apply_smp(
    obj: dict[str, Any], patch: dict[str, Any], schema: SchemaLookup | None
) -> dict[str, Any] | None:
    """kustomize's strategic merge; None when the patch deletes the whole object."""
    from ...patch.strategic import (  # imported on first use: startup time
        apply_strategic_merge_patch,
        deletes_object,
    )

    if deletes_object(patch):
        return None
    if schema is None:
        from ...patch.schema import schema_for

        api_version = obj.get("apiVersion") or patch.get("apiVersion") or ""
        schema = schema_for(str(api_version), str(obj.get("kind") or patch.get("kind") or ""))
    deferred: list[tuple[list[tuple[str, ...]], list[Any]]] = []
    _replace_lists_with_keyless_items(patch, obj, (), schema, [], deferred)
    merged = apply_strategic_merge_patch(obj, patch, schema=schema, flavor="kustomize")
    for steps, value in deferred:
        _set_at(merged, steps, value)
    return merged


def _replace_lists_with_keyless_items(
    node: Any,
    original: Any,
    path: tuple[str, ...],
    schema: SchemaLookup,
    steps: list[tuple[str, ...]],
    deferred: list[tuple[list[tuple[str, ...]], list[Any]]],
) -> None:
    """kustomize (kyaml's merge) on a merge-keyed list the object already has, whose patch holds an item
    without the key: the list becomes the patch's keyed items, in patch order, unmerged (keyless items
    dropped); rewritten here as a `$patch: replace` list. A list the object lacks becomes the keyless
    items only: set after the merge (`deferred`, reached through `steps`). Observed with kustomize v5.5.0."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if not isinstance(key, str) or not isinstance(value, (dict, list)):
            continue
        here = (*path, key)
        before = original.get(key) if isinstance(original, dict) else None
        if isinstance(value, dict):
            _replace_lists_with_keyless_items(value, before, here, schema, [*steps, ("k", key)], deferred)
            continue
        strategy = schema(here)
        merge_key = strategy.merge_key if strategy.smp_merge else None
        items = [i for i in value if isinstance(i, dict) and "$patch" not in i]
        if merge_key and any(merge_key not in i for i in items):
            if isinstance(before, list):
                node[key] = [{"$patch": "replace"}, *(i for i in items if merge_key in i)]
            else:
                keyless = [i for i in items if merge_key not in i]
                deferred.append(([*steps, ("k", key)], copy.deepcopy(keyless)))
                node[key] = []
            continue
        for item in items:
            match = None
            if merge_key and isinstance(before, list) and merge_key in item:
                match = next(
                    (b for b in before if isinstance(b, dict) and b.get(merge_key) == item[merge_key]), None
                )
            where = (
                ("item", key, merge_key, item[merge_key]) if merge_key and merge_key in item else ("k", key)
            )
            if where[0] == "k":
                continue  # items of unkeyed lists are replaced whole: nothing to defer inside them
            _replace_lists_with_keyless_items(item, match, here, schema, [*steps, where], deferred)


def _set_at(node: Any, steps: list[tuple[str, ...]], value: Any) -> None:
    """Set `value` at the place `steps` names in the merged object (maps by key, list items by merge key)."""
    for step in steps[:-1]:
        if step[0] == "k":
            node = node.get(step[1]) if isinstance(node, dict) else None
        else:
            items = node.get(step[1]) if isinstance(node, dict) else None
            node = next((i for i in items or [] if isinstance(i, dict) and i.get(step[2]) == step[3]), None)
        if node is None:
            return
    if isinstance(node, dict):
        node[steps[-1][1]] = value


def config_yaml(entry: dict[str, Any]) -> str:
    """A patch entry as kustomize echoes it in configuration errors (struct field order, block YAML)."""
    ordered: dict[str, Any] = {}
    for key in ("path", "patch"):
        if entry.get(key):
            ordered[key] = entry[key]
    target = entry.get("target")
    if isinstance(target, dict) and target:
        ordered["target"] = {k: target[k] for k in _SELECTOR_ORDER if target.get(k)}
    if entry.get("options"):
        ordered["options"] = dict(sorted(entry["options"].items()))
    import yaml

    return yaml.safe_dump(
        ordered, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1 << 20
    )


def parse_json_ops(text: str) -> list[Any] | None:
    """RFC 6902 operations: strict JSON when the text starts with '[', else YAML."""
    import json

    try:
        ops = json.loads(text)
    except ValueError:
        if text.startswith("["):
            return None
        import yaml

        try:
            ops = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            return None
    return ops if isinstance(ops, list) else None


def _parse_sm(text: str, source: str) -> list[dict[str, Any]] | None:
    try:
        docs = load_documents(text, source=source)
    except KustomizeError:
        return None
    return docs or None


def _patch_repr(text: str) -> str:
    """A patch text as kustomize's messages print it."""
    import json

    return f"[patch: {json.dumps(text, ensure_ascii=False)}]"


class Patch:
    """One loaded patch: strategic-merge documents or JSON6902 operations, an optional target and options."""

    def __init__(
        self,
        sm: list[dict[str, Any]] | None = None,
        ops: list[Any] | None = None,
        target: Selector | None = None,
        allow_name_change: bool = False,
        allow_kind_change: bool = False,
        text: str = "",
        origin: str = "",
    ) -> None:
        self.sm = sm
        self.ops = ops
        self.target = target
        self.allow_name_change = allow_name_change
        self.allow_kind_change = allow_kind_change
        self.text = text
        self.origin = origin


def _selector(target: dict[str, Any]) -> Selector:
    from ..selector import Selector

    return Selector(target)


def load_patch(ldr: Loader, entry: dict[str, Any]) -> Patch:
    """A `patches:` entry: inline `patch` or a file `path`; SMP vs JSON6902 decided as kustomize does."""
    text = (entry.get("patch") or "").strip()
    path = entry.get("path") or ""
    if not text and not path:
        raise KustomizeError(f"must specify one of patch and path in\n{config_yaml(entry)}")
    if text and path:
        raise KustomizeError(f"patch and path can't be set at the same time\n{config_yaml(entry)}")
    if path:
        try:
            text = ldr.load_bytes(path).decode("utf-8")
        except KustomizeError as e:
            raise KustomizeError(
                f"failed to get the patch file from path({path}): {e}", path=e.path
            ) from None
        except UnicodeDecodeError:
            raise KustomizeError(f"failed to get the patch file from path({path}): not UTF-8 text") from None
    source = path or "inline patch"
    sm = _parse_sm(text, source)
    ops = None if sm is not None else parse_json_ops(text)
    if sm is None and ops is None:
        raise KustomizeError(f"unable to parse SM or JSON patch from {_patch_repr(text)}")
    options = entry.get("options") or {}
    target = entry.get("target")
    return Patch(
        sm=sm,
        ops=ops,
        target=_selector(target) if isinstance(target, dict) else None,
        allow_name_change=bool(options.get("allowNameChange")),
        allow_kind_change=bool(options.get("allowKindChange")),
        text=text,
        origin=source,
    )


def load_legacy_sm(ldr: Loader, entry: str) -> list[dict[str, Any]]:
    """A patchesStrategicMerge entry: inline YAML if it parses as objects, else a file path."""
    inline = _parse_sm(entry, "inline patch") if ("\n" in entry or ":" in entry) else None
    if inline:
        return inline
    text = ldr.load_bytes(entry).decode("utf-8")
    return load_documents(text, source=entry)


def _patch_id(patch: dict[str, Any]) -> Resource:
    return Resource(patch)


def apply_sm_to(res: Resource, patch: dict[str, Any], p: Patch, schema: SchemaLookup | None = None) -> bool:
    """Strategic-merge `patch` into `res`; False when the patch deletes the object."""
    name, ns, kind = res.name, res.meta.get("namespace"), res.obj.get("kind")
    from ...patch import PatchError

    if p.allow_name_change or p.allow_kind_change:
        res.store_previous_id()
    try:
        merged = _apply_smp(res.obj, patch, schema)
    except PatchError as e:
        raise KustomizeError(f"strategic merge patch {p.origin} on {res.cur_id()}: {e}") from None
    if not merged:
        return False
    res.obj = merged
    if not p.allow_kind_change:
        res.obj["kind"] = kind
    if not p.allow_name_change:
        res.meta["name"] = name
    if ns is None:
        res.meta.pop("namespace", None)
    else:
        res.meta["namespace"] = ns
    return True


def _apply_sm_set(resmap: ResMap, selected: list[Resource], patch: dict[str, Any], p: Patch) -> None:
    chosen = {id(r) for r in selected}
    kept: list[Resource] = []
    for res in resmap.resources():
        if id(res) not in chosen:
            kept.append(res)
            continue
        one = copy.deepcopy(patch)
        one["apiVersion"] = res.obj.get("apiVersion")
        if not one.get("kind"):
            one["kind"] = res.kind
        schema = (
            resmap.openapi.lookup(str(res.obj.get("apiVersion") or ""), res.kind) if resmap.openapi else None
        )
        if apply_sm_to(res, one, p, schema):
            kept.append(res)
    resmap.replace_all(kept)


def apply_patch(resmap: ResMap, p: Patch) -> None:
    if p.sm is not None:
        if p.target is None:
            for patch in p.sm:
                pid = _patch_id(patch).cur_id()
                try:
                    target = resmap.get_by_id(pid)
                except KustomizeError as e:
                    raise KustomizeError(f'no resource matches strategic merge patch "{pid}": {e}') from None
                _apply_sm_set(resmap, [target], patch, p)
            return
        selected = p.target.select(resmap.resources())
        for patch in p.sm:
            _apply_sm_set(resmap, selected, patch, p)
        return
    if p.target is None:
        raise KustomizeError(f"must specify a target for JSON patch {_patch_repr(p.text)}")
    apply_json_to(p.target.select(resmap.resources()), p.ops or [])


def apply_json_to(resources: list[Resource], ops: list[Any], *, keep_id: bool = False) -> None:
    """RFC 6902 operations on each resource; the `patches` field remembers the id before (a rename keeps
    its references), PatchJson6902Transformer (`patchesJson6902`) does not (`keep_id`)."""
    from ...patch import PatchError, apply_json_patch

    for res in resources:
        if not keep_id:
            res.store_previous_id()
        try:
            res.obj = apply_json_patch(res.obj, ops)
        except PatchError as e:
            raise KustomizeError(str(e)) from None


def apply_legacy_sm(resmap: ResMap, patches: list[dict[str, Any]]) -> None:
    p = Patch(origin="patchesStrategicMerge")
    for patch in patches:
        pid = _patch_id(patch).cur_id()
        target = resmap.get_by_id(pid)
        _apply_sm_set(resmap, [target], patch, p)
