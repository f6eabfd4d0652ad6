"""The one error type `kustomize build` raises for bad input."""

from __future__ import annotations


class KustomizeError(Exception):
    """A kustomization could not be built. `path` names the file; the message says which field and what to do."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message
