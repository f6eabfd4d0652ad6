"""Parse YAML the way kustomize v5.5.0 types it (go-yaml v3 resolution, then a JSON round trip)."""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

import yaml

from engine.kustomize.errors import KustomizeError
from engine.kustomize.gonum import parse_go_float, parse_go_int

_NUMBER_TAG = "tag:kustomize,2024:maybe-number"
_TIMESTAMP_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:([Tt])|[ ])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?)?$"
)
_YAML_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def timestamp_string(text: str) -> str | None:
    """The RFC 3339 text Go's JSON encoder writes for a YAML timestamp, or None if `text` is not one."""
    m = _TIMESTAMP_RE.match(text)
    if m is None:
        return None
    year, month, day, tee, hh, mm, ss, frac, zone = m.groups()
    mo, d = int(month), int(day)
    if not 1 <= mo <= 12 or not 1 <= d <= _DAYS_IN_MONTH[mo - 1]:
        return None
    y = int(year)
    if mo == 2 and d == 29 and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        return None
    if hh is None:
        return f"{year}-{mo:02d}-{d:02d}T00:00:00Z"
    if tee is not None and zone is None or tee is None and zone is not None:
        return None
    h, mi, s = int(hh), int(mm), int(ss)
    if h > 23 or mi > 59 or s > 59:
        return None
    frac_text = ""
    if frac:
        digits = frac[:9].rstrip("0")
        frac_text = f".{digits}" if digits else ""
    if zone is None or zone == "Z" or zone[1:] == "00:00":
        tz = "Z"
    else:
        if int(zone[1:3]) > 23 or int(zone[4:]) > 59:
            return None
        tz = zone
    return f"{year}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac_text}{tz}"


def resolve_plain(text: str) -> Any:
    """The value go-yaml v3 gives `text` written as an untagged plain scalar (null, bool, number, timestamp or str)."""
    if text in _NULL_WORDS:
        return None
    if text in _BOOL_WORDS:
        return _BOOL_WORDS[text]
    if text[0] in _NUMBER_START:
        return resolve_plain_number(text)
    return text


def resolve_plain_number(text: str) -> Any:
    """Type a plain scalar starting with a digit, sign or dot as go-yaml v3 does; str when it is none of them."""
    if text[0] == ".":
        if text in (".inf", ".Inf", ".INF"):
            return float("inf")
        if text in (".nan", ".NaN", ".NAN"):
            return float("nan")
        value = parse_go_float(text)
        return text if value is None else value
    if text in ("+.inf", "+.Inf", "+.INF"):
        return float("inf")
    if text in ("-.inf", "-.Inf", "-.INF"):
        return float("-inf")
    if "0" <= text[0] <= "9":
        stamp = timestamp_string(text)
        if stamp is not None:
            return stamp
    plain = text.replace("_", "")
    number = parse_go_int(plain)
    if number is not None:
        return number
    if _YAML_STYLE_FLOAT.match(plain):
        value = parse_go_float(plain)
        if value is not None:
            return value
    if plain.startswith("0b") or plain.startswith("-0b"):
        neg = plain.startswith("-")
        digits = plain[3:] if neg else plain[2:]
        if digits and set(digits) <= {"0", "1"}:
            return -int(digits, 2) if neg else int(digits, 2)
    return text


_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
_BINARY = "tag:yaml.org,2002:binary"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_NULL_WORDS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOL_WORDS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NUMBER_START = frozenset("-+.0123456789")


class _Composer(yaml.CSafeLoader):
    """libyaml parser and composer; tags plain scalars with go-yaml v3's implicit types."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR
            if value in _NULL_WORDS:
                return _NULL
            first = value[0]
            if first in _NUMBER_START:
                return _NUMBER_TAG
            if value in _BOOL_WORDS:
                return _BOOL
            if value == "<<":
                return _MERGE
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Path-based resolvers are not used; skipping their bookkeeping saves a call per node."""

    def ascend_resolver(self) -> None:
        """See descend_resolver."""


