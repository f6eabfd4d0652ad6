"""Older Flux API versions: which one is current, and `flux migrate -f`'s line-based rewrite of manifests.

Many tutorials still show `kustomize.toolkit.fluxcd.io/v1beta2`, `source.toolkit.fluxcd.io/v1beta2`,
`helm.toolkit.fluxcd.io/v2beta1`, `image.toolkit.fluxcd.io/v1alpha2` or `notification.toolkit.fluxcd.io/v1beta1`.
Flux 2.9 serves none of them. `current_api_version()` names the version that replaces one (the client adds it to
"no matches for kind" errors); `plan()`/`rewrite()` do what `flux migrate -f PATH` does: find each `apiVersion: `
line whose next line is a `kind: ` of a Flux kind with a newer version, and replace the version on that line only,
so comments, order and formatting of the file stay as they are. Field renames between versions are not made
(flux migrate does not make them either).

This module imports nothing from the engine: the API client (the lowest layer) uses it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

SOURCE, KUSTOMIZE, HELM = "source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io"
NOTIFICATION, IMAGE = "notification.toolkit.fluxcd.io", "image.toolkit.fluxcd.io"

_FLUX27: dict[tuple[str, str], str] = {
    (SOURCE, "Bucket"): "v1", (SOURCE, "GitRepository"): "v1", (SOURCE, "OCIRepository"): "v1",
    (SOURCE, "HelmRepository"): "v1", (SOURCE, "HelmChart"): "v1", (SOURCE, "ExternalArtifact"): "v1",
    (KUSTOMIZE, "Kustomization"): "v1",
    (HELM, "HelmRelease"): "v2",
    (NOTIFICATION, "Receiver"): "v1", (NOTIFICATION, "Alert"): "v1beta3", (NOTIFICATION, "Provider"): "v1beta3",
    (IMAGE, "ImageRepository"): "v1", (IMAGE, "ImagePolicy"): "v1", (IMAGE, "ImageUpdateAutomation"): "v1",
    ("source.extensions.fluxcd.io", "ArtifactGenerator"): "v1beta1",
}
_FLUX26 = {**{k: v for k, v in _FLUX27.items() if k[0] != "source.extensions.fluxcd.io"},
           (IMAGE, "ImageRepository"): "v1beta2", (IMAGE, "ImagePolicy"): "v1beta2",
           (IMAGE, "ImageUpdateAutomation"): "v1beta2"}
# flux migrate's table: the latest API versions of each supported Flux minor version, newest first.
LATEST_API_VERSIONS: dict[str, dict[tuple[str, str], str]] = {"2.9": _FLUX27, "2.8": _FLUX27, "2.7": _FLUX27,
                                                              "2.6": _FLUX26}
DEFAULT_FLUX_VERSION = "2.9"
DEFAULT_EXTENSIONS = (".yaml", ".yml")


class MigrateError(Exception):
    """The path or the options cannot be migrated (message as flux prints it)."""


class GroupVersionError(ValueError):
    """Not a `group/version` or `version` string."""


def parse_group_version(api_version: str) -> tuple[str, str]:
    """apimachinery's ParseGroupVersion: `v1` → ("", "v1"), `g/v` → ("g", "v"), more slashes → error."""
    if not api_version or api_version == "/":
        return "", ""
    parts = api_version.split("/")
    if len(parts) == 1:
        return "", parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise GroupVersionError(f"unexpected GroupVersion string: {api_version}")


def current_api_version(api_version: str, kind: str, flux_version: str = DEFAULT_FLUX_VERSION) -> str | None:
    """The apiVersion Flux serves for this kind when `api_version` is an older (or unknown) version of a Flux
    group; None when it is current or not a Flux kind."""
    try:
        group, version = parse_group_version(api_version)
    except GroupVersionError:
        return None
    latest = LATEST_API_VERSIONS[flux_version].get((group, kind))
    if latest is None or latest == version:
        return None
    return f"{group}/{latest}"


def outdated_hint(api_version: str, kind: str) -> str:
    """`: Flux 2.9 serves Kustomization as kustomize.toolkit.fluxcd.io/v1 …` or "" (appended to NoMatch errors)."""
    current = current_api_version(api_version, kind)
    if current is None:
        return ""
    return (f"; {api_version} is not served by Flux {DEFAULT_FLUX_VERSION}, the current version of {kind} is "
            f"{current} (rewrite old manifests with `gitops migrate -f PATH`)")


