"""JSON merge patch (RFC 7386)."""

import copy
from typing import Any

from .errors import PatchError


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


def apply_merge_patch(obj: dict, patch: dict) -> dict:
    """Apply an RFC 7386 JSON merge patch; returns a new object, the input is not modified."""
    if not isinstance(patch, dict):
        raise PatchError(f"a merge patch must be a JSON object, got {type(patch).__name__}")
    return _merge(copy.deepcopy(obj), patch)
