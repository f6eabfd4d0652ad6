"""A custom OpenAPI (swagger 2.0) schema read from a file: list merge keys for strategic merge patches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import KustomizeError

if TYPE_CHECKING:
    from engine.patch.schema import SchemaLookup

_GVK_EXTENSION = "x-kubernetes-group-version-kind"
_MERGE_KEY = "x-kubernetes-patch-merge-key"
_STRATEGY = "x-kubernetes-patch-strategy"


class CustomSchema:
    """Definitions of a custom schema, indexed by the apiVersion/kind their GVK extension names."""

    def __init__(self, document: dict[str, Any], *, source: str) -> None:
        definitions = document.get("definitions")
        if definitions is not None and not isinstance(definitions, dict):
            raise KustomizeError(f"invalid schema file {source}: 'definitions' must be a map", path=source)
        self.definitions: dict[str, Any] = definitions or {}
        self.by_type: dict[tuple[str, str], dict[str, Any]] = {}
        for definition in self.definitions.values():
            if not isinstance(definition, dict):
                continue
            gvks = definition.get(_GVK_EXTENSION)
            for gvk in gvks if isinstance(gvks, list) else []:
                if isinstance(gvk, dict) and gvk.get("kind"):
                    group, version = str(gvk.get("group") or ""), str(gvk.get("version") or "")
                    api_version = f"{group}/{version}" if group else version
                    self.by_type[(api_version, str(gvk["kind"]))] = definition

    def _resolve(self, node: Any) -> dict[str, Any] | None:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 64:
            ref = node["$ref"]
            name = ref.rsplit("/", 1)[-1] if isinstance(ref, str) else ""
            node = self.definitions.get(name)
            seen += 1
        return node if isinstance(node, dict) else None

    def _field(self, node: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
        while node is not None and node.get("type") == "array":
            node = self._resolve(node.get("items"))
        if node is None:
            return None
        properties = node.get("properties")
        if isinstance(properties, dict) and name in properties:
            return self._resolve(properties[name])
        extra = node.get("additionalProperties")
        return self._resolve(extra) if isinstance(extra, dict) else None

    def lookup(self, api_version: str, kind: str) -> SchemaLookup:
        """The list strategies of one apiVersion/kind (every list atomic when the schema lacks the kind)."""
        from engine.patch.schema import ATOMIC, ListStrategy

        root = self.by_type.get((api_version, kind))

        def strategy(path: tuple[str, ...]) -> ListStrategy:
            node = root
            for name in path:
                node = self._field(node, name)
                if node is None:
                    return ATOMIC
            if node is None:
                return ATOMIC
            strategies = str(node.get(_STRATEGY) or "").split(",")
            if node.get("type") != "array" or "merge" not in strategies:
                return ATOMIC
            key = node.get(_MERGE_KEY)
            return ListStrategy("atomic", (), True, key if isinstance(key, str) and key else None)

        return strategy


def load_custom_schema(data: bytes, source: str) -> CustomSchema:
    """Parse a schema file (JSON when it starts with '{', else YAML)."""
    return CustomSchema(_parse(data, source), source=source)


def _parse(data: bytes, source: str) -> dict[str, Any]:
    text = data.decode("utf-8", "replace")
    try:
        if text[:1] == "{":
            import json

            document = json.loads(text)
        else:
            from .yamlio import load_values

            docs = load_values(text, source=source)
            document = docs[0] if docs else {}
    except ValueError as e:
        raise KustomizeError(f"invalid schema file {source}: {e}", path=source) from None
    if not isinstance(document, dict):
        raise KustomizeError(f"invalid schema file {source}: not an OpenAPI document (a map)", path=source)
    return document
