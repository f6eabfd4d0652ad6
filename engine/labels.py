"""Kubernetes label selectors, in both forms: the text of `kubectl get -l` and the `matchLabels` /
`matchExpressions` object of a manifest. One matcher for the engine (Alerts, ImageUpdateAutomation policy
selectors, `gitops get -l`) and for kustomize's patch/replacement targets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Labels = Mapping[str, Any]
Requirement = Callable[[Labels], bool]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


class SelectorError(ValueError):
    """A selector that cannot be parsed; the message says which part and what is allowed."""


def _text(labels: Labels, key: str) -> str | None:
    return None if key not in labels else str(labels[key])


def requirement(key: str, operator: str, values: frozenset[str] = frozenset()) -> Requirement:
    """One requirement with the Kubernetes operator names (`In`, `NotIn`, `Exists`, `DoesNotExist`)."""
    if operator == "In":
        return lambda labels: _text(labels, key) in values
    if operator == "NotIn":
        return lambda labels: _text(labels, key) not in values
    if operator == "Exists":
        return lambda labels: key in labels
    if operator == "DoesNotExist":
        return lambda labels: key not in labels
    raise SelectorError(f"{operator!r} is not a valid label selector operator; use one of {', '.join(OPERATORS)}")


@dataclass(frozen=True)
class Selector:
    """Requirements that must all hold; an empty selector matches everything."""

    requirements: tuple[Requirement, ...] = field(default=())

    def matches(self, labels: Labels | None) -> bool:
        labels = labels or {}
        return all(req(labels) for req in self.requirements)


def _split_top(text: str) -> list[str]:
    """Split at the commas that are not inside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse(text: str, *, what: str = "label selector") -> Selector:
    """The text form: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas."""
    reqs: list[Requirement] = []
    if not text.strip():
        return Selector()
    for raw in _split_top(text):
        if m := _EQ_RE.match(raw):
            key, op, value = m.groups()
            reqs.append(requirement(key, "NotIn" if op == "!=" else "In", frozenset({value})))
        elif m := _SET_RE.match(raw):
            negated, key, op, values = m.groups()
            if op is None:
                reqs.append(requirement(key, "DoesNotExist" if negated else "Exists"))
                continue
            if negated:
                raise SelectorError(f"invalid {what} '{text}': '!' cannot be combined with '{op}'")
            chosen = frozenset(v.strip() for v in values.split(",") if v.strip())
            reqs.append(requirement(key, "In" if op == "in" else "NotIn", chosen))
        else:
            raise SelectorError(f"invalid {what} '{text}': cannot parse '{raw.strip()}'; use key=value, "
                                "key!=value, key in (a,b), key notin (a,b), key or !key")
    return Selector(tuple(reqs))


def from_object(selector: Mapping[str, Any] | None) -> Selector:
    """The manifest form: `{matchLabels: {k: v}, matchExpressions: [{key, operator, values}]}`."""
    if not selector:
        return Selector()
    reqs = [requirement(str(k), "In", frozenset({str(v)})) for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        reqs.append(requirement(str(expr.get("key")), str(expr.get("operator")),
                                frozenset(str(v) for v in expr.get("values") or [])))
    return Selector(tuple(reqs))
