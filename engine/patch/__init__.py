"""Patches as Kubernetes and kustomize apply them: JSON merge patch, JSON patch (RFC 6902), strategic merge."""

from .errors import PatchError
from .jsonpatch import apply_json_patch
from .merge import apply_merge_patch

__all__ = ["PatchError", "apply_json_patch", "apply_merge_patch"]
