"""namePrefix / nameSuffix: rename objects, remembering the earlier id for references and patches."""

from __future__ import annotations

from typing import Any

from ..fieldspec import FieldSpec, visit
from ..resid import Gvk
from ..resmap import ResMap

_SKIP = (
    Gvk("", "", "CustomResourceDefinition"),
    Gvk("apiregistration.k8s.io", "", "APIService"),
    Gvk("", "", "Namespace"),
)


def add_affix(resmap: ResMap, affix: str, specs: list[FieldSpec], *, suffix: bool) -> None:
    """Prepend (or append, with `suffix`) `affix` at every field spec, usually metadata.name."""

    def setter(parent: Any, key: Any) -> None:
        value = parent[key]
        if isinstance(value, str):
            parent[key] = value + affix if suffix else affix + value

    for r in resmap.resources():
        org = r.org_id().gvk
        if any(org.is_selected_by(s) for s in _SKIP):
            continue
        for fs in specs:
            if not org.is_selected_by(fs.gvk):
                continue
            if fs.path == "metadata/name" and affix:
                # kustomize records non-empty affixes only (appendCsvAnnotation skips "")
                (r.suffixes if suffix else r.prefixes).append(affix)
                r.store_previous_id()
            if affix:
                visit(r.obj, fs.parts, setter, create=fs.create, create_leaf=str)
