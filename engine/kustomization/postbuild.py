"""After `kustomize build`: commonMetadata, variable substitution (postBuild) and owner labels."""

from __future__ import annotations

import base64
from typing import Any

import yaml

from engine.client import Client
from engine.jsonobj import Obj
from engine.kustomization.varsub import SubstitutionError, VarNameError, substitute
from engine.kustomize.resid import Gvk

GROUP = "kustomize.toolkit.fluxcd.io"
SUBSTITUTE_KEY = f"{GROUP}/substitute"


class PostBuildError(Exception):
    """Substitution or metadata stamping failed (Ready reason BuildFailed)."""


def stamp_common_metadata(objects: list[Obj], common: Obj | None) -> None:
    if not common:
        return
    for obj in objects:
        meta = obj.setdefault("metadata", {})
        if common.get("labels"):
            meta["labels"] = {**(meta.get("labels") or {}), **common["labels"]}
        if common.get("annotations"):
            meta["annotations"] = {**(meta.get("annotations") or {}), **common["annotations"]}


def stamp_owner(objects: list[Obj], name: str, namespace: str) -> None:
    for obj in objects:
        meta = obj.setdefault("metadata", {})
        meta["labels"] = {**(meta.get("labels") or {}), f"{GROUP}/name": name, f"{GROUP}/namespace": namespace}


def load_variables(client: Client | None, post_build: Obj, namespace: str) -> dict[str, str]:
    """`substituteFrom` ConfigMaps/Secrets in order (later win), then inline `substitute` (wins)."""
    values: dict[str, str] = {}
    for ref in post_build.get("substituteFrom") or []:
        kind, ref_name = ref.get("kind", ""), ref.get("name", "")
        obj = client.get("v1", kind, ref_name, namespace) if client is not None else None
        if obj is None:
            if ref.get("optional"):
                continue
            raise PostBuildError(f"substitute from '{kind}/{ref_name}' error: {kind.lower()}s \"{ref_name}\" "
                                 "not found")
        data = obj.get("data") or {}
        if kind == "Secret":
            values.update({k: base64.b64decode(v).decode(errors="replace") for k, v in data.items()})
            values.update(obj.get("stringData") or {})
        else:
            values.update({k: str(v) for k, v in data.items()})
    values.update({k: str(v) for k, v in (post_build.get("substitute") or {}).items()})
    return values


def _gvk(obj: Obj) -> str:
    """kustomize's Gvk.String(): `ConfigMap.v1.[noGrp]`, `Deployment.v1.apps`."""
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    return str(Gvk(group, version, str(obj.get("kind", ""))))


def _disabled(obj: Obj) -> bool:
    meta = obj.get("metadata") or {}
    return (meta.get("labels") or {}).get(SUBSTITUTE_KEY) == "disabled" or \
        (meta.get("annotations") or {}).get(SUBSTITUTE_KEY) == "disabled"


def substitute_objects(objects: list[Obj], variables: dict[str, str], *, strategy: str = "WithVariables",
                       strict: bool = True) -> list[Obj]:
    """Substitute `${var}` in each object's YAML unless opted out; no-op without variables (unless Always)."""
    if not variables and strategy != "Always":
        return objects
    out = []
    for obj in objects:
        if _disabled(obj):
            out.append(obj)
            continue
        text = yaml.safe_dump(obj, sort_keys=False, width=1 << 30, allow_unicode=True)
        # kustomize-controller names the object by kustomize's GVK string and its name, fluxcd/pkg wraps the cause
        where = f"post build failed for '{_gvk(obj)}/{(obj.get('metadata') or {}).get('name', '')}': envsubst error:"
        try:
            result = yaml.safe_load(substitute(text, variables, strict=strict))
        except VarNameError as exc:
            raise PostBuildError(f"{where} {exc}") from None
        except SubstitutionError as exc:
            raise PostBuildError(f"{where} variable substitution failed: {exc}") from None
        except yaml.YAMLError as exc:
            raise PostBuildError(f"{where} YAMLToJSON: {exc}") from None
        out.append(_restring(result))
    return out


def _as_str(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _restring(obj: Obj) -> Obj:
    """String-only maps stay strings after substitution (Flux keeps quoted scalars quoted; we lose the quotes)."""
    meta = obj.get("metadata") or {}
    for key in ("labels", "annotations"):
        if isinstance(meta.get(key), dict):
            meta[key] = {k: _as_str(v) for k, v in meta[key].items()}
    if obj.get("kind") in ("ConfigMap", "Secret"):
        for key in ("data", "stringData"):
            if isinstance(obj.get(key), dict):
                obj[key] = {k: _as_str(v) for k, v in obj[key].items()}
    stack: list[Any] = [obj.get("spec")]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("env"), list):
                for env in node["env"]:
                    if isinstance(env, dict) and "value" in env:
                        env["value"] = _as_str(env["value"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return obj
