"""The one Kustomization build: generate → kustomize build → commonMetadata → postBuild → decode → owner labels.

kustomize-controller and `flux build/diff kustomization` share this pipeline (fluxcd/pkg/kustomize); so do the
engine's reconciler and `gitops build/diff`. Bad input never raises anything but `BuildError`, whose message is
the Ready message Flux writes (`kustomize build failed: …`, `failed to decode Kubernetes apiVersion, kind and
name from: …`, `substitute from …`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.client import Client
from engine.jsonobj import Obj
from engine.kustomization.generator import GenerateError, find_kustomization, generate
from engine.kustomization.postbuild import (
    PostBuildError,
    load_variables,
    stamp_common_metadata,
    stamp_owner,
    substitute_objects,
)

GROUP = "kustomize.toolkit.fluxcd.io"
SOPS_MASK = "**SOPS**"


class BuildError(Exception):
    """The build failed (Ready reason BuildFailed); the message is Flux's."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Build:
    """What a build produced: the objects (owner labels stamped), whether the kustomization file was generated
    and whether the path held no YAML at all, the digest of the result and the Secret values it contains."""

    objects: list[Obj]
    generated: bool
    empty: bool
    digest: str
    secrets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Generated:
    """The kustomization file step: whether the file was generated (the folder had none) and whether the
    folder held no YAML at all (a generated file without resources: the build yields zero objects)."""

    generated: bool
    empty: bool


def generate_file(spec: Obj, directory: Path, root: Path) -> Generated:
    """Write (or patch) `kustomization.yaml` in `directory` with the Kustomization's overrides (Flux step 9)."""
    import yaml

    if not isinstance(spec, dict):
        raise BuildError(f"invalid Kustomization spec: expected an object, got {type(spec).__name__}")
    had_file = find_kustomization(directory) is not None
    try:
        kfile = generate(spec, directory, root)
    except GenerateError as err:
        raise BuildError(str(err)) from None
    written = yaml.safe_load(kfile.read_text()) or {}
    return Generated(not had_file, not had_file and not written.get("resources"))


def build_objects(spec: Obj, name: str, namespace: str, directory: Path, root: Path, client: Client | None,
                  generated: Generated, *, reorder: str = "unspecified", strict: bool = True) -> Build:
    """kustomize build, commonMetadata, postBuild substitution, decode check and owner labels (Flux steps
    10-11) over a directory whose kustomization file `generate_file` wrote. `client` reads
    postBuild.substituteFrom ConfigMaps/Secrets (None: only inline variables)."""
    from engine import kustomize

    try:
        objects: list[Obj] = [] if generated.empty else kustomize.build(str(directory), reorder=reorder)
    except Exception as err:  # KustomizeError and anything the builder raises on bad input
        base = str(root.resolve())
        text = str(err).replace(base + "/", "").replace(base, ".")
        raise BuildError(f"kustomize build failed: {text}") from None
    _check_decodable(objects)
    try:
        stamp_common_metadata(objects, spec.get("commonMetadata"))
        post = spec.get("postBuild")
        if post:
            if not isinstance(post, dict):
                raise PostBuildError("spec.postBuild: expected an object")
            variables = load_variables(client, post, namespace)
            objects = substitute_objects(objects, variables, strict=strict,
                                         strategy=post.get("substituteStrategy") or "WithVariables")
    except PostBuildError as err:
        raise BuildError(str(err)) from None
    _check_decodable(objects)
    secrets = [v for obj in objects if obj["kind"] == "Secret" for v in secret_values(obj)]
    digest = "sha256:" + hashlib.sha256(json.dumps(objects, sort_keys=True).encode()).hexdigest()
    stamp_owner(objects, name, namespace)
    return Build(objects, generated.generated, generated.empty, digest, secrets)


def build_kustomization(spec: Obj, name: str, namespace: str, directory: Path, root: Path,
                        client: Client | None, *, reorder: str = "unspecified", strict: bool = True) -> Build:
    """The whole pipeline over `directory` inside the artifact `root`: what the reconciler's generate and build
    phases do, for `gitops build/diff kustomization` (which keep kustomize's input order: `reorder="none"`)."""
    return build_objects(spec, name, namespace, directory, root, client, generate_file(spec, directory, root),
                         reorder=reorder, strict=strict)


def _check_decodable(objects: list[Any]) -> None:
    """Every object has apiVersion, kind and metadata.name (kustomize-controller fails the build otherwise)."""
    for obj in objects:
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        if not isinstance(obj, dict) or not isinstance(obj.get("apiVersion"), str) or not obj.get("apiVersion") \
                or not isinstance(obj.get("kind"), str) or not obj.get("kind") or not isinstance(meta, dict) \
                or not meta.get("name"):
            raise BuildError(f"failed to decode Kubernetes apiVersion, kind and name from: {str(obj)[:200]}")


def sops_encrypted(obj: Obj) -> bool:
    """A SOPS-encrypted Secret whose decryption is not disabled (`kustomize.toolkit.fluxcd.io/decrypt`)."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return obj.get("kind") == "Secret" and bool(obj.get("sops")) and \
        str(annotations.get(f"{GROUP}/decrypt") or "").lower() != "disabled"


def mask_sops(objects: list[Obj]) -> None:
    """Mask SOPS data in Secrets as `flux build` does (flux2 internal/build maskSopsData): a Secret carrying SOPS
    metadata (`sops:` with `mac: ENC[`) loses its `sops` field and every value (`**SOPS**`; base64 of it in `data`;
    `{"mask":"**SOPS**"}` for dockerconfigjson); in other Secrets only values that are SOPS documents are masked."""
    masked = base64.b64encode(SOPS_MASK.encode()).decode()
    for obj in objects:
        if obj.get("kind") != "Secret":
            continue
        data: dict[str, Any] = obj["data"] if isinstance(obj.get("data"), dict) else {}
        string_data: dict[str, Any] = obj["stringData"] if isinstance(obj.get("stringData"), dict) else {}
        text = yaml.safe_dump(obj, sort_keys=False)
        if "sops:" in text and "mac: ENC[" in text:
            obj.pop("sops", None)
            if obj.get("type") == "kubernetes.io/dockerconfigjson":
                mask_json = json.dumps({"mask": SOPS_MASK}, separators=(",", ":"))
                data_mask, string_mask = base64.b64encode(mask_json.encode()).decode(), mask_json
            else:
                data_mask, string_mask = masked, SOPS_MASK
            data = {k: data_mask for k in data}
            string_data = {k: string_mask for k in string_data}
        else:
            data = {k: (masked if _sops_document(_b64(v)) else v) for k, v in data.items()}
            string_data = {k: (masked if _sops_document(str(v)) else v) for k, v in string_data.items()}
        if "data" in obj:
            obj["data"] = data
        if string_data:
            obj["stringData"] = string_data


def _b64(value: Any) -> str:
    try:
        return base64.b64decode(str(value)).decode(errors="replace")
    except ValueError:
        return ""


def _sops_document(text: str) -> bool:
    return "sops" in text and "ENC[" in text


def secret_values(obj: Obj) -> list[str]:
    """The values of a Secret (encoded and decoded, ≥4 characters) that must never reach a message."""
    values = []
    for value in (obj.get("data") or {}).values():
        if isinstance(value, str) and len(value) >= 4:
            values.append(value)
            try:
                decoded = base64.b64decode(value).decode()
                if len(decoded) >= 4:
                    values.append(decoded)
            except (ValueError, UnicodeDecodeError):
                pass
    values += [v for v in (obj.get("stringData") or {}).values() if isinstance(v, str) and len(v) >= 4]
    return values
