"""Patch/replacement targets: regex-matched group/version/kind/name/namespace plus label and annotation selectors."""

from __future__ import annotations

import re
from typing import Any

from engine import labels

from .errors import KustomizeError
from .resource import Resource

Requirement = labels.Requirement


def parse_label_selector(text: str, *, field: str = "labelSelector") -> list[Requirement]:
    """Kubernetes selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`."""
    try:
        return list(labels.parse(text, what=field).requirements)
    except labels.SelectorError as err:
        raise KustomizeError(str(err)) from None


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
