"""Patch/replacement targets: regex-matched group/version/kind/name/namespace plus label and annotation selectors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import KustomizeError
from .resource import Resource

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")

Requirement = Callable[[dict[str, Any]], bool]


def _split_top(text: str) -> list[str]:
    """Split at commas that are not inside parentheses."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _equal(k: str, v: str) -> Requirement:
    return lambda d: k in d and str(d[k]) == v


def _not_equal(k: str, v: str) -> Requirement:
    return lambda d: k not in d or str(d[k]) != v


def _present(k: str) -> Requirement:
    return lambda d: k in d


def _absent(k: str) -> Requirement:
    return lambda d: k not in d


def _in(k: str, vs: set[str]) -> Requirement:
    return lambda d: k in d and str(d[k]) in vs


def _not_in(k: str, vs: set[str]) -> Requirement:
    return lambda d: k not in d or str(d[k]) not in vs


def parse_label_selector(text: str, *, field: str = "labelSelector") -> list[Requirement]:
    """Kubernetes selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`."""
    reqs: list[Requirement] = []
    if not text.strip():
        return reqs
    for raw in _split_top(text):
        m = _EQ_RE.match(raw)
        if m:
            key, op, val = m.groups()
            reqs.append(_not_equal(key, val) if op == "!=" else _equal(key, val))
            continue
        m = _SET_RE.match(raw)
        if m:
            neg, key, op, vals = m.groups()
            if op is None:
                reqs.append(_absent(key) if neg else _present(key))
                continue
            if neg:
                raise KustomizeError(f"invalid {field} '{text}': '!' cannot be combined with '{op}'")
            values = {v.strip() for v in vals.split(",") if v.strip()}
            reqs.append(_in(key, values) if op == "in" else _not_in(key, values))
            continue
        raise KustomizeError(
            f"invalid {field} '{text}': cannot parse '{raw.strip()}'; use key=value, key!=value, "
            "key in (a,b), key notin (a,b), key or !key"
        )
    return reqs


def _regex(value: Any) -> re.Pattern[str] | None:
    if value in (None, ""):
        return None
    try:
        return re.compile(f"(?:{value})\\Z")
    except re.error as e:
        raise KustomizeError(f"invalid regular expression '{value}' in patch target: {e}") from None


class Selector:
    """kustomize's types.Selector with its regex semantics (whole-value matches; original or current name)."""

    def __init__(self, target: dict[str, Any]) -> None:
        self.raw = target
        self.group = _regex(target.get("group"))
        self.version = _regex(target.get("version"))
        self.kind = _regex(target.get("kind"))
        self.name = _regex(target.get("name"))
        self.namespace = _regex(target.get("namespace"))
        self.labels = parse_label_selector(str(target.get("labelSelector") or ""))
        self.annotations = parse_label_selector(
            str(target.get("annotationSelector") or ""), field="annotationSelector"
        )

    @staticmethod
    def _m(rx: re.Pattern[str] | None, value: str) -> bool:
        return rx is None or rx.match(value) is not None

    def matches(self, res: Resource) -> bool:
        cur, org = res.cur_id(), res.org_id()
        if self.namespace is not None and not (
            self._m(self.namespace, org.effective_namespace)
            or self._m(self.namespace, cur.effective_namespace)
        ):
            return False
        if self.name is not None and not (self._m(self.name, org.name) or self._m(self.name, cur.name)):
            return False
        if not (
            self._m(self.group, cur.group)
            and self._m(self.version, cur.version)
            and self._m(self.kind, cur.kind)
        ):
            return False
        if self.labels:
            labels = res.labels()
            if not all(r(labels) for r in self.labels):
                return False
        if self.annotations:
            ann = res.annotations()
            if not all(r(ann) for r in self.annotations):
                return False
        return True

    def select(self, resources: list[Resource]) -> list[Resource]:
        return [r for r in resources if self.matches(r)]
