"""Where a resource or a transformation came from (kustomize's resource.Origin), as buildMetadata prints it."""

from __future__ import annotations

from .resource import Resource

BUILTIN_API_VERSION = "builtin"


def origin_of(res: Resource) -> dict[str, str] | None:
    """The transformer/generator origin a config object gives (kustomize's OriginFromCustomPlugin)."""
    if res.origin is None:
        return None
    configured_in = ""
    for line in res.origin.splitlines():
        if line.startswith("path: "):
            configured_in = line[len("path: ") :]
    by = {"apiVersion": str(res.obj.get("apiVersion") or ""), "kind": res.kind}
    if res.name:
        by["name"] = res.name
    if res.namespace:
        by["namespace"] = res.namespace
    return {"configuredIn": configured_in, **{f"by.{k}": v for k, v in by.items()}}


def origin_text(origin: dict[str, str]) -> str:
    """An origin as kyaml marshals it: configuredIn, then configuredBy's apiVersion/kind/name/namespace."""
    lines = [f"configuredIn: {origin['configuredIn']}", "configuredBy:"]
    for key in ("apiVersion", "kind", "name", "namespace"):
        if origin.get(f"by.{key}"):
            lines.append(f"  {key}: {origin[f'by.{key}']}")
    return "\n".join(lines) + "\n"


def builtin_origin(configured_in: str, kind: str) -> dict[str, str]:
    return {"configuredIn": configured_in, "by.apiVersion": BUILTIN_API_VERSION, "by.kind": kind}
