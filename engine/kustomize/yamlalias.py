"""go-yaml v3's guard against alias bombs (decode.go, allowedAliasRatio), counted without expanding aliases."""

from __future__ import annotations

import yaml

_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000


def _allowed_alias_ratio(decode_count: int) -> float:
    if decode_count <= _ALIAS_RATIO_LOW:
        return 0.99
    if decode_count >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decode_count - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


class _AliasBudget:
    """Counts what decoding a document would do (go-yaml v3's decodeCount/aliasCount) without expanding aliases.

    The composer hands back an alias as the very node object it names: the first place a node object
    appears (in document order) is its anchor, every other place is an alias.
    """

    def __init__(self) -> None:
        self.decoded = 1  # the document node
        self.aliased = 0
        self.first: dict[int, tuple[int, int]] = {}  # node id -> (parent id, index) where it is anchored
        self.sizes: dict[int, int] = {}  # node id -> decode calls one expansion of it costs

    def check(self) -> None:
        d, a = self.decoded, self.aliased
        if a > 100 and d > 1000 and a / d > _allowed_alias_ratio(d):
            raise _AliasError()

    @staticmethod
    def _children(node: yaml.Node) -> list[yaml.Node]:
        if type(node) is yaml.ScalarNode:
            return []
        if type(node) is yaml.SequenceNode:
            return node.value
        return [x for kv in node.value for x in kv]

    def size(self, node: yaml.Node, active: set[int]) -> int:
        key = id(node)
        known = self.sizes.get(key)
        if known is not None:
            return known
        total = 1
        if key not in active:
            active.add(key)
            for i, child in enumerate(self._children(node)):
                alias = self.first.get(id(child)) != (key, i)
                total += self.size(child, active) + (1 if alias else 0)
            active.discard(key)
        self.sizes[key] = total
        return total

    def walk(self, node: yaml.Node, parent: int, index: int, active: set[int]) -> None:
        key = id(node)
        anchored = self.first.setdefault(key, (parent, index))
        if anchored != (parent, index):
            cost = self.size(node, set())
            self.decoded += 1 + cost
            self.aliased += cost
            self.check()
            return
        self.decoded += 1
        if key not in active:
            active.add(key)
            for i, child in enumerate(self._children(node)):
                self.walk(child, key, i, active)
            active.discard(key)
        self.check()


class _AliasError(Exception):
    """The document would expand to far more nodes than it holds."""


def exceeds_alias_budget(node: yaml.Node) -> bool:
    """Whether decoding the document would expand aliases past go-yaml v3's ratio."""
    try:
        _AliasBudget().walk(node, 0, 0, set())
    except _AliasError:
        return True
    return False