# -- flux migrate -f ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Upgrade:
    line: int  # 0-based index of the apiVersion line
    kind: str
    old_version: str
    new_version: str


@dataclass
class FileUpgrades:
    file: str
    upgrades: list[Upgrade] = field(default_factory=list)


@dataclass
class Plan:
    """What `flux migrate -f` found, with its console lines in flux's order (`kind` is warning|generate)."""

    files: list[FileUpgrades] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)


def detect(text: str, file: str, versions: dict[tuple[str, str], str], messages: list[tuple[str, str]]) \
        -> list[Upgrade]:
    """The upgrades of one file's text; unparsable apiVersions become warnings in `messages`."""
    lines = text.split("\n")
    found: list[Upgrade] = []
    for index, line in enumerate(lines):
        at = line.find("apiVersion: ")
        if at == -1:
            continue
        api_version = line[at + len("apiVersion: "):].strip().split(" ")[0]
        try:
            group, version = parse_group_version(api_version)
        except GroupVersionError as err:
            messages.append(("warning", f"{file}:{index + 1}: {err}"))
            continue
        if index + 1 >= len(lines):
            continue
        kind_at = lines[index + 1].find("kind: ")
        if kind_at == -1:
            continue
        kind = lines[index + 1][kind_at + len("kind: "):].strip().split(" ")[0]
        latest = versions.get((group, kind))
        if latest is None or latest == version:
            continue
        found.append(Upgrade(index, kind, version, latest))
    return found


def _matches(path: str, extensions: tuple[str, ...]) -> bool:
    return any(path.endswith(ext) for ext in extensions)


def _walk(root: str, extensions: tuple[str, ...], messages: list[tuple[str, str]]) -> list[str]:
    """Go's fs.WalkDir: lexical order, symlinks not followed; irregular files with a wanted extension warned."""
    files: list[str] = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        path = os.path.join(root, entry.name)
        if entry.is_dir(follow_symlinks=False):
            files += _walk(path, extensions, messages)
            continue
        if not _matches(path, extensions):
            continue
        if entry.is_file(follow_symlinks=False):
            files.append(path)
        else:
            messages.append(("warning", f"skipping irregular file {path}"))
    return files


def plan(path: str, *, extensions: tuple[str, ...] = DEFAULT_EXTENSIONS,
         flux_version: str = DEFAULT_FLUX_VERSION) -> Plan:
    """Find the upgrades under a file or directory (MigrateError for a bad path, version or extension)."""
    versions = LATEST_API_VERSIONS.get(flux_version)
    if versions is None:
        supported = ", ".join(v for v in LATEST_API_VERSIONS if v != flux_version)
        raise MigrateError(f"version {flux_version} is not supported, supported versions are: {supported}")
    path = os.path.normpath(path)
    result = Plan()
    try:
        info = os.lstat(path)
    except OSError as err:
        raise MigrateError(f"failed to stat path {path}: {err.strerror.lower() if err.strerror else err}") from None
    if stat.S_ISDIR(info.st_mode):
        files = _walk(path, extensions, result.messages)
    else:
        if not _matches(path, extensions):
            raise MigrateError(f"file {path} does not match the specified extensions: {', '.join(extensions)}")
        if not stat.S_ISREG(info.st_mode):
            raise MigrateError(f"file {path} is irregular")
        files = [path]
    for file in files:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise MigrateError(f"failed to read file {file}: {err}") from None
        upgrades = detect(text, file, versions, result.messages)
        if upgrades:
            result.files.append(FileUpgrades(file, upgrades))
            result.messages += [("generate", f"{file}:{u.line + 1}: {u.kind} {u.old_version} -> {u.new_version}")
                                for u in upgrades]
    return result


def rewrite(file_upgrades: FileUpgrades) -> None:
    """Replace the old version on each upgraded line (first occurrence only), keeping the file's mode."""
    path = Path(file_upgrades.file)
    lines = path.read_text(encoding="utf-8").split("\n")
    for upgrade in file_upgrades.upgrades:
        lines[upgrade.line] = lines[upgrade.line].replace(upgrade.old_version, upgrade.new_version, 1)
    mode = path.stat().st_mode
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(stat.S_IMODE(mode))
