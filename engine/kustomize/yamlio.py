"""Parse YAML the way kustomize v5.5.0 types it (go-yaml v3 resolution, then a JSON round trip)."""

from __future__ import annotations

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


class _Loader(yaml.CSafeLoader):
    """CSafeLoader with go-yaml v3 implicit typing (no YAML 1.1 yes/no/on/off booleans)."""

    yaml_implicit_resolvers: dict = {}


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(_NUMBER_TAG, re.compile(r"^[-+.0-9]"), list("-+.0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


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


def _construct_number(loader: _Loader, node: yaml.ScalarNode) -> Any:
    value = resolve_plain_number(node.value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        mark = node.start_mark
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"json: unsupported value: {'NaN' if value != value else ('+Inf' if value > 0 else '-Inf')}"
            f" (the plain scalar {node.value!r} on line {mark.line + 1}; quote it to keep a string)",
            mark,
        )
    return value


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    stamp = timestamp_string(node.value)
    return node.value if stamp is None else stamp


def _construct_unknown_tag(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return node.value


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> Any:
    value = resolve_plain_number(node.value) if node.value else node.value
    return value


_Loader.add_constructor(_NUMBER_TAG, _construct_number)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_number)
_Loader.add_multi_constructor("!", _construct_unknown_tag)
_Loader.add_multi_constructor("tag:", _construct_unknown_tag)

_GO_PROBLEMS = (
    ("mapping values are not allowed here", "mapping values are not allowed in this context"),
    ("that cannot start any token", "found character that cannot start any token"),
    ("found undefined alias", "unknown anchor referenced"),
    ("found unexpected end of stream", "found unexpected end of stream"),
    ("could not find expected ':'", "could not find expected ':'"),
    ("found unknown escape character", "found unknown escape character"),
)


def _go_problem(err: yaml.MarkedYAMLError) -> str:
    """go-yaml's wording for a PyYAML parse problem, prefixed with its line number."""
    problem = err.problem or str(err)
    mark = err.problem_mark or err.context_mark
    text = problem
    for needle, go_text in _GO_PROBLEMS:
        if needle in problem:
            text = go_text
            break
    else:
        context = err.context or ""
        if problem.startswith("expected <block end>"):
            text = (
                "did not find expected '-' indicator"
                if "block collection" in context
                else "did not find expected key"
            )
        elif problem.startswith("expected ',' or ']'"):
            text = "did not find expected ',' or ']'"
        elif problem.startswith("expected ',' or '}'"):
            text = "did not find expected ',' or '}'"
    if mark is None:
        return f"yaml: {text}"
    return f"yaml: line {mark.line + 1}: {text}"


def _parse(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_Loader))


def load_documents(text: str, *, source: str) -> list[dict]:
    """All non-empty documents of a multi-document YAML (or JSON) file; a non-mapping document is an error."""
    try:
        docs = _parse(text)
    except yaml.constructor.ConstructorError as err:
        raise KustomizeError(
            f"MalformedYAMLError: {err.problem} in File: {source}", path=source
        ) from None
    except yaml.MarkedYAMLError as err:
        raise KustomizeError(f"MalformedYAMLError: {_go_problem(err)} in File: {source}", path=source) from None
    except yaml.YAMLError as err:
        raise KustomizeError(f"MalformedYAMLError: yaml: {err} in File: {source}", path=source) from None
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


def load_mapping(text: str, *, source: str) -> dict:
    """The single mapping of a kustomization file ({} for an empty or comment-only file)."""
    try:
        docs = _parse(text)
    except yaml.constructor.ConstructorError as err:
        raise KustomizeError(f"invalid Kustomization: {err.problem}", path=source) from None
    except yaml.MarkedYAMLError as err:
        raise KustomizeError(f"invalid Kustomization: {_go_problem(err)}", path=source) from None
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
