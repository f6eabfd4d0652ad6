"""CRDs of `image.toolkit.fluxcd.io/v1`: ImageRepository, ImagePolicy, ImageUpdateAutomation."""

from __future__ import annotations

from typing import Any

from engine.api.kinds import KindInfo, register_kind

GROUP, VERSION = "image.toolkit.fluxcd.io", "v1"
_OPEN: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
    "spec": dict(_OPEN), "status": dict(_OPEN)}}  # distinct dicts: no YAML anchors in exports
_READY = (
    {"jsonPath": '.status.conditions[?(@.type=="Ready")].status', "name": "Ready", "type": "string"},
    {"jsonPath": '.status.conditions[?(@.type=="Ready")].message', "name": "Status", "type": "string"},
    {"jsonPath": ".metadata.creationTimestamp", "name": "Age", "type": "date"},
)


def _kind(kind: str, plural: str, short: tuple[str, ...], columns: tuple[dict[str, Any], ...]) -> KindInfo:
    return register_kind(KindInfo(group=GROUP, version=VERSION, kind=kind, plural=plural, short_names=short,
                                  categories=("all",), printer_columns=columns + _READY, schema=_SCHEMA))


IMAGE_REPOSITORY = _kind("ImageRepository", "imagerepositories", ("imgrepo",), (
    {"jsonPath": ".spec.image", "name": "Image", "type": "string"},
    {"jsonPath": ".status.lastScanResult.tagCount", "name": "Tags", "type": "integer"},
    {"jsonPath": ".status.lastScanResult.scanTime", "name": "Last scan", "type": "string"},
))
IMAGE_POLICY = _kind("ImagePolicy", "imagepolicies", ("imgpol",), (
    {"jsonPath": ".status.latestRef.name", "name": "Image", "type": "string"},
    {"jsonPath": ".status.latestRef.tag", "name": "Tag", "type": "string"},
))
IMAGE_UPDATE_AUTOMATION = _kind("ImageUpdateAutomation", "imageupdateautomations", ("iua",), (
    {"jsonPath": ".status.lastAutomationRunTime", "name": "Last run", "type": "string"},
))
