"""Flags shared by `gitops build kustomization` and `gitops diff kustomization`, as flux's:

- `--ignore-paths` (gitignore patterns, comma-separated or repeated): files left out of the local build, together
  with the `.sourceignore` files of the tree — what source-controller would leave out of the artifact;
- `--kustomization-file`: the Flux Kustomization read from a local YAML file (with the live object's status when
  there is one; without the cluster at all with `build --dry-run`);
- `--local-sources Kind/namespace/name=path`: where `-r/--recursive` finds the sources of child Kustomizations.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

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


def check_kustomization_file(path: str) -> None:
    """flux's pre-check of `--kustomization-file`: it must exist and not be a directory."""
    if path and (not os.path.exists(path) or os.path.isdir(path)):
        raise CLIError(f"invalid kustomization file {go_quote(path)}")


def go_bool(flag: str) -> Any:
    """An argparse `type` parsing a boolean flag value as Go's strconv.ParseBool (cobra's error on bad input)."""
    def parse(text: str) -> bool:
        if text in ("1", "t", "T", "TRUE", "true", "True"):
            return True
        if text in ("0", "f", "F", "FALSE", "false", "False"):
            return False
        raise CLIError(f'invalid argument {go_quote(text)} for "{flag}" flag: strconv.ParseBool: parsing '
                       f'{go_quote(text)}: invalid syntax')
    return parse


def go_quote(text: str) -> str:
    """Go's `%q` of a plain string (double quotes, backslash escapes)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def read_kustomization_file(path: str, name: str, namespace: str) -> Obj:
    """The Kustomization named `name` in `namespace` (or without a namespace) in a local YAML file, as flux's
    unMarshallKustomization; errors carry flux's `failed to get kustomization object: ` prefix."""
    prefix = "failed to get kustomization object: "
    try:
        docs = [d for d in yaml.safe_load_all(Path(path).read_text()) if isinstance(d, dict)]
    except OSError as err:
        raise CLIError(f"{prefix}failed to read kustomization file {path}: {err.strerror or err}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise CLIError(f"{prefix}failed to unmarshall kustomization file {path}: {err}") from None
    for doc in docs:
        meta: Obj = doc["metadata"] if isinstance(doc.get("metadata"), dict) else {}
        if doc.get("kind") == "Kustomization" and str(doc.get("apiVersion", "")).startswith(
                "kustomize.toolkit.fluxcd.io/") and meta.get("name") == name and \
                meta.get("namespace") in (namespace, "", None):
            return doc
    raise CLIError(f"{prefix}failed find kustomization with name '{name}' and namespace '{namespace}' in file "
                   f"'{path}'")


def parse_local_sources(values: list[str]) -> dict[str, str]:
    """`--local-sources Kind/namespace/name=path[,…]` (cobra's StringToString: every item needs a `=`)."""
    out: dict[str, str] = {}
    for value in values:
        for item in value.split(","):
            key, sep, path = item.partition("=")
            if not sep:
                raise CLIError(f'invalid argument {go_quote(value)} for "--local-sources" flag: {item} must be '
                               "formatted as key=value")
            out[key] = path
    return out


def is_kustomization(obj: Obj) -> bool:
    """A Flux Kustomization (any kustomize.toolkit.fluxcd.io version) among built objects."""
    return obj.get("kind") == "Kustomization" and \
        str(obj.get("apiVersion", "")).startswith("kustomize.toolkit.fluxcd.io/")


def child_path(obj: Obj, sources: dict[str, str]) -> str:
    """Where a child Kustomization's manifests are: its source's --local-sources path joined with spec.path."""
    meta, spec = obj.get("metadata") or {}, obj.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    ref: Obj = spec["sourceRef"] if isinstance(spec.get("sourceRef"), dict) else {}
    key = f"{ref.get('kind', '')}/{ref.get('namespace') or meta.get('namespace', '')}/{ref.get('name', '')}"
    if key not in sources:
        raise CLIError(f"cannot get local path for {key} of kustomization {meta.get('name', '')}")
    return os.path.join(sources[key], str(spec.get("path") or ""))
