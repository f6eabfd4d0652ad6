"""Flags shared by `gitops build kustomization` and `gitops diff kustomization`, as flux's:

- `--ignore-paths` (gitignore patterns, comma-separated or repeated): files left out of the local build, together
  with the `.sourceignore` files of the tree — what source-controller would leave out of the artifact;
- `--kustomization-file`: the Flux Kustomization read from a local YAML file instead of the cluster.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from engine.cli.output import CLIError
from engine.jsonobj import Obj


def remove_ignored(root: Path, ignore_paths: list[str]) -> None:
    """Delete what the patterns (and the tree's .sourceignore files) exclude from the copy at `root`."""
    from engine.source.ignore import matcher_for

    patterns = [p for item in ignore_paths for p in item.split(",") if p]
    if not patterns:
        return
    matcher = matcher_for(root, "\n".join(patterns))
    for dirpath, dirnames, filenames in os.walk(root, topdown=True):
        rel_dir = Path(dirpath).relative_to(root)
        for d in list(dirnames):
            rel = (rel_dir / d).as_posix()
            if matcher.ignored(rel, True):
                shutil.rmtree(Path(dirpath) / d, ignore_errors=True)
                dirnames.remove(d)
        for f in filenames:
            if matcher.ignored((rel_dir / f).as_posix(), False):
                (Path(dirpath) / f).unlink(missing_ok=True)


def read_kustomization_file(path: str, name: str) -> Obj:
    """The Kustomization named `name` in a local YAML file (flux's --kustomization-file)."""
    try:
        docs = [d for d in yaml.safe_load_all(Path(path).read_text()) if isinstance(d, dict)]
    except OSError as err:
        raise CLIError(f"failed to read kustomization file: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise CLIError(f"failed to unmarshal kustomization file {path}: {err}") from None
    for doc in docs:
        if doc.get("kind") == "Kustomization" and str(doc.get("apiVersion", "")).startswith(
                "kustomize.toolkit.fluxcd.io/") and (doc.get("metadata") or {}).get("name") == name:
            return doc
    raise CLIError(f"failed find kustomization with name '{name}' in file '{path}'")
