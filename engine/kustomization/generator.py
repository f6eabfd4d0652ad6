"""Generate or patch `kustomization.yaml` in the extracted artifact with the Kustomization's overrides, as
kustomize-controller does before every build (fluxcd/pkg/kustomize's generator)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from engine.jsonobj import Obj
from engine.kustomize.errors import KustomizeError

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class GenerateError(Exception):
    """The kustomization file cannot be generated (Ready reason BuildFailed)."""


def find_kustomization(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        if (directory / name).is_file():
            return directory / name
    return None


def _check_yaml(path: Path, root: Path) -> None:
    try:
        from engine.kustomize.yamlio import load_documents

        docs = load_documents(path.read_text(), source=str(path))
    except KustomizeError as exc:
        raise GenerateError(f"failed to decode Kubernetes YAML from {path.relative_to(root)}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise GenerateError(f"failed to decode Kubernetes YAML from {path.relative_to(root)}: {exc}") from None
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict) or not doc.get("kind") or not doc.get("apiVersion"):
            raise GenerateError(f"failed to decode Kubernetes YAML from {path.relative_to(root)}: "
                                "missing Resource metadata (apiVersion and kind are required)")


def scan(directory: Path, root: Path) -> list[str]:
    """Resources for a plain directory: every *.yaml/*.yml (lexical walk), sub-kustomizations as directories."""
    resources: list[str] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        here = Path(dirpath)
        keep = []
        for d in dirnames:
            if find_kustomization(here / d) is not None:
                resources.append((here / d).relative_to(directory).as_posix())
            else:
                keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if os.path.splitext(name)[1] not in (".yaml", ".yml"):
                continue
            _check_yaml(here / name, root)
            resources.append((here / name).relative_to(directory).as_posix())
    # filepath.Walk visits a directory's files and subdirectories in one lexical order
    return sorted(resources, key=lambda p: p.split("/"))


def _merge_images(existing: list[Obj], overrides: list[Obj]) -> list[Obj]:
    out = [dict(i) for i in existing]
    for img in overrides:
        for cur in out:
            if cur.get("name") == img.get("name"):
                cur.update({k: v for k, v in img.items() if v})
                break
        else:
            out.append({k: v for k, v in img.items() if v})
    return out


def generate(spec: Obj, directory: Path, root: Path) -> Path:
    """Write the kustomization file Flux would build in `directory`; returns its path."""
    path = find_kustomization(directory)
    if path is not None:
        try:
            kus = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise GenerateError(f"failed to read {path.relative_to(root)}: {exc}") from None
        if not isinstance(kus, dict):
            raise GenerateError(f"failed to read {path.relative_to(root)}: not a YAML mapping")
        if not kus.get("resources") and not kus.get("components") and not kus.get("buildMetadata") \
                and not any(kus.get(k) for k in ("configMapGenerator", "secretGenerator", "generators")):
            kus["buildMetadata"] = ["originAnnotations"]
    else:
        path = directory / "kustomization.yaml"
        kus = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
               "resources": [f"./{r}" if not r.startswith(".") else r for r in scan(directory, root)]}
    if spec.get("targetNamespace"):
        kus["namespace"] = spec["targetNamespace"]
    if spec.get("namePrefix"):
        kus["namePrefix"] = spec["namePrefix"]
    if spec.get("nameSuffix"):
        kus["nameSuffix"] = spec["nameSuffix"]
    if spec.get("patches"):
        kus["patches"] = list(kus.get("patches") or []) + [
            {k: v for k, v in p.items() if k in ("patch", "target") and v} for p in spec["patches"]]
    if spec.get("images"):
        kus["images"] = _merge_images(list(kus.get("images") or []), spec["images"])
    for comp in spec.get("components") or []:
        if os.path.isabs(comp) or "://" in comp:
            raise GenerateError(f"component path '{comp}' must be local and relative")
        if not (directory / comp).exists():
            if spec.get("ignoreMissingComponents"):
                continue
        kus.setdefault("components", [])
        kus["components"] = list(kus["components"]) + [comp]
    if spec.get("buildMetadata"):
        kus["buildMetadata"] = list(spec["buildMetadata"])
    path.write_text(yaml.safe_dump(kus, sort_keys=False))
    return path