_YAML11_BOOLS = {
    **{w: True for w in ("y", "Y", "yes", "Yes", "YES", "on", "On", "ON")},
    **{w: False for w in ("n", "N", "no", "No", "NO", "off", "Off", "OFF")},
}
_BOOL11 = "tag:kustomize,2024:yaml11-bool"


class _Composer11(_Composer):
    """YAML 1.1 booleans as well (y/n/yes/no/on/off): how sigs.k8s.io/yaml (go-yaml v2) types a kustomization."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0] and value in _YAML11_BOOLS:
            return _BOOL11
        return super().resolve(kind, value, implicit)


class _DecodeError(Exception):
    """A document composed fine but cannot be turned into JSON-like data."""

    def __init__(self, message: str, node: yaml.Node, duplicate: tuple[str, int, int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = node.start_mark.line + 1
        self.duplicate = duplicate  # (key, line, first line) of a key given twice in one mapping


def _scalar_value(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    value = node.value
    if tag == _STR:
        return value
    if tag == _NUMBER_TAG:
        result = resolve_plain_number(value)
    elif tag == _BOOL11:
        return _YAML11_BOOLS[value]
    elif tag == _NULL:
        return None
    elif tag == _BOOL:
        if value in _BOOL_WORDS:
            return _BOOL_WORDS[value]
        raise _DecodeError(f"cannot decode !!str `{value}` as a !!bool", node)
    elif tag in (_INT, _FLOAT):
        result = resolve_plain_number(value) if value and value[0] in _NUMBER_START else value
        wanted = int if tag == _INT else (int, float)
        if isinstance(result, bool) or not isinstance(result, wanted):
            raise _DecodeError(f"cannot decode !!str `{value}` as a !!{tag.rsplit(':', 1)[1]}", node)
    elif tag == _TIMESTAMP:
        stamp = timestamp_string(value)
        if stamp is None:
            raise _DecodeError(f"cannot decode !!str `{value}` as a !!timestamp", node)
        return stamp
    elif tag == _BINARY:
        try:
            return base64.b64decode("".join(value.split()), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise _DecodeError(f"!!binary value contains invalid base64 data: {value!r}", node) from None
    else:
        return value
    if isinstance(result, float) and (math.isnan(result) or math.isinf(result)):
        raise _DecodeError(
            f"json: unsupported value: {_go_special(result)} (the plain scalar `{value}`; "
            "quote it to keep it as a string)",
            node,
        )
    return result


def _go_special(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


def _build(node: yaml.Node, active: set[int], last_key_wins: bool = False) -> Any:
    """Plain Python data for a composed node; aliases become independent copies.

    A key repeated in one mapping is an error, unless `last_key_wins` (go-yaml v2's reading of a
    kustomization file, where the later value replaces the earlier one).
    """
    cls = type(node)
    if cls is yaml.ScalarNode:
        return _scalar_value(node)  # type: ignore[arg-type]
    key = id(node)
    if key in active:
        raise _DecodeError("an alias refers to a node that contains it (recursive anchor)", node)
    active.add(key)
    try:
        if cls is yaml.SequenceNode:
            return [_build(item, active, last_key_wins) for item in node.value]
        return _build_mapping(node, active, last_key_wins)  # type: ignore[arg-type]
    finally:
        active.discard(key)


def _build_mapping(node: yaml.MappingNode, active: set[int], last_key_wins: bool = False) -> dict:
    out: dict = {}
    merges: list[yaml.Node] = []
    scalar = yaml.ScalarNode
    for key_node, value_node in node.value:
        if type(key_node) is not scalar:
            raise _DecodeError(
                "a mapping key is itself a mapping or list; keys must be plain strings", key_node
            )
        tag = key_node.tag
        if tag == _MERGE:
            merges.append(value_node)
            continue
        key = key_node.value
        if key in out and not last_key_wins:
            first = next(k for k, _ in node.value if k.value == key)
            raise _DecodeError(
                f"yaml: unmarshal errors:\n  line {key_node.start_mark.line + 1}: "
                f'mapping key "{key}" already defined at line {first.start_mark.line + 1}',
                key_node,
                (key, key_node.start_mark.line, first.start_mark.line),
            )
        if type(value_node) is scalar and value_node.tag == _STR:
            out[key] = value_node.value
        else:
            out[key] = _build(value_node, active, last_key_wins)
    for merge in merges:
        sources = merge.value if type(merge) is yaml.SequenceNode else [merge]
        for source in sources:
            merged = _build(source, active, last_key_wins)
            if not isinstance(merged, dict):
                raise _DecodeError("map merge requires map or sequence of maps as the value", source)
            for k, v in merged.items():
                out.setdefault(k, v)
    return out


_ALIAS_NAME = re.compile(r"\*([^\s,\[\]{}]+)")


def _go_problem(err: yaml.MarkedYAMLError, text: str) -> str:
    """go-yaml's report of a libyaml error: its line rule (0-based for parser errors) and wording."""
    problem = err.problem or str(err)
    if isinstance(err, yaml.composer.ComposerError):
        mark = err.problem_mark
        if problem.startswith("found undefined alias") and mark is not None:
            lines = text.splitlines()
            name = _ALIAS_NAME.match(lines[mark.line][mark.column :]) if mark.line < len(lines) else None
            return f"yaml: unknown anchor '{name.group(1) if name else '?'}' referenced"
        if problem.startswith("second occurrence") and mark is not None and err.context_mark is not None:
            return (
                f"yaml: line {mark.line + 1}: anchor defined twice (first on line {err.context_mark.line + 1}); "
                "give the second one another name"
            )
        return f"yaml: {problem}"
    context_line = err.context_mark.line if err.context_mark is not None else 0
    problem_line = err.problem_mark.line if err.problem_mark is not None else 0
    line = context_line or problem_line
    if line and isinstance(err, yaml.scanner.ScannerError):
        line += 1
    return f"yaml: line {line}: {problem}" if line else f"yaml: {problem}"


