"""The `namespace:` field: metadata.namespace of namespaced objects, Namespace names, `default` subjects."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..errors import KustomizeError
from ..fieldspec import FieldSpec, visit
from ..resmap import ResMap
from ..resource import with_build_annotations

_BINDINGS = ("RoleBinding", "ClusterRoleBinding")


SUBJECT_MODES = ("defaultOnly", "none", "allServiceAccounts")


def set_namespace(
    resmap: ResMap,
    namespace: str,
    specs: list[FieldSpec],
    *,
    unset_only: bool = False,
    subjects: str = "defaultOnly",
) -> None:
    """Move every namespaced object into `namespace`; two objects ending with one id is an error.

    `unset_only` leaves fields that already hold a value; `subjects` says which (Cluster)RoleBinding
    subjects get the namespace: those named `default`, none, or every ServiceAccount subject.
    """
    if not namespace:
        return
    specs = [fs for fs in specs if fs.path != "metadata/namespace"]

    def setter(parent: Any, key: Any) -> None:
        if unset_only and parent.get(key) not in (None, ""):
            return
        parent[key] = namespace

    resources = resmap.resources()
    counts = Counter(r.cur_id().key() for r in resources)
    for r in resources:
        before = r.cur_id().key()
        r.store_previous_id()
        gvk = r.gvk
        if not r.cur_id().cluster_scoped:
            setter(r.meta, "namespace")
        if gvk.kind in _BINDINGS:
            items = r.obj.get("subjects")
            if isinstance(items, list) and subjects != "none":
                key, wanted = ("name", "default") if subjects == "defaultOnly" else ("kind", "ServiceAccount")
                for s in items:
                    if isinstance(s, dict) and s.get(key) == wanted:
                        setter(s, "namespace")
        for fs in specs:
            if not fs.applies_to(gvk):
                continue
            if gvk.kind in _BINDINGS and fs.path == "subjects/namespace":
                continue
            if fs.path == "metadata/name" and gvk.group != "":
                continue
            visit(r.obj, fs.parts, setter, create=fs.create, create_leaf=str)
        after = r.cur_id().key()
        counts[before] -= 1
        counts[after] += 1
        if counts[after] != 1:
            clash = [x for x in resources if x.cur_id().key() == after]
            from ..hashing import go_json

            dump = " ".join(go_json(with_build_annotations(x)) for x in clash)
            raise KustomizeError(f"namespace transformation produces ID conflict: [{dump}]")
