"""kustomize's replacements: copy a field of one object into fields of others (api/filters/replacement)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from engine.kustomize.errors import KustomizeError
from engine.kustomize.gonum import format_go_float
from engine.kustomize.resid import ResId, split_api_version
from engine.kustomize.selector import parse_label_selector
from engine.kustomize.yamlio import load_values, resolve_plain

DEFAULT_FIELD_PATH = "metadata.name"
_ID_FIELDS = ("group", "version", "kind", "name", "namespace")
_SOURCE_FIELDS = frozenset((*_ID_FIELDS, "fieldPath", "options"))
_SELECT_FIELDS = frozenset((*_ID_FIELDS, "labelSelector", "annotationSelector"))
_TARGET_FIELDS = frozenset(("select", "reject", "fieldPaths", "options"))
_OPTION_FIELDS = frozenset(("delimiter", "index", "create"))
_MISSING = object()


class FileLoader(Protocol):
    """Reads a file relative to the kustomization directory under the load restrictor."""

    def load_bytes(self, path: str) -> bytes: ...


IdsOf = Callable[[dict], Iterable[ResId]]


def apply_replacements(
    objects: list[dict],
    replacements: list[dict],
    *,
    loader: FileLoader | None = None,
    ids_of: IdsOf | None = None,
) -> list[dict]:
    """Apply each replacement in order, changing `objects` in place; returns the same list.

    `ids_of(obj)` gives every id an object answers to (current first, then names it had before a
    prefix/suffix or namespace change); by default only its current id. Entries with `path:` are read
    through `loader`.
    """
    ids = ids_of or current_ids
    for entry in expand_paths(replacements, loader):
        _check_replacement(entry)
        source = entry["source"]
        value = _source_value(objects, source, ids)
        for target in entry["targets"]:
            _apply_target(objects, value, target, ids)
    return objects


def expand_paths(replacements: list[dict], loader: FileLoader | None) -> list[dict]:
    """Replacement entries with each `path:` entry replaced by the replacement(s) its file holds."""
    out: list[dict] = []
    for entry in replacements:
        if not isinstance(entry, dict):
            raise KustomizeError(
                f"replacements entries must be mappings with source and targets, got {entry!r}"
            )
        if "path" not in entry:
            out.append(entry)
            continue
        path = entry["path"]
        if len(entry) > 1:
            raise KustomizeError(
                f"replacement with path '{path}' must not also set source or targets", path=path
            )
        if loader is None:
            raise KustomizeError(f"replacement file '{path}' cannot be read: no file loader given", path=path)
        text = loader.load_bytes(path).decode("utf-8", "replace")
        for doc in load_values(text, source=path):
            for item in doc if isinstance(doc, list) else [doc]:
                if not isinstance(item, dict):
                    raise KustomizeError(
                        f"{path}: each replacement must be a mapping with source and targets", path=path
                    )
                out.append(item)
    return out


def current_ids(obj: dict) -> list[ResId]:
    """The object's current id (group, version, kind, name, namespace)."""
    group, version = split_api_version(obj.get("apiVersion"))
    meta = obj.get("metadata") or {}
    return [
        ResId(
            group,
            version,
            str(obj.get("kind") or ""),
            str(meta.get("name") or ""),
            str(meta.get("namespace") or ""),
        )
    ]


# ---------------------------------------------------------------- validation


