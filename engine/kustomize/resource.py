"""One object in a build plus the history kustomize keeps for it (earlier ids, prefixes, generator options)."""

from __future__ import annotations

import copy
from typing import Any

from .resid import Gvk, ResId, split_api_version


class Resource:
    """A Kubernetes object (`obj`) and build-time bookkeeping that never reaches the output."""

    __slots__ = (
        "obj",
        "prev_ids",
        "prefixes",
        "suffixes",
        "behavior",
        "needs_hash",
        "origin",
        "transformations",
        "ref_vars",
        "deferred_error",
    )

    def __init__(self, obj: dict[str, Any], *, origin: str | None = None) -> None:
        self.obj = obj
        self.prev_ids: list[ResId] = []
        self.prefixes: list[str] = []
        self.suffixes: list[str] = []
        self.behavior = "create"
        self.needs_hash = False
        self.origin = origin
        self.transformations: list[str] = []  # origins of transformers that saw it (buildMetadata)
        self.ref_vars: list[str] = []  # vars a kustomization declared on this object
        self.deferred_error: str | None = None  # an error kustomize only reports at output (duplicate keys)

    # -- identity -------------------------------------------------------------------------------------
    @property
    def meta(self) -> dict[str, Any]:
        m = self.obj.get("metadata")
        if not isinstance(m, dict):
            m = {}
            self.obj["metadata"] = m
        return m

    @property
    def kind(self) -> str:
        k = self.obj.get("kind")
        return k if isinstance(k, str) else ""

    @property
    def name(self) -> str:
        n = self.meta.get("name")
        return n if isinstance(n, str) else ("" if n is None else str(n))

    @name.setter
    def name(self, value: str) -> None:
        self.meta["name"] = value

    @property
    def namespace(self) -> str:
        n = self.meta.get("namespace")
        return n if isinstance(n, str) else ("" if n is None else str(n))

    @property
    def gvk(self) -> Gvk:
        group, version = split_api_version(self.obj.get("apiVersion"))
        return Gvk(group, version, self.kind)

    def cur_id(self) -> ResId:
        obj = self.obj
        group, version = split_api_version(obj.get("apiVersion"))
        kind = obj.get("kind")
        meta = obj.get("metadata")
        name = namespace = None
        if isinstance(meta, dict):
            name, namespace = meta.get("name"), meta.get("namespace")
        return ResId(
            group,
            version,
            kind if isinstance(kind, str) else "",
            name if isinstance(name, str) else ("" if name is None else str(name)),
            namespace if isinstance(namespace, str) else ("" if namespace is None else str(namespace)),
        )

    def org_id(self) -> ResId:
        return self.prev_ids[0] if self.prev_ids else self.cur_id()

    def all_ids(self) -> list[ResId]:
        return [self.cur_id(), *self.prev_ids]

    def store_previous_id(self) -> None:
        self.prev_ids.append(self.cur_id())

    def labels(self) -> dict[str, Any]:
        v = self.meta.get("labels")
        return v if isinstance(v, dict) else {}

    def annotations(self) -> dict[str, Any]:
        v = self.meta.get("annotations")
        return v if isinstance(v, dict) else {}

    # -- copies -----------------------------------------------------------------------------------------
    def copy(self) -> Resource:
        other = Resource(copy.deepcopy(self.obj), origin=self.origin)
        other.prev_ids = list(self.prev_ids)
        other.prefixes = list(self.prefixes)
        other.suffixes = list(self.suffixes)
        other.behavior = self.behavior
        other.needs_hash = self.needs_hash
        other.transformations = list(self.transformations)
        other.ref_vars = list(self.ref_vars)
        other.deferred_error = self.deferred_error
        return other

    def __repr__(self) -> str:
        return f"Resource({self.cur_id()})"


BUILD_ANNOTATION = "internal.config.kubernetes.io/"


def with_build_annotations(res: Resource) -> dict[str, Any]:
    """A copy of the object carrying kustomize's internal build annotations, as its error messages print it."""
    obj = copy.deepcopy(res.obj)
    ann: dict[str, Any] = {}
    if res.prefixes and any(res.prefixes):
        ann[BUILD_ANNOTATION + "prefixes"] = ",".join(res.prefixes)
    if res.suffixes and any(res.suffixes):
        ann[BUILD_ANNOTATION + "suffixes"] = ",".join(res.suffixes)
    if res.prev_ids:
        ann[BUILD_ANNOTATION + "previousKinds"] = ",".join(i.kind for i in res.prev_ids)
        ann[BUILD_ANNOTATION + "previousNames"] = ",".join(i.name for i in res.prev_ids)
        ann[BUILD_ANNOTATION + "previousNamespaces"] = ",".join(i.effective_namespace for i in res.prev_ids)
    if ann:
        meta = obj.setdefault("metadata", {})
        meta["annotations"] = {**(meta.get("annotations") or {}), **ann}
    return obj
