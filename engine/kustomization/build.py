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

from engine.client import Client
from engine.kustomization.generator import GenerateError, find_kustomization, generate
from engine.kustomization.postbuild import (
    PostBuildError,
    load_variables,
    stamp_common_metadata,
    stamp_owner,
    substitute_objects,
)

Obj = dict[str, Any]
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
                  generated: Generated) -> Build:
    """kustomize build, commonMetadata, postBuild substitution, decode check and owner labels (Flux steps
    10-11) over a directory whose kustomization file `generate_file` wrote. `client` reads
    postBuild.substituteFrom ConfigMaps/Secrets (None: only inline variables)."""
    from engine import kustomize

    try:
        objects: list[Obj] = [] if generated.empty else kustomize.build(str(directory))
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
            objects = substitute_objects(objects, variables,
                                         strategy=post.get("substituteStrategy") or "WithVariables")
    except PostBuildError as err:
        raise BuildError(str(err)) from None
    _check_decodable(objects)
    secrets = [v for obj in objects if obj["kind"] == "Secret" for v in secret_values(obj)]
    digest = "sha256:" + hashlib.sha256(json.dumps(objects, sort_keys=True).encode()).hexdigest()
    stamp_owner(objects, name, namespace)
    return Build(objects, generated.generated, generated.empty, digest, secrets)


def build_kustomization(spec: Obj, name: str, namespace: str, directory: Path, root: Path,
                        client: Client | None) -> Build:
    """The whole pipeline over `directory` inside the artifact `root`: what the reconciler's generate and build
    phases do, for `gitops build/diff kustomization`."""
    return build_objects(spec, name, namespace, directory, root, client, generate_file(spec, directory, root))


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
    """Replace SOPS-encrypted Secret values as `flux build` does (`**SOPS**`, base64 in `data`)."""
    masked = base64.b64encode(SOPS_MASK.encode()).decode()
    for obj in objects:
        if obj.get("kind") == "Secret" and obj.get("sops"):
            for key in ("data", "stringData"):
                if isinstance(obj.get(key), dict):
                    obj[key] = {k: (masked if key == "data" else SOPS_MASK) for k in obj[key]}


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
