"""Pure-Python `kustomize build`, equal to kustomize v5.5.0 on the conformance corpus."""

from __future__ import annotations

from typing import Any

from .builder import BuildResult, build, build_result
from .errors import KustomizeError


def render(objects: list[dict[str, Any]]) -> str:
    """Multi-document YAML exactly as `kustomize build` prints it."""
    from .output import render as _render

    return _render(objects)


__all__ = ["BuildResult", "KustomizeError", "build", "build_result", "render"]
