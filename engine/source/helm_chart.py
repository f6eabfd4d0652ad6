"""Helm chart builds as source-controller does them (internal/helm/chart): load a chart archive or directory,
merge values files into the chart's default values, set version metadata, and package a reproducible `.tgz`.

A build yields a `ChartBuild` (name, version, archive bytes, whether it was packaged, merged values files) whose
`summary` is Flux's (`pulled 'web' chart with version '0.1.0'`, `packaged … and merged values files [a.yaml]`).
Failures are `BuildError`s carrying one of Flux's build reasons (`InvalidChartReference`, `ChartPullError`,
`ValuesFilesError`, `MetadataPatchError`, `ChartPackageError`); the message is `<summary>: <detail>`.
Packaging is deterministic: entries sorted with `Chart.yaml` first, fixed mtimes and modes, gzip without a
timestamp, so the same chart gives the same digest on every machine.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from engine.jsonobj import Obj
from engine.masterminds import new_version
from engine.source.ignore import MatchResult, Pattern, read_patterns

CHART_FILE = "Chart.yaml"
VALUES_FILE = "values.yaml"
HELMIGNORE = ".helmignore"
MAX_CHART_SIZE = 10 * 1024 * 1024


@dataclass(frozen=True)
class BuildReason:
    """A build error class: Flux's condition reason and the summary its messages start with."""

    reason: str
    summary: str
    persistent: bool = False  # stalls the HelmChart instead of retrying

    @property
    def condition(self) -> str:
        """FetchFailed or BuildFailed, as observeChartBuild files the reason."""
        return "BuildFailed" if self.reason in _BUILD_FAILED else "FetchFailed"


CHART_REFERENCE = BuildReason("InvalidChartReference", "invalid chart reference", persistent=True)
CHART_PULL = BuildReason("ChartPullError", "chart pull error")
METADATA_PATCH = BuildReason("MetadataPatchError", "chart metadata patch error", persistent=True)
VALUES_FILES = BuildReason("ValuesFilesError", "values files merge error", persistent=True)
DEPENDENCY_BUILD = BuildReason("DependencyBuildError", "dependency build error")
CHART_PACKAGE = BuildReason("ChartPackageError", "chart package error")
UNKNOWN = BuildReason("Unknown", "unknown build error")
_BUILD_FAILED = ("MetadataPatchError", "ValuesFilesError", "DependencyBuildError", "ChartPackageError",
                 "ChartVerificationError")


