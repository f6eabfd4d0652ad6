"""Label and field selectors in the syntax clients send (`app in (a,b),tier!=db,!legacy`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from engine.jsonobj import Obj

from .errors import ApiError, bad_request
from .views import view_of

Predicate = Callable[[Obj], bool]

_KEY = r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_KEY_RE = re.compile(_KEY + r"\Z")
_VALUE_RE = re.compile(_VALUE + r"\Z")


def _split_terms(selector: str) -> list[str]:
    terms: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    return [t.strip() for t in terms if t.strip()]


def _check_key(key: str, selector: str) -> str:
    if not _KEY_RE.match(key):
        raise bad_request(f'unable to parse requirement: invalid label key "{key}": name part must consist of '
                          "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                          "character")
    return key


def _check_value(value: str) -> str:
    if len(value) > 63 or not _VALUE_RE.match(value):
        raise bad_request(f'unable to parse requirement: invalid label value: "{value}": a valid label must be an '
                          "empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
                          "and end with an alphanumeric character")
    return value


LabelReq = Callable[[dict[str, str]], bool]


def _in(key: str, values: set[str]) -> LabelReq:
    return lambda labels: key in labels and labels[key] in values


def _notin(key: str, values: set[str]) -> LabelReq:
    return lambda labels: key not in labels or labels[key] not in values


def _eq(key: str, value: str) -> LabelReq:
    return lambda labels: key in labels and labels[key] == value


def _ne(key: str, value: str) -> LabelReq:
    return lambda labels: labels.get(key) != value


def _present(key: str) -> LabelReq:
    return lambda labels: key in labels


def _absent(key: str) -> LabelReq:
    return lambda labels: key not in labels


def _field_req(path: str, value: str, equal: bool) -> Predicate:
    return lambda o: ((_field_value(o, path) or "") == value) == equal


_SET_RE = re.compile(r"^(\S+)\s+(in|notin)\s*\((.*)\)$")


def parse_label_selector(selector: str | None) -> Predicate | None:
    """A predicate over label dicts, or None for 'everything'. Raises 400 BadRequest on bad syntax."""
    if not selector or not selector.strip():
        return None
    reqs: list[LabelReq] = []
    for term in _split_terms(selector):
        m = _SET_RE.match(term)
        if m:
            key = _check_key(m.group(1), selector)
            values = {_check_value(v.strip()) for v in m.group(3).split(",")}
            reqs.append(_in(key, values) if m.group(2) == "in" else _notin(key, values))
            continue
        for op in ("==", "!=", "="):
            if op in term:
                key, _, value = term.partition(op)
                key = _check_key(key.strip(), selector)
                value = _check_value(value.strip())
                reqs.append(_ne(key, value) if op == "!=" else _eq(key, value))
                break
        else:
            if term.startswith("!"):
                key = _check_key(term[1:].strip(), selector)
                reqs.append(_absent(key))
            else:
                if " " in term or "(" in term:
                    raise bad_request(f"unable to parse requirement: found '{term}', expected: "
                                      "'=', '!=', '==', 'in', notin'")
                key = _check_key(term, selector)
                reqs.append(_present(key))

    def pred(obj: Obj) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(r(labels) for r in reqs)

    return pred


def match_labels_selector(selector: Obj | None) -> Predicate | None:
    """A predicate from a LabelSelector object (`matchLabels` / `matchExpressions`)."""
    if not selector:
        return None
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for e in selector.get("matchExpressions") or []:
        op, key, values = e.get("operator"), e.get("key"), e.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return parse_label_selector(",".join(parts))


def _field_value(obj: Obj, path: str) -> str | None:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    if cur is None:
        return None
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


#: Field-selector keys that every kind supports; others are per kind (below).
_COMMON_FIELDS = {"metadata.name", "metadata.namespace"}
_KIND_FIELDS: dict[str, set[str]] = {
    "Event": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
              "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
              "reason", "reportingComponent", "source", "type"},
    "Pod": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
    "Secret": {"type"},
    "Namespace": {"status.phase"},
    "Node": {"spec.unschedulable"},
    "ReplicaSet": {"status.replicas"},
    "Job": {"status.successful"},
}


def parse_field_selector(selector: str | None, kind: str, plural: str = "",
                         group: str = "") -> Predicate | None:
    """A predicate over stored objects, or None. Unsupported fields give 400 like a real server.

    A view (events.k8s.io Events) selects with its own labels (`regarding.name`) on the stored form.
    """
    if not selector or not selector.strip():
        return None
    view = view_of((group, plural))
    labels = view.field_labels if view is not None else {
        k: k for k in _COMMON_FIELDS | _KIND_FIELDS.get(kind, set())}
    reqs: list[Predicate] = []
    for term in [t.strip() for t in selector.split(",") if t.strip()]:
        for op in ("!=", "==", "="):
            if op in term:
                key, _, value = term.partition(op)
                key = key.strip()
                break
        else:
            raise bad_request(f"invalid selector: '{selector}'; can't understand '{term}'")
        if key not in labels:
            raise bad_request(f'field label not supported: {key}')
        path = labels[key]
        if path == "source" and kind == "Event":
            path = "source.component"
        reqs.append(_field_req(path, value, op != "!="))

    def pred(obj: Obj) -> bool:
        return all(r(obj) for r in reqs)

    return pred


def combine(*preds: Predicate | None) -> Predicate | None:
    active = [p for p in preds if p is not None]
    if not active:
        return None
    if len(active) == 1:
        return active[0]
    return lambda o: all(p(o) for p in active)


__all__ = ["ApiError", "Predicate", "combine", "match_labels_selector", "parse_field_selector",
           "parse_label_selector"]