def _check_replacement(entry: dict) -> None:
    unknown = sorted(set(entry) - {"source", "targets"})
    if unknown:
        raise KustomizeError(
            f'invalid replacement: unknown field "{unknown[0]}"; a replacement has source and targets'
        )
    source, targets = entry.get("source"), entry.get("targets")
    if not source or not targets:
        raise KustomizeError("replacements must specify a source and at least one target")
    _check_map(source, _SOURCE_FIELDS, "replacement source")
    _check_strings(source, "replacement source")
    _check_options(source.get("options"), "replacement source")
    if not isinstance(targets, list):
        raise KustomizeError("replacement targets must be a list of {select, reject, fieldPaths, options}")
    for target in targets:
        _check_map(target, _TARGET_FIELDS, "replacement target")
        if target.get("select") is None:
            raise KustomizeError("target must specify resources to select")
        _check_map(target["select"], _SELECT_FIELDS, "replacement target select")
        _check_strings(target["select"], "replacement target select")
        rejects = target.get("reject") or []
        if not isinstance(rejects, list):
            raise KustomizeError("replacement target reject must be a list of selectors")
        for reject in rejects:
            _check_map(reject, _SELECT_FIELDS, "replacement target reject")
            _check_strings(reject, "replacement target reject")
        paths = target.get("fieldPaths")
        if paths is not None and not (isinstance(paths, list) and all(isinstance(p, str) for p in paths)):
            raise KustomizeError("replacement target fieldPaths must be a list of strings")
        _check_options(target.get("options"), "replacement target")


