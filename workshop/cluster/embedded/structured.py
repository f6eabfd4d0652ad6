"""Merging and pruning as server-side apply does it (structured-merge-diff semantics, pure Python)."""

from __future__ import annotations

from typing import Any

from engine.patch import PatchError
from engine.patch.jsondata import clone
from engine.patch.schema import ListStrategy

from .fieldpath import ListLookup, MapLookup, Path, key_pe, names, value_pe


def drop_nulls(value: Any) -> Any:
    """An applied configuration without `null` values (an apply does not set a field to null)."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def _deepest_first(path: Path) -> tuple[int, Path]:
    """Removal order: deeper paths first, then by text, so the result never depends on set iteration order."""
    return (-len(path), path)


class StructuredMerge:
    """Merge an applied configuration into a live object and remove fields nobody owns any more."""

    def __init__(self, lists: ListLookup, atomic_maps: MapLookup) -> None:
        self.lists = lists
        self.atomic_maps = atomic_maps

    def merge(self, live: Any, applied: Any, path: tuple[str, ...] = ()) -> Any:
        """Applied values win; maps merge key by key; associative and set lists merge by item identity."""
        if not isinstance(applied, (dict, list)):
            return applied
        if isinstance(live, dict) and isinstance(applied, dict) and not (path and self.atomic_maps(path)):
            out = dict(live)
            for key, value in applied.items():
                out[key] = (
                    self.merge(live[key], value, path + (key,)) if key in live else clone(value)
                )
            return out
        if isinstance(live, list) and isinstance(applied, list):
            strategy = self.lists(path)
            if strategy.type != "atomic":
                return self._merge_list(live, applied, path, strategy)
        return clone(applied)

    def _pe(self, item: Any, strategy: ListStrategy, path: tuple[str, ...], i: int) -> str:
        if strategy.type == "set":
            return value_pe(item)
        try:
            return key_pe(item, strategy)
        except PatchError:
            return key_pe(item, strategy, f"{'.' + '.'.join(path)}[{i}]")

    def _merge_list(self, lhs: list, rhs: list, path: tuple[str, ...], strategy: ListStrategy) -> list:
        """structured-merge-diff's list merge: live-only items keep their place, applied items follow rhs order."""
        lpes = [self._pe(item, strategy, path, i) for i, item in enumerate(lhs)]
        rpes = [self._pe(item, strategy, path, i) for i, item in enumerate(rhs)]
        observed_l: dict[str, Any] = {}
        observed_r: dict[str, Any] = {}
        for pe, item in zip(lpes, lhs, strict=True):
            observed_l.setdefault(pe, item)
        for pe, item in zip(rpes, rhs, strict=True):
            observed_r.setdefault(pe, item)
        shared = [pe for pe in rpes if pe in observed_l]
        next_shared = shared.pop(0) if shared else None
        merged_r: set[str] = set()
        out: list = []

        def take(pe: str) -> Any:
            if strategy.type == "set" or pe not in observed_l:
                return clone(observed_r[pe])
            return self.merge(observed_l[pe], observed_r[pe], path)

        li = ri = 0
        while li < len(lpes) or ri < len(rpes):
            if li < len(lpes) and ri < len(rpes):
                pe = lpes[li]
                if pe == rpes[ri]:
                    merged_r.add(pe)
                    out.append(take(pe))
                    li += 1
                    ri += 1
                    next_shared = shared.pop(0) if shared else None
                    continue
                if pe in observed_r and next_shared is not None and next_shared != pe:
                    li += 1
                    continue
            if li < len(lpes):
                pe = lpes[li]
                if pe not in observed_r:
                    out.append(lhs[li])
                    li += 1
                    continue
                if pe in merged_r:
                    li += 1
                    continue
            if ri < len(rpes):
                pe = rpes[ri]
                merged_r.add(pe)
                out.append(take(pe))
                ri += 1
                if next_shared is not None and next_shared == pe:
                    next_shared = shared.pop(0) if shared else None
        return out

    def remove(self, obj: dict, paths: set[Path], keep: set[Path]) -> None:
        """Remove `paths` from `obj` in place, except what `keep` (still owned) needs; emptied maps go too."""
        kept_prefixes = {p[:n] for p in keep for n in range(1, len(p))}
        for path in sorted(paths, key=_deepest_first):
            if path in kept_prefixes or path in keep:
                continue
            parent_path, last = path[:-1], path[-1]
            if last.startswith("f:") and parent_path and parent_path[-1].startswith("k:"):
                strategy = self.lists(names(parent_path))
                if last[2:] in strategy.keys:
                    continue
            parent = self.resolve(obj, parent_path)
            if parent is None:
                continue
            self._remove_child(parent, parent_path, last)
            while parent_path and parent_path[-1].startswith("f:") and parent == {}:
                if parent_path in keep:
                    break
                grand_path = parent_path[:-1]
                grand = self.resolve(obj, grand_path)
                if grand is None or grand_path and grand_path[-1].startswith("k:"):
                    break
                self._remove_child(grand, grand_path, parent_path[-1])
                parent, parent_path = grand, grand_path

    def _remove_child(self, parent: Any, parent_path: Path, pe: str) -> None:
        if pe.startswith("f:") and isinstance(parent, dict):
            parent.pop(pe[2:], None)
        elif isinstance(parent, list):
            strategy = self.lists(names(parent_path))
            parent[:] = [
                item for i, item in enumerate(parent) if self._pe(item, strategy, names(parent_path), i) != pe
            ]

    def resolve(self, obj: Any, path: Path) -> Any:
        """The node at `path`, or None when it does not exist."""
        node = obj
        for n, pe in enumerate(path):
            if pe.startswith("f:"):
                if not isinstance(node, dict) or pe[2:] not in node:
                    return None
                node = node[pe[2:]]
            elif isinstance(node, list):
                strategy = self.lists(names(path[:n]))
                node = next(
                    (x for i, x in enumerate(node) if self._pe(x, strategy, names(path[:n]), i) == pe), None
                )
                if node is None:
                    return None
            else:
                return None
        return node
