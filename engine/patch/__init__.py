"""Patches as Kubernetes and kustomize apply them: JSON merge patch, JSON patch (RFC 6902), strategic merge,
and the list/map strategies of the built-in schema they share with the lab cluster's server-side apply."""

from .errors import PatchError
from .jsonpatch import apply_json_patch
from .merge import apply_merge_patch
from .schema import ListStrategy, list_strategy, schema_for
from .strategic import apply_strategic_merge_patch, deletes_object

__all__ = [
    "ListStrategy",
    "PatchError",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_strategic_merge_patch",
    "deletes_object",
    "list_strategy",
    "schema_for",
]
