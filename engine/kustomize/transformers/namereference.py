"""Name references: after renames, point every referring field at the referred object's final name."""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

from ..errors import KustomizeError
from ..fieldspec import FieldSpec, visit
from ..resid import Gvk
from ..resmap import ResMap
from ..resource import Resource


def _same_ending(a: list[str], b: list[str]) -> bool:
    """kustomize's SameEndingSubSlice: the shorter list ends the longer one; two empty lists match."""
    shortest, longest = (a, b) if len(a) <= len(b) else (b, a)
    if not shortest:
        return not longest
    return longest[len(longest) - len(shortest) :] == shortest


def _affixes_match(c: Resource, referrer: Resource, *, allow_empty: bool) -> bool:
    """kustomize's PrefixesSuffixesEquals (allow_empty: an empty side matches anything)."""
    prefixes = (allow_empty and (not c.prefixes or not referrer.prefixes)) or _same_ending(
        c.prefixes, referrer.prefixes
    )
    suffixes = (allow_empty and (not c.suffixes or not referrer.suffixes)) or _same_ending(
        c.suffixes, referrer.suffixes
    )
    return prefixes and suffixes


def _rolebinding_namespaces(r: Resource) -> set[str]:
    """Namespaces of a RoleBinding's ServiceAccount subjects; a subject with a namespace key but no
    value is an error, as in kustomize's getNamespacesForRoleBinding."""
    if r.kind != "RoleBinding":
        return set()
    out = set()
    subjects = r.obj.get("subjects")
    for s in subjects if isinstance(subjects, list) else []:
        if isinstance(s, dict) and "namespace" in s and s.get("kind") == "ServiceAccount":
            if not isinstance(s["namespace"], str):
                raise KustomizeError(f'Invalid Input: namespace is blank for resource "{r.cur_id()}"')
            out.add(s["namespace"])
    return out


class _Referrer:
    """Resolves names for one referring object (kustomize's nameref.Filter)."""

    def __init__(self, referrer: Resource, by_prev_name: dict[str, list[Resource]]) -> None:
        self.referrer = referrer
        self.cur = referrer.cur_id()
        self.by_prev_name = by_prev_name
        self.rb_namespaces = _rolebinding_namespaces(referrer)

    def _could_be_referenced(self, c: Resource) -> bool:
        if self.cur.cluster_scoped:
            return True
        cid = c.cur_id()
        if cid.cluster_scoped or cid.effective_namespace == self.cur.effective_namespace:
            return True
        return c.namespace in self.rb_namespaces

    def _same_namespace(self, c: Resource) -> bool:
        if self.cur.cluster_scoped:
            return True
        cid = c.cur_id()
        return (
            cid.cluster_scoped
            or c.kind == "ServiceAccount"
            or cid.effective_namespace == self.cur.effective_namespace
        )

    def select(self, old: str, target: Gvk, fs: FieldSpec, *, with_namespace: bool) -> Resource | None:
        cands = [c for c in self.by_prev_name.get(old, ()) if self._could_be_referenced(c)]
        cands = [c for c in cands if any(p.name == old for p in c.prev_ids)]
        cands = [c for c in cands if any(p.gvk.is_selected_by(target) for p in c.prev_ids)]
        if fs.path.endswith("roleRef/name"):
            ref = self.referrer.obj.get("roleRef")
            kind = ref.get("kind") if isinstance(ref, dict) else None
            if isinstance(kind, str) and kind:
                cands = [c for c in cands if any(p.kind == kind for p in c.prev_ids)]
        cands = [c for c in cands if self._same_namespace(c)]
        if len(cands) == 1:
            return cands[0]
        cands = [c for c in cands if _affixes_match(c, self.referrer, allow_empty=True)]
        if len(cands) > 1:
            cands = [c for c in cands if _affixes_match(c, self.referrer, allow_empty=False)]
        if len(cands) == 1:
            return cands[0]
        if not cands:
            return None
        if len({(c.name, c.namespace if with_namespace else "") for c in cands}) == 1:
            return cands[0]
        from ..output import render
        from ..resource import with_build_annotations

        ids = ", ".join(str(c.cur_id()) for c in cands)
        details = "\n**** Too many possible referral targets to referrer:\n"
        details += render([with_build_annotations(self.referrer)]) + "\n"
        for i, c in enumerate(cands):
            details += f"--- possible referral {i}:\n{render([with_build_annotations(c)])}\n"
        cur = self.referrer.cur_id()
        raise KustomizeError(
            f"updating name reference in '{fs.path}' field of '{cur}': considering field '{fs.path}' of object "
            f"{cur}: found multiple possible referrals: {ids}\n{details}".rstrip("\n")
        )

    def set_field(self, parent: Any, key: Any, target: Gvk, fs: FieldSpec) -> None:
        value = parent[key]
        if isinstance(value, str):
            parent[key] = self._name(value, target, fs)
        elif isinstance(value, dict):
            self._mapping(value, target, fs)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    value[i] = self._name(item, target, fs)
                elif isinstance(item, dict):
                    self._mapping(item, target, fs)

    def _name(self, old: str, target: Gvk, fs: FieldSpec) -> str:
        ref = self.select(old, target, fs, with_namespace=False)
        return old if ref is None else ref.name

    def _mapping(self, node: dict[str, Any], target: Gvk, fs: FieldSpec) -> None:
        old = node.get("name")
        if not isinstance(old, str):
            return
        ref = self.select(old, target, fs, with_namespace=True)
        if ref is None:
            return
        node["name"] = ref.name
        if ref.namespace:
            node["namespace"] = ref.namespace


def _has_field(node: Any, parts: tuple[str, ...]) -> bool:
    """Whether the path exists in the object (kustomize's resHasField: lists are searched item by item)."""
    for i, part in enumerate(parts):
        if isinstance(node, list):
            return any(_has_field(item, parts[i:]) for item in node)
        if not isinstance(node, dict) or part.removesuffix("[]") not in node:
            return False
        node = node[part.removesuffix("[]")]
    return True


def fix_name_references(resmap: ResMap, name_refs: dict[Gvk, list[FieldSpec]]) -> None:
    """Rewrite references to renamed objects (kustomize's FixBackReferences)."""
    resources = resmap.resources()
    by_prev_name: dict[str, list[Resource]] = defaultdict(list)
    for r in resources:
        for name in dict.fromkeys(p.name for p in r.prev_ids):
            by_prev_name[name].append(r)
    if not by_prev_name and not any(r.kind == "RoleBinding" for r in resources):
        return
    per_gvk: dict[Gvk, list[tuple[Gvk, FieldSpec]]] = {}
    for referrer in resources:
        gvk = referrer.gvk
        pairs = per_gvk.get(gvk)
        if pairs is None:
            pairs = [(t, fs) for t, specs in name_refs.items() for fs in specs if fs.applies_to(gvk)]
            per_gvk[gvk] = pairs
        if not pairs:
            continue
        # kustomize checks a RoleBinding's subjects only when one of its reference fields exists
        if referrer.kind == "RoleBinding" and not any(_has_field(referrer.obj, fs.parts) for _, fs in pairs):
            continue
        ctx = _Referrer(referrer, by_prev_name)
        for target, fs in pairs:
            visit(
                referrer.obj,
                fs.parts,
                partial(ctx.set_field, target=target, fs=fs),
                create=False,
            )