def _decode_text(err: _DecodeError) -> str:
    if err.message.startswith("yaml:"):
        return err.message
    return f"yaml: line {err.line}: {err.message}"


def _check_aliasing(node: yaml.Node) -> None:
    """Refuse an alias bomb before expanding it, as go-yaml v3 does ("document contains excessive aliasing")."""
    from .yamlalias import exceeds_alias_budget

    if exceeds_alias_budget(node):
        raise _DecodeError(
            "yaml: document contains excessive aliasing (anchors expand to far more nodes than the file holds)",
            node,
        )


def _parse(
    text: str,
    *,
    objects: bool = False,
    kustomization: bool = False,
    yaml11: bool = False,
    duplicates: dict[int, str] | None = None,
) -> list[Any]:
    """Documents of a YAML stream; with `objects`, top-level annotations are kept as their source text.

    With `kustomization`, a repeated key keeps its last value (go-yaml v2, as kustomize reads its own file).
    """
    loader = (_Composer11 if yaml11 else _Composer)(text)
    may_alias = "*" in text and "&" in text
    try:
        docs = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None and may_alias:
                _check_aliasing(node)
            try:
                doc = None if node is None else _build(node, set(), kustomization)
            except _DecodeError as err:
                if err.duplicate is None or duplicates is None or node is None:
                    raise
                # kustomize loads it (its YAML nodes keep both keys) and fails when it turns the object
                # into a map, with lines counted from the document's start.
                doc = _build(node, set(), True)
                key, line, first = err.duplicate
                root = node.start_mark.line
                duplicates[id(doc)] = (
                    f"map[string]interface {{}}(nil): yaml: unmarshal errors:\n  line {line - root + 1}: "
                    f'mapping key "{key}" already defined at line {first - root + 1}'
                )
            if objects and node is not None and isinstance(doc, dict):
                _annotations_as_text(node, doc)
            docs.append(doc)
        return docs
    finally:
        loader.dispose()


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    if type(node) is not yaml.MappingNode:
        return None
    for key_node, value_node in node.value:
        if key_node.value == key and type(key_node) is yaml.ScalarNode:
            return value_node
    return None


