"""What a container reads from Secrets and ConfigMaps, and which of those are missing (the kubelet's check)."""

from __future__ import annotations

from typing import Any

from workshop.cluster.embedded.api import ObjectStore

from .common import CONFIGMAPS, SECRETS

SOURCES = {SECRETS: "Secret", CONFIGMAPS: "ConfigMap"}
_GVR_OF = {kind: gvr for gvr, kind in SOURCES.items()}

Ref = tuple[str, str, str]


def _refs(container: dict[str, Any]) -> list[tuple[str, str, str | None, bool]]:
    """(kind, name, key or None, optional) for every env/envFrom reference, in the container's order."""
    refs: list[tuple[str, str, str | None, bool]] = []
    for env in container.get("env") or []:
        source = env.get("valueFrom") or {}
        for field, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
            ref = source.get(field)
            if ref:
                refs.append((kind, ref.get("name", ""), ref.get("key"), bool(ref.get("optional"))))
    for env_from in container.get("envFrom") or []:
        for field, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
            ref = env_from.get(field)
            if ref:
                refs.append((kind, ref.get("name", ""), None, bool(ref.get("optional"))))
    return refs


def missing_config(store: ObjectStore, namespace: str, container: dict[str, Any]) -> tuple[Ref, str] | None:
    """The first required Secret/ConfigMap (or key) the container reads that does not exist, with the kubelet's message."""
    for kind, name, key, optional in _refs(container):
        if optional:
            continue
        obj = store.get(_GVR_OF[kind], namespace, name)
        if obj is None:
            return (kind, namespace, name), f'{kind.lower()} "{name}" not found'
        if key is not None and key not in (obj.get("data") or {}) and key not in (obj.get("binaryData") or {}):
            return (kind, namespace, name), f"couldn't find key {key} in {kind} {namespace}/{name}"
    return None
