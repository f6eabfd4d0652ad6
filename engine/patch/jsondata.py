"""Deep copies of JSON data (dicts, lists, scalars), much faster than copy.deepcopy."""

from __future__ import annotations

from typing import Any

_SCALARS = frozenset({str, int, float, bool, type(None)})


def clone(value: Any) -> Any:
    """A deep copy of JSON data; values of other types are shared, not copied."""
    if isinstance(value, dict):
        return _clone_dict(value)
    if isinstance(value, list):
        return [v if type(v) in _SCALARS else clone(v) for v in value]
    return value


def _clone_dict(value: dict) -> dict:
    out = {}
    for k, v in value.items():
        out[k] = v if type(v) in _SCALARS else clone(v)
    return out
