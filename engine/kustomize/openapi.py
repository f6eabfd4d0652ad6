"""The `openapi:` field: a custom OpenAPI (swagger 2.0) schema that tells strategic merge how to merge lists.

As in kustomize (kyaml's openapi.SetSchema), the schema is set once per build: by the top kustomization when
it has an `openapi` field, otherwise by the first base or component that has one. A custom schema replaces
the builtin Kubernetes schema for patches: lists of kinds it does not define are replaced, not merged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import KustomizeError

if TYPE_CHECKING:
    from engine.patch.schema import SchemaLookup

    from .kustfile import Kustomization
    from .loader import Loader
    from .openapi_schema import CustomSchema

BUILTIN_OPENAPI_VERSIONS = ("v1.21.2",)


class OpenApiState:
    """The schema of one build: unset (builtin), a builtin version, or a custom schema."""

    def __init__(self) -> None:
        self.is_set = False
        self.custom: CustomSchema | None = None
        # kyaml parses the builtin schema the first time it is asked about a kind it does not know
        # (a custom resource) while no custom schema is set; a custom schema set later adds to it.
        self.builtin_loaded = False

    def note_objects(self, objects: list[dict[str, Any]]) -> None:
        """Record that custom resources were accumulated (see `builtin_loaded`)."""
        if self.builtin_loaded or self.custom is not None:
            return
        from engine.patch.schema import is_builtin

        self.builtin_loaded = any(not is_builtin(str(o.get("apiVersion") or "")) for o in objects)

    def lookup(self, api_version: str, kind: str) -> SchemaLookup | None:
        """The custom lookup for a kind, or None to use the builtin Kubernetes schema."""
        if self.custom is None:
            return None
        if self.builtin_loaded and (api_version, kind) not in self.custom.by_type:
            return None
        return self.custom.lookup(api_version, kind)

    def configure(self, k: Kustomization, ldr: Loader, *, top: bool) -> None:
        """Apply a kustomization's `openapi` field (kustomize's openapi.SetSchema; bases only when unset)."""
        openapi = k.get("openapi", {})
        path, version = openapi.get("path"), openapi.get("version")
        data = ldr.load_bytes(path) if path else None
        if self.is_set and not top:
            return
        if data is not None:
            if "version" in openapi:
                raise KustomizeError(
                    "builtin version and custom schema provided, cannot use both", path=k.path
                )
            from .openapi_schema import load_custom_schema

            self.custom = load_custom_schema(data, path or "")
            self.is_set = True
            return
        if not version:
            return
        if version not in BUILTIN_OPENAPI_VERSIONS:
            raise KustomizeError("the specified OpenAPI version is not built in", path=k.path)
        self.custom = None
        self.is_set = True