def _check_map(value: Any, allowed: frozenset[str], where: str) -> None:
    if not isinstance(value, dict):
        raise KustomizeError(f"{where} must be a mapping, got {type(value).__name__}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise KustomizeError(f'{where}: unknown field "{unknown[0]}"; allowed: {", ".join(sorted(allowed))}')


def _check_strings(selector: dict, where: str) -> None:
    """Selector fields and fieldPath are strings (Go decodes them into string fields)."""
    for key, value in selector.items():
        if key != "options" and value is not None and not isinstance(value, str):
            raise KustomizeError(
                f"{where}: {key} must be a string, got {_kind_of(value)} ({value!r}); quote it in the YAML"
            )


def _check_options(options: Any, where: str) -> None:
    if options is None:
        return
    _check_map(options, _OPTION_FIELDS, f"{where} options")
    if not isinstance(options.get("delimiter", ""), str):
        raise KustomizeError(f"{where} options.delimiter must be a string")
    if not isinstance(options.get("index", 0), int) or isinstance(options.get("index", 0), bool):
        raise KustomizeError(f"{where} options.index must be an integer")
    if not isinstance(options.get("create", False), bool):
        raise KustomizeError(f"{where} options.create must be true or false")


# ---------------------------------------------------------------- selection


def _selector_id(selector: dict) -> ResId:
    return ResId(*(str(selector.get(f) or "") for f in _ID_FIELDS))


def _id_selected_by(rid: ResId, selector: ResId) -> bool:
    """kustomize's ResId.IsSelectedBy: empty selector fields match anything; namespace '' counts as default."""
    return (
        (not selector.name or selector.name == rid.name)
        and (not selector.namespace or selector.effective_namespace == rid.effective_namespace)
        and rid.gvk.is_selected_by(selector.gvk)
    )


def _id_text(rid: ResId) -> str:
    """kustomize's ResId.String(): Kind.version.group/name.namespace with [noX] placeholders."""
    return f"{rid.gvk}/{rid.name or '[noName]'}.{rid.namespace or '[noNs]'}"


def _selector_text(source: dict) -> str:
    parts = [_id_text(_selector_id(source))]
    if source.get("fieldPath"):
        parts.append(source["fieldPath"])
    options = source.get("options") or {}
    if options.get("delimiter") or options.get("create"):
        create = "true" if options.get("create") else "false"
        parts.append(f"{options.get('delimiter', '')}({options.get('index', 0)}), create={create}")
    return ":".join(parts)


def _matches_meta_selectors(obj: dict, selector: dict) -> bool:
    meta = obj.get("metadata") or {}
    for field, key in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        text = selector.get(field)
        if text:
            values = meta.get(key) or {}
            if not all(req(values) for req in parse_label_selector(str(text), field=field)):
                return False
    return True


# ---------------------------------------------------------------- source


def _source_value(objects: list[dict], source: dict, ids: IdsOf) -> Any:
    selector = _selector_id(source)
    matches = [obj for obj in objects if any(_id_selected_by(rid, selector) for rid in ids(obj))]
    if not matches:
        raise KustomizeError(f"nothing selected by {_selector_text(source)}")
    if len(matches) > 1:
        raise KustomizeError(f"multiple matches for selector {_selector_text(source)}")
    field_path = source.get("fieldPath") or DEFAULT_FIELD_PATH
    value = _lookup(matches[0], split_field_path(field_path))
    if value is _MISSING or value is None or value == {} or value == []:
        raise KustomizeError(
            f"fieldPath `{field_path}` is missing for replacement source {_id_text(selector)}"
        )
    options = source.get("options") or {}
    if not options.get("delimiter"):
        return value
    if isinstance(value, (dict, list)):
        raise KustomizeError("delimiter option can only be used with scalar nodes")
    pieces = scalar_text(value).split(options["delimiter"])
    index = options.get("index", 0)
    if index >= len(pieces) or index < 0:
        raise KustomizeError(f"options.index {index} is out of bounds for value {scalar_text(value)}")
    return _decode_as(value, pieces[index])


def _lookup(node: Any, parts: list[str]) -> Any:
    """kyaml's Lookup: fields, numeric indexes, '-' (last element) and exact [key=value] element matches."""
    for part in parts:
        if node is None:
            return _MISSING
        if part.isdigit() or (part.startswith("-") and part[1:].isdigit()):
            index = int(part)
            if index < 0:
                raise KustomizeError(
                    f"error looking up replacement source: array index {index} cannot be negative"
                )
            node = _elements(node, part)
            node = node[index] if index < len(node) else _MISSING
        elif part == "-":
            elements = _elements(node, part)
            node = elements[-1] if elements else _MISSING
        elif part.startswith("[") and part.endswith("]"):
            key, value = _split_list_selector(part)
            node = next(
                (e for e in _elements(node, part) if _element_matches_exactly(e, key, value)), _MISSING
            )
        else:
            if not isinstance(node, dict):
                raise KustomizeError(
                    f"error looking up replacement source: wrong Node Kind for {part} expected: MappingNode "
                    f"was {_node_kind(node)}: value: {{{scalar_text(node)}}}"
                )
            node = node.get(part, _MISSING)
        if node is _MISSING:
            return _MISSING
    return node


def _element_matches_exactly(element: Any, key: str, value: str) -> bool:
    if not key:
        return not isinstance(element, (dict, list)) and scalar_text(element) == value
    return isinstance(element, dict) and key in element and scalar_text(element[key]) == value


# ---------------------------------------------------------------- targets


def _apply_target(objects: list[dict], value: Any, target: dict, ids: IdsOf) -> None:
    select = target["select"]
    rejects = target.get("reject") or []
    select_id = _selector_id(select)
    reject_ids = [_selector_id(r) for r in rejects if any(r.get(f) for f in _ID_FIELDS)]
    meta_rejects = [r for r in rejects if r.get("labelSelector") or r.get("annotationSelector")]
    field_paths = target.get("fieldPaths") or [DEFAULT_FIELD_PATH]
    options = target.get("options") or {}
    for obj in objects:
        if not _matches_meta_selectors(obj, select):
            continue
        if any(_matches_meta_selectors(obj, r) for r in meta_rejects):
            continue
        obj_ids = list(ids(obj))
        # kustomize's containsRejectId: any id the object had (current or earlier name) may be rejected
        if any(_id_selected_by(rid, r) for rid in obj_ids for r in reject_ids):
            continue
        if any(_id_selected_by(rid, select_id) for rid in obj_ids):
            _copy_to_target(obj, value, field_paths, options)


def _copy_to_target(obj: dict, value: Any, field_paths: list[str], options: dict) -> None:
    create = bool(options.get("create"))
    for field_path in field_paths:
        wording = "find or create" if create else "find"
        try:
            slots = _match_path(obj, split_field_path(field_path), create, _kind_of(value))
        except KustomizeError as err:
            raise KustomizeError(
                f'unable to {wording} field "{field_path}" in replacement target: {err.message}'
            ) from None
        if not slots:
            raise KustomizeError(f'unable to {wording} field "{field_path}" in replacement target')
        for container, key, created in slots:
            container[key] = _new_value(container[key], created, value, options)
        if field_path.startswith("metadata.annotations"):
            _stringify_annotations(obj)


def _new_value(current: Any, created: bool, value: Any, options: dict) -> Any:
    """The target's new content: scalars keep their type and take the value's text; the rest is replaced."""
    delimiter = options.get("delimiter")
    if delimiter:
        if isinstance(current, (dict, list)):
            raise KustomizeError("delimiter option can only be used with scalar nodes")
        pieces = ("" if created else scalar_text(current)).split(delimiter)
        text = scalar_text(value)
        index = options.get("index", 0)
        if index < 0:
            pieces.insert(0, text)
        elif index >= len(pieces):
            pieces.append(text)
        else:
            pieces[index] = text
        value = delimiter.join(pieces)
    if created:
        if isinstance(value, (dict, list)):
            return copy.deepcopy(value)
        return _resolve_created(scalar_text(value))
    if isinstance(current, (dict, list)):
        return copy.deepcopy(value)
    return _decode_as(current, scalar_text(value))


def _resolve_created(text: str) -> Any:
    value = resolve_plain(text) if text else ""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise KustomizeError(f"json: unsupported value: {value!r} (replacement value `{text}`)")
    return value


def _decode_as(current: Any, text: str) -> Any:
    """`text` as a scalar carrying `current`'s YAML tag (go-yaml v3 decoding; mismatches are errors)."""
    if isinstance(current, str):
        return text
    resolved = resolve_plain(text) if text else None
    if isinstance(current, bool):
        ok = isinstance(resolved, bool)
        wanted = "!!bool"
    elif isinstance(current, int):
        ok = isinstance(resolved, int) and not isinstance(resolved, bool)
        wanted = "!!int"
    elif isinstance(current, float):
        ok = isinstance(resolved, (int, float)) and not isinstance(resolved, bool)
        resolved = float(resolved) if ok and resolved is not None else resolved
        wanted = "!!float"
    else:
        ok = resolved is None
        wanted = "!!null"
    if not ok:
        raise KustomizeError(f"cannot decode {_tag_of(resolved)} `{text}` as a {wanted}")
    return resolved


def _match_path(node: Any, parts: list[str], create: bool, leaf_kind: str) -> list[tuple[Any, Any, bool]]:
    """kyaml's PathMatcher: every (container, key, created) slot the path reaches, creating parts when asked."""
    if not parts:
        return []
    part, rest = parts[0], parts[1:]
    next_kind = _part_kind(rest[0] if rest else "", leaf_kind)
    slots: list[tuple[Any, Any, bool]] = []
    if part.isdigit():
        elements = _elements(node, part)
        index = int(part)
        created = False
        if len(elements) == index and create:
            elements.append(_empty(next_kind))
            created = True
        if len(elements) < index + 1:
            raise KustomizeError(f"index {index} specified but only {len(elements)} elements found")
        return _descend(elements, index, rest, create, leaf_kind, created)
    if part.startswith("[") and part.endswith("]"):
        key, pattern = _split_list_selector(part)
        try:
            regex = re.compile(pattern)
        except re.error as err:
            raise KustomizeError(
                f"invalid regular expression '{pattern}' in field path part {part}: {err}"
            ) from None
        elements = _elements(node, part)
        for i, element in enumerate(elements):
            if key:
                if not isinstance(element, dict) or element.get(key) is None:
                    continue
                candidate = element[key]
            else:
                candidate = element
            if isinstance(candidate, (dict, list)) or not regex.search(scalar_text(candidate)):
                continue
            slots.extend(_descend(elements, i, rest, create, leaf_kind, False))
        if slots or not create:
            return slots
        created_value = _resolve_created(pattern)
        elements.append({key: created_value} if key else created_value)
        return _match_path(node, parts, create, leaf_kind)
    if part == "*":
        elements = _elements(node, part)
        for i in range(len(elements)):
            slots.extend(_descend(elements, i, rest, create, leaf_kind, False))
        return slots
    if node is None:
        return []
    if not isinstance(node, dict):
        raise KustomizeError(
            f"wrong Node Kind for {part} expected: MappingNode was {_node_kind(node)}: value: {{{scalar_text(node)}}}"
        )
    created = False
    if part not in node:
        if not create:
            return []
        node[part] = _empty(next_kind)
        created = True
    return _descend(node, part, rest, create, leaf_kind, created)


def _descend(container: Any, key: Any, rest: list[str], create: bool, leaf_kind: str, created: bool) -> list:
    if not rest:
        return [(container, key, created)]
    child = container[key]
    if child is None and create:
        child = container[key] = _empty(_part_kind(rest[0], leaf_kind))
    return _match_path(child, rest, create, leaf_kind)


def _elements(node: Any, part: str) -> list:
    if node is None:
        return []
    if not isinstance(node, list):
        raise KustomizeError(
            f"wrong Node Kind for {part} expected: SequenceNode was {_node_kind(node)}: value: {{{scalar_text(node)}}}"
        )
    return node


def _part_kind(next_part: str, leaf_kind: str) -> str:
    if not next_part:
        return leaf_kind
    if next_part.isdigit() or (next_part.startswith("[") and next_part.endswith("]")):
        return "seq"
    return "map"


def _empty(kind: str) -> Any:
    return {} if kind == "map" else [] if kind == "seq" else None


# ---------------------------------------------------------------- field paths and scalars


def split_field_path(path: str) -> list[str]:
    """kustomize's SmarterPathSplitter: '.'-separated, `\\.` escapes, `[k=v.x]` kept whole, `[a.b/c]` a map key."""
    raw = path.split(".")
    pieces: list[str] = [raw[0]]
    for item in raw[1:]:
        if pieces[-1].endswith("\\"):
            pieces[-1] = pieces[-1][:-1] + "." + item
        else:
            pieces.append(item)
    joined: list[str] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if piece.startswith("[") and not piece.endswith("]"):
            group = [piece]
            while i < len(pieces) - 1:
                i += 1
                group.append(pieces[i])
                if pieces[i].endswith("]"):
                    break
            piece = ".".join(group)
        joined.append(piece)
        i += 1
    out = []
    for piece in joined:
        if piece.startswith("[") and piece.endswith("]") and "=" not in piece:
            piece = piece[1:-1]
        piece = piece.strip()
        if piece:
            out.append(piece)
    return out


def _split_list_selector(part: str) -> tuple[str, str]:
    inner = part[1:-1]
    if "=" not in inner:
        raise KustomizeError("list path element must contain fieldName=fieldValue for element to match")
    key, value = inner.split("=", 1)
    return key, value


def scalar_text(value: Any) -> str:
    """A scalar's YAML text as kyaml holds it ('' for mappings and lists)."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_go_float(value)
    return ""


def _kind_of(value: Any) -> str:
    return "map" if isinstance(value, dict) else "seq" if isinstance(value, list) else "scalar"


def _node_kind(value: Any) -> str:
    return {"map": "MappingNode", "seq": "SequenceNode"}.get(_kind_of(value), "ScalarNode")


def _tag_of(value: Any) -> str:
    if value is None:
        return "!!null"
    if isinstance(value, bool):
        return "!!bool"
    if isinstance(value, int):
        return "!!int"
    if isinstance(value, float):
        return "!!float"
    return "!!str"


def _stringify_annotations(obj: dict) -> None:
    """Annotations always come out as strings (kustomize rewrites them from their text)."""
    annotations = (obj.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        for key, value in annotations.items():
            if not isinstance(value, str):
                annotations[key] = scalar_text(value)