def _annotations_as_text(node: yaml.Node, doc: dict) -> None:
    """kustomize prints metadata.annotations values as strings made from their YAML text
    (`0640` -> "0640", `1.50` -> "1.50", `true` -> "true", a list or map -> ""), also for List items.
    Nulls stay None: in a strategic merge patch they delete the annotation."""
    meta_node = _child(node, "metadata")
    annotations = _child(meta_node, "annotations") if meta_node is not None else None
    meta = doc.get("metadata")
    if annotations is not None and type(annotations) is yaml.MappingNode and isinstance(meta, dict):
        values = meta.get("annotations")
        if isinstance(values, dict):
            for key_node, value_node in annotations.value:
                if key_node.value in values and values[key_node.value] is not None:
                    text = value_node.value if type(value_node) is yaml.ScalarNode else ""
                    values[key_node.value] = text
    items_node = _child(node, "items")
    items = doc.get("items")
    if (
        type(items_node) is yaml.SequenceNode
        and isinstance(items, list)
        and len(items) == len(items_node.value)
    ):
        for item_node, item in zip(items_node.value, items, strict=True):
            if isinstance(item, dict):
                _annotations_as_text(item_node, item)


def _parse_file(
    text: str, source: str, *, objects: bool = False, duplicates: dict[int, str] | None = None
) -> list[Any]:
    """_parse, with every YAML error as kustomize's `MalformedYAMLError: ... in File: <source>`."""
    try:
        return _parse(text, objects=objects, duplicates=duplicates)
    except _DecodeError as err:
        raise KustomizeError(
            f"MalformedYAMLError: {_decode_text(err)} in File: {source}", path=source
        ) from None
    except yaml.MarkedYAMLError as err:
        raise KustomizeError(
            f"MalformedYAMLError: {_go_problem(err, text)} in File: {source}", path=source
        ) from None
    except yaml.YAMLError as err:
        raise KustomizeError(f"MalformedYAMLError: yaml: {err} in File: {source}", path=source) from None


def load_documents(text: str, *, source: str, duplicates: dict[int, str] | None = None) -> list[dict]:
    """All non-empty documents of a multi-document YAML (or JSON) file; a non-mapping document is an error.

    A key given twice in one mapping is an error, unless `duplicates` is given: then the last value is kept
    and kustomize's later error message is recorded under the document's id().
    """
    docs = _parse_file(text, source, objects=True, duplicates=duplicates)
    out: list[dict] = []
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise KustomizeError(
                f"{source}: document {index + 1} is a {_type_name(doc)}, not a mapping; "
                "each YAML document must be one Kubernetes object (apiVersion, kind, metadata)",
                path=source,
            )
        out.append(doc)
    return out


def load_values(text: str, *, source: str) -> list[Any]:
    """Every non-empty document of a YAML stream, whatever its type (lists, mappings, scalars)."""
    docs = _parse_file(text, source)
    return [doc for doc in docs if doc is not None]


def load_mapping(text: str, *, source: str, yaml11: bool = False) -> dict:
    """The single mapping of a kustomization file ({} for an empty or comment-only file).

    A key given twice keeps its last value, as kustomize reads its own file; `yaml11` types y/n/yes/no/on/off
    as booleans (go-yaml v2).
    """
    try:
        docs = _parse(text, kustomization=True, yaml11=yaml11)
    except _DecodeError as err:
        raise KustomizeError(f"invalid Kustomization: {_decode_text(err)}", path=source) from None
    except yaml.MarkedYAMLError as err:
        raise KustomizeError(f"invalid Kustomization: {_go_problem(err, text)}", path=source) from None
    except yaml.YAMLError as err:
        raise KustomizeError(f"invalid Kustomization: yaml: {err}", path=source) from None
    docs = [d for d in docs if d is not None]
    if not docs:
        return {}
    if len(docs) > 1:
        raise KustomizeError(
            f"invalid Kustomization: {source} holds {len(docs)} YAML documents; a kustomization file holds one",
            path=source,
        )
    doc = docs[0]
    if not isinstance(doc, dict):
        raise KustomizeError(
            f"invalid Kustomization: {source} is a {_type_name(doc)}, not a mapping of kustomization fields",
            path=source,
        )
    return doc


def _type_name(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__