class BuildError(Exception):
    """A chart build failed for `reason`; str() is Flux's `<summary>: <detail>`."""

    def __init__(self, reason: BuildReason, detail: str) -> None:
        super().__init__(f"{reason.summary}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class Chart:
    """A loaded chart: its Chart.yaml and every file by path relative to the chart root."""

    metadata: Obj
    files: dict[str, bytes]

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", ""))

    @property
    def values(self) -> Obj:
        data = self.files.get(VALUES_FILE)
        loaded = yaml.safe_load(data) if data else None
        return loaded if isinstance(loaded, dict) else {}


@dataclass
class ChartBuild:
    """The outcome of a build: what the HelmChart artifact will hold."""

    name: str
    version: str
    archive: bytes = b""
    packaged: bool = False
    values_files: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """chart.Build.Summary()."""
        action = ("packaged" if self.packaged else "pulled") if self.archive else "new"
        text = f"{action} '{self.name}' chart with version '{self.version}'"
        if self.values_files:
            text += f" and merged values files [{' '.join(self.values_files)}]"
        return text

    @property
    def reason(self) -> str:
        """ChartPackageSucceeded or ChartPullSucceeded (reasonForBuild)."""
        return "ChartPackageSucceeded" if self.packaged else "ChartPullSucceeded"


# -- metadata -------------------------------------------------------------------------------------------------
def parse_metadata(data: bytes, filename: str = CHART_FILE) -> Obj:
    """Chart.yaml as helm reads it (apiVersion defaults to v1); ValueError with helm's `cannot load` text."""
    try:
        meta = yaml.safe_load(data) if data.strip() else {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise ValueError(f"cannot load '{filename}': error converting YAML to JSON: yaml: {line}"
                         f"{getattr(err, 'problem', None) or err}") from err
    if not isinstance(meta, dict):
        raise ValueError(f"cannot load '{filename}': error unmarshaling JSON: json: cannot unmarshal "
                         "string into Go value of type chart.Metadata")
    meta = dict(meta)
    for key in ("version", "appVersion"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            meta[key] = str(meta[key])
    meta.setdefault("apiVersion", "v1")
    return meta


def validate_metadata(meta: Obj) -> None:
    """helm chart.Metadata.Validate; ValueError with helm's `validation: …` text."""
    name, version = meta.get("name"), meta.get("version")
    if not meta.get("apiVersion"):
        raise ValueError("validation: chart.metadata.apiVersion is required")
    if not name:
        raise ValueError("validation: chart.metadata.name is required")
    if not isinstance(name, str) or "/" in name or name in (".", ".."):
        raise ValueError(f'validation: chart.metadata.name "{name}" is invalid')
    if not version:
        raise ValueError("validation: chart.metadata.version is required")
    if new_version(str(version)) is None:
        raise ValueError(f'validation: chart.metadata.version "{version}" is invalid')
    if meta.get("type") not in (None, "", "application", "library"):
        raise ValueError("validation: chart.metadata.type must be application or library")


def with_version_metadata(version: str, metadata: str) -> str:
    """semver SetMetadata: `0.1.0` + `1` → `0.1.0+1` (replacing existing metadata); MetadataPatchError otherwise."""
    parsed = new_version(version)
    if parsed is None:
        raise BuildError(METADATA_PATCH, "failed to parse version from chart metadata as SemVer: Invalid Semantic "
                                         "Version")
    core = f"{parsed.major}.{parsed.minor}.{parsed.patch}" + (f"-{parsed.pre}" if parsed.pre else "")
    return f"{core}+{metadata}"


# -- loading --------------------------------------------------------------------------------------------------
def load_archive(data: bytes) -> Chart:
    """A chart from a `.tgz` (one top directory, no absolute or parent paths); ValueError on bad archives."""
    if len(data) > MAX_CHART_SIZE:
        raise ValueError(f"size of chart exceeds '{MAX_CHART_SIZE}' bytes limit")
    try:
        raw = gzip.decompress(data)
        tar = tarfile.open(fileobj=io.BytesIO(raw), mode="r:")
    except (OSError, EOFError, tarfile.TarError) as err:
        raise ValueError(f"failed to load chart archive: {err}") from err
    files: dict[str, bytes] = {}
    with tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            name = member.name.replace("\\", "/")
            parts = name.split("/")
            rel = posixpath.normpath("/".join(parts[1:])) if len(parts) > 1 else "."
            if name.startswith("/") or posixpath.isabs(rel):
                raise ValueError("chart illegally contains absolute paths")
            if rel == ".":
                raise ValueError(f"chart illegally contains content outside the base directory: {member.name}")
            if rel.startswith(".."):
                raise ValueError("chart illegally references parent directory")
            handle = tar.extractfile(member)
            files[rel] = handle.read() if handle else b""
    if CHART_FILE not in files:
        raise ValueError("Chart.yaml file is missing")
    return Chart(parse_metadata(files[CHART_FILE]), files)


def _helmignore(text: str) -> list[Pattern]:
    return read_patterns(text) + [Pattern.parse("templates/.?*")]


def _ignored(patterns: list[Pattern], rel: str, is_dir: bool) -> bool:
    parts = rel.split("/")
    for pattern in reversed(patterns):
        result = pattern.match(parts, is_dir)
        if result is not MatchResult.NO_MATCH:
            return result is MatchResult.EXCLUDE
    return False


def secure_join(root: Path, rel: str) -> Path:
    """`rel` under `root`, never outside it (securejoin: `..` and symlinks are resolved inside the root)."""
    root = root.resolve()
    path = (root / rel.lstrip("/")).resolve()
    if path != root and root not in path.parents:
        return root / posixpath.basename(posixpath.normpath(rel))
    return path


def load_directory(root: Path, rel: str) -> Chart:
    """A chart from a directory of a source artifact (`.helmignore` honoured, symlinks skipped)."""
    directory = secure_join(root, rel)
    chart_file = directory / CHART_FILE
    if not chart_file.is_file():
        raise ValueError("Chart.yaml file is missing")
    ignore_file = directory / HELMIGNORE
    patterns = _helmignore(ignore_file.read_text(errors="replace") if ignore_file.is_file() else "")
    files: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        rel_path = path.relative_to(directory).as_posix()
        if any(_ignored(patterns, "/".join(rel_path.split("/")[:i]), True)
               for i in range(1, rel_path.count("/") + 1)) or _ignored(patterns, rel_path, False):
            continue
        files[rel_path] = path.read_bytes()
    return Chart(parse_metadata(files[CHART_FILE]), files)


# -- values ---------------------------------------------------------------------------------------------------
def merge_maps(base: Obj, overlay: Obj) -> Obj:
    """fluxcd/pkg transform.MergeMaps: maps merged recursively, everything else replaced."""
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_maps(out[key], value)
        else:
            out[key] = value
    return out


def _load_values(data: bytes, name: str) -> Obj:
    try:
        values = yaml.safe_load(data) if data.strip() else {}
    except yaml.YAMLError as err:
        raise BuildError(VALUES_FILES, f"unmarshaling values from '{name}' failed: {err}") from err
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise BuildError(VALUES_FILES, f"unmarshaling values from '{name}' failed: error unmarshaling JSON: "
                                       "json: cannot unmarshal into Go value of type map[string]interface {}")
    return values


def effective_values_files(files: list[str]) -> list[str]:
    """BuildOptions.GetValuesFiles: `[values.yaml]` alone means no merge."""
    if len(files) == 1 and posixpath.normpath(files[0]) == VALUES_FILE:
        return []
    return list(files)


def merge_chart_values(chart: Chart, paths: list[str], ignore_missing: bool) -> tuple[Obj, list[str]]:
    """Values files inside the chart (HelmRepository sources): `values.yaml` means the chart defaults."""
    merged: Obj = {}
    used: list[str] = []
    for path in paths:
        clean = posixpath.normpath(path)
        if clean == VALUES_FILE:
            merged = merge_maps(merged, chart.values)
            used.append(path)
            continue
        data = chart.files.get(clean)
        if data is None:
            if ignore_missing:
                continue
            raise BuildError(VALUES_FILES, f"failed to merge chart values: no values file found at path '{path}'")
        merged = merge_maps(merged, _load_values(data, path))
        used.append(path)
    return merged, used


def merge_file_values(root: Path, paths: list[str], ignore_missing: bool) -> tuple[Obj, list[str]]:
    """Values files relative to the source root (GitRepository sources)."""
    merged: Obj = {}
    used: list[str] = []
    for path in paths:
        full = secure_join(root, path)
        if not full.is_file():
            if ignore_missing and not full.exists():
                continue
            shown = "/" + full.relative_to(root.resolve()).as_posix() if root.resolve() in full.parents else path
            raise BuildError(VALUES_FILES, f"no values file found at path '{shown}' (reference '{path}')")
        merged = merge_maps(merged, _load_values(full.read_bytes(), path))
        used.append(path)
    return merged, used


def overwrite_values(chart: Chart, values: Obj) -> bool:
    """OverwriteChartDefaultValues: replace values.yaml with the merged values; False when unchanged."""
    encoded = yaml.safe_dump(values, sort_keys=True, default_flow_style=False).encode() if values else b""
    if VALUES_FILE not in chart.files:
        raise BuildError(VALUES_FILES, f"failed to locate values file: {VALUES_FILE}")
    if chart.files[VALUES_FILE] == encoded:
        return False
    chart.files[VALUES_FILE] = encoded
    return True


# -- packaging ------------------------------------------------------------------------------------------------
def package(chart: Chart) -> bytes:
    """A reproducible `<name>/…` tgz of the chart (Chart.yaml rewritten from the metadata, as `helm package`)."""
    files = dict(chart.files)
    files[CHART_FILE] = yaml.safe_dump(chart.metadata, sort_keys=True, default_flow_style=False).encode()
    order = [CHART_FILE] + sorted(k for k in files if k != CHART_FILE)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for rel in order:
            data = files[rel]
            info = tarfile.TarInfo(f"{chart.name}/{rel}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def archive_metadata(data: bytes) -> Obj | None:
    """Chart.yaml of a stored chart archive, or None when it cannot be read (LoadChartMetadataFromArchive)."""
    try:
        chart = load_archive(data)
        validate_metadata(chart.metadata)
    except ValueError:
        return None
    return chart.metadata


# -- builds ---------------------------------------------------------------------------------------------------
def build_remote(data: bytes, name: str, version: str, *, values_files: list[str], ignore_missing: bool,
                 version_metadata: str = "") -> ChartBuild:
    """remoteChartBuilder.Build after the download: the archive as it is, or re-packaged with merged values."""
    final_version = with_version_metadata(version, version_metadata) if version_metadata else version
    wanted = effective_values_files(values_files)
    if not wanted and not version_metadata:
        meta = archive_metadata(data)
        if meta is None:
            raise BuildError(CHART_PULL, "failed to load chart metadata from written chart: invalid chart archive")
        return ChartBuild(name, final_version, data, packaged=False)
    try:
        chart = load_archive(data)
    except ValueError as err:
        raise BuildError(CHART_PACKAGE, f"failed to load downloaded chart: {err}") from err
    chart.metadata["version"] = final_version
    merged, used = merge_chart_values(chart, wanted, ignore_missing)
    build = ChartBuild(name, final_version, packaged=True)
    if wanted and overwrite_values(chart, merged):
        build.values_files = used
    build.archive = package(chart)
    return build


def build_local(root: Path, path: str, *, values_files: list[str], ignore_missing: bool,
                version_metadata: str = "") -> ChartBuild:
    """localChartBuilder.Build over an extracted source artifact: a chart directory is always packaged,
    a `.tgz` is copied unless values files or version metadata require packaging."""
    if not path:
        raise BuildError(CHART_REFERENCE, "no path set for local chart reference")
    if posixpath.isabs(path):
        raise BuildError(CHART_REFERENCE, "local chart reference path is expected to be relative")
    target = secure_join(root, path)
    if not target.exists():
        raise BuildError(CHART_REFERENCE, f"stat {path}: no such file or directory")
    is_dir = target.is_dir()
    try:
        if is_dir:
            if not (target / CHART_FILE).is_file():
                raise ValueError(f"open {posixpath.join(path, CHART_FILE)}: no such file or directory")
            meta = parse_metadata((target / CHART_FILE).read_bytes())
        else:
            meta = load_archive(target.read_bytes()).metadata
        validate_metadata(meta)
    except ValueError as err:
        raise BuildError(CHART_REFERENCE, str(err)) from err
    name, version = str(meta["name"]), str(meta["version"])
    if version_metadata:
        version = with_version_metadata(version, version_metadata)
    wanted = effective_values_files(values_files)
    if not is_dir and not version_metadata and not wanted:
        return ChartBuild(name, version, target.read_bytes(), packaged=False)
    merged: Obj = {}
    used: list[str] = []
    if wanted:
        merged, used = merge_file_values(root, values_files, ignore_missing)
    try:
        chart = load_directory(root, path) if is_dir else load_archive(target.read_bytes())
    except ValueError as err:
        raise BuildError(CHART_PACKAGE, str(err)) from err
    chart.metadata["version"] = version
    build = ChartBuild(name, version, packaged=True)
    if wanted and overwrite_values(chart, merged):
        build.values_files = used
    build.archive = package(chart)
    return build
