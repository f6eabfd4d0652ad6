"""The `crds:` field: OpenAPI definitions of custom types whose x-kubernetes-* extensions add field specs.

Each file maps a Go type name (`github.com/x/apis/v1.MyKind`) to `{Schema: {properties: ...}}`. For every type
that looks like a Kubernetes object (apiVersion, kind, metadata), kustomize walks its properties (following
`$ref`): `x-kubernetes-object-ref-kind`/`-api-version` make a name reference, `x-kubernetes-identity` a name
prefix spec, `x-kubernetes-label-selector` a commonLabels spec, `x-kubernetes-annotation` a commonAnnotations
spec (kustomize's LoadConfigFromCRDs).
"""

from __future__ import annotations

from typing import Any

from .config import TransformerConfig, merge_into
from .errors import KustomizeError
from .fieldspec import FieldSpec
from .loader import Loader
from .resid import Gvk


def config_from_crds(ldr: Loader, paths: list[str]) -> TransformerConfig:
    """The transformer configuration the CRD definition files add."""
    cfg = TransformerConfig.empty()
    for path in paths:
        data = ldr.load_bytes(path)
        try:
            types = _parse(data, path)
        except KustomizeError as e:
            raise KustomizeError(
                f"unable to parse open API definition from '{path}': {e}", path=path
            ) from None
        for name in sorted(types):
            if _looks_like_object(_properties(types, name)):
                _load(cfg, Gvk("", "", name.rsplit(".", 1)[-1]), types, name, [], set())
    return cfg


def _parse(data: bytes, path: str) -> dict[str, Any]:
    text = data.decode("utf-8", "replace")
    if text[:1] == "{":
        import json

        try:
            doc = json.loads(text)
        except ValueError as e:
            raise KustomizeError(str(e)) from None
    else:
        from .yamlio import load_values

        docs = load_values(text, source=path)
        doc = docs[0] if docs else {}
    if not isinstance(doc, dict):
        raise KustomizeError("expected a map of type names to OpenAPI definitions")
    return doc


def _properties(types: dict[str, Any], name: str) -> dict[str, Any]:
    api = types.get(name)
    if not isinstance(api, dict):
        return {}
    schema = next((v for k, v in api.items() if str(k).lower() == "schema"), None)
    props = schema.get("properties") if isinstance(schema, dict) else None
    return props if isinstance(props, dict) else {}


def _looks_like_object(props: dict[str, Any]) -> bool:
    return all(k in props for k in ("kind", "apiVersion", "metadata"))


def _load(
    cfg: TransformerConfig, gvk: Gvk, types: dict[str, Any], name: str, path: list[str], seen: set[str]
) -> None:
    if name in seen:
        return
    seen = seen | {name}
    for prop_name, prop in _properties(types, name).items():
        if not isinstance(prop, dict):
            continue
        here = [*path, str(prop_name)]
        if isinstance(prop.get("x-kubernetes-annotation"), str):
            merge_into(cfg.specs["commonAnnotations"], [FieldSpec(gvk, "/".join(here))])
        if isinstance(prop.get("x-kubernetes-label-selector"), str):
            merge_into(cfg.specs["commonLabels"], [FieldSpec(gvk, "/".join(here))])
        if isinstance(prop.get("x-kubernetes-identity"), str):
            merge_into(cfg.specs["namePrefix"], [FieldSpec(gvk, "/".join(here))])
        version, kind = (
            prop.get("x-kubernetes-object-ref-api-version"),
            prop.get("x-kubernetes-object-ref-kind"),
        )
        if isinstance(version, str) and isinstance(kind, str):
            key = prop.get("x-kubernetes-object-ref-name-key")
            key = key if isinstance(key, str) else "name"
            merge_into(
                cfg.name_reference.setdefault(Gvk("", version, kind), []),
                [FieldSpec(gvk, "/".join([*here, key]))],
            )
        ref = prop.get("$ref")
        if isinstance(ref, str) and ref:
            _load(cfg, gvk, types, ref, here, seen)
