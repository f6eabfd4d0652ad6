"""Flux-compatible API kinds: CRD manifests, typed views and condition helpers."""

from engine.api import conditions
from engine.api.crds import (
    GIT_REPOSITORY,
    KUSTOMIZATION,
    crd_manifest,
    crd_manifests,
    export_crds_yaml,
    install_crds,
)
from engine.api.duration import format_duration, parse_duration
from engine.api.kinds import KindInfo, kind_info, register_kind, registered_kinds
from engine.api.types import FINALIZER, REQUESTED_AT, GitRepository, Kustomization, NamespacedName

__all__ = [
    "FINALIZER", "GIT_REPOSITORY", "KUSTOMIZATION", "REQUESTED_AT", "GitRepository", "KindInfo", "Kustomization",
    "NamespacedName", "conditions", "crd_manifest", "crd_manifests", "export_crds_yaml", "format_duration",
    "install_crds", "kind_info", "parse_duration", "register_kind", "registered_kinds",
]
