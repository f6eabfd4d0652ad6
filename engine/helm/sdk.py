"""The one module that calls Helm v4's Go SDK (`helm_python`, package helm-python-sdk); nothing else imports it.

Everything the rest of the kit needs from Helm goes through plain Python values here: chart archives are
`bytes`, rendered templates a `{path: text}` dict, releases the SDK's summary dicts, and every SDK failure
becomes a `HelmSdkError` whose `kind` says which (`not_found`, `cancelled`, `render`, `values`, `chart_load`,
`release`, `kube`, `repo`, ...), so callers never depend on `helm_python`'s exception classes.

Cluster access: one `Session` per release namespace (the SDK cannot keep storage and release namespaces
apart), built from a kubeconfig text the engine derives from its own `ApiClient` (engine.helm.kubeconfig).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as _hp

Values = dict[str, Any]

#: The SDK's error codes by name (helm_c's ABI; stable).
_KINDS = {
    -1: "unknown", -2: "invalid_arg", -5: "panic", -6: "cancelled", -7: "not_found", -8: "io",
    -20: "chart_load", -21: "chart_invalid", -22: "values", -23: "render", -40: "registry", -41: "repo",
    -60: "kube", -61: "storage", -62: "release",
}


class HelmSdkError(Exception):
    """A failed Helm SDK call: `kind` names the failure class, `str()` is Helm's own message."""

    def __init__(self, message: str, kind: str = "unknown") -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def not_found(self) -> bool:
        return self.kind == "not_found"


def _translate(exc: _hp.HelmError) -> HelmSdkError:
    return HelmSdkError(str(exc.detail or exc), _KINDS.get(int(exc.code) if exc.code is not None else -1, "unknown"))


@contextmanager
def _sdk_errors() -> Iterator[None]:
    try:
        yield
    except _hp.HelmError as exc:
        raise _translate(exc) from None


# --- charts ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChartInfo:
    """What the kit reads from a chart archive without rendering it."""

    metadata: Values
    values: Values
    schema: Values | None
    crds: list[dict[str, str]] = field(default_factory=list)
    files: list[dict[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", ""))

    @property
    def app_version(self) -> str:
        return str(self.metadata.get("appVersion", "") or "")


def _load(source: bytes | str | os.PathLike[str]) -> _hp.Chart:
    if isinstance(source, bytes):
        return _hp.Chart.load_archive(source)
    return _hp.Chart.load(os.fspath(source))


def chart_info(source: bytes | str | os.PathLike[str]) -> ChartInfo:
    """Metadata, default values, schema, CRDs and plain files of a chart (archive bytes, .tgz or directory)."""
    with _sdk_errors(), _load(source) as chart:
        return ChartInfo(dict(chart.metadata), dict(chart.values or {}), chart.schema, list(chart.crds or []),
                         list(chart.files or []))


def render(source: bytes | str | os.PathLike[str], values: Values, *, name: str, namespace: str,
           revision: int = 1, is_install: bool = True) -> dict[str, str]:
    """Render every template offline (`lookup` finds nothing), NOTES.txt and hooks included.

    Values are validated against the chart's values.schema.json first (a `values` error names the key)."""
    with _sdk_errors(), _load(source) as chart:
        chart.validate_schema(values)
        return chart.render(values, name=name, namespace=namespace, revision=revision,
                            is_install=is_install, is_upgrade=not is_install)


def package(chart_dir: str | os.PathLike[str], destination: str | os.PathLike[str], *,
            version: str | None = None) -> Path:
    """`helm package`: the chart directory as `<destination>/<name>-<version>.tgz` (deterministic)."""
    with _sdk_errors():
        return Path(_hp.package(os.fspath(chart_dir), destination=os.fspath(destination), version=version))


# --- releases ----------------------------------------------------------------------------------------
_RELEASE_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def release_lock(namespace: str, name: str) -> threading.Lock:
    """One lock per release: the SDK corrupts a release's history under concurrent writes."""
    with _LOCKS_GUARD:
        return _RELEASE_LOCKS.setdefault((namespace, name), threading.Lock())


class Session:
    """Helm's actions on the releases of one namespace (objects and storage Secrets both live there)."""

    def __init__(self, kubeconfig: str, namespace: str) -> None:
        self.kubeconfig = kubeconfig
        self.namespace = namespace

    @contextmanager
    def _config(self) -> Iterator[_hp.Config]:
        with _sdk_errors(), _hp.Config(kubeconfig_content=self.kubeconfig, namespace=self.namespace) as cfg:
            yield cfg

    def install(self, archive: bytes, name: str, values: Values, *, timeout: int, wait: str | None,
                create_namespace: bool = False, description: str | None = None) -> Values:
        """`helm install` of a chart archive; returns the release summary (with `manifest`)."""
        with self._config() as cfg, _sdk_errors(), _hp.Chart.load_archive(archive) as chart:
            return dict(cfg.install(chart, name, values, namespace=self.namespace, timeout=timeout, wait=wait,
                                    create_namespace=create_namespace, description=description))

    def upgrade(self, archive: bytes, name: str, values: Values, *, timeout: int, wait: str | None,
                max_history: int | None = None, preserve_values: bool = False, cleanup_on_fail: bool = False,
                description: str | None = None) -> Values:
        """`helm upgrade`; values are reset to `values` unless `preserve_values` (Flux's default)."""
        with self._config() as cfg, _sdk_errors(), _hp.Chart.load_archive(archive) as chart:
            return dict(cfg.upgrade(chart, name, values, namespace=self.namespace, timeout=timeout, wait=wait,
                                    max_history=max_history, reset_values=not preserve_values,
                                    reuse_values=preserve_values, cleanup_on_fail=cleanup_on_fail,
                                    description=description))

    def rollback(self, name: str, version: int, *, timeout: int, wait: str | None) -> None:
        """`helm rollback <name> <version>` (a new revision)."""
        with self._config() as cfg:
            cfg.rollback(name, version=version, timeout=timeout, wait=wait)

    def uninstall(self, name: str, *, timeout: int, keep_history: bool = False, wait: str | None = None) -> None:
        """`helm uninstall`; a missing release raises HelmSdkError(kind='not_found')."""
        with self._config() as cfg:
            cfg.uninstall(name, keep_history=keep_history, timeout=timeout, wait=wait)

    def test(self, name: str, *, timeout: int, include: list[str] | None = None,
             exclude: list[str] | None = None) -> Values:
        """`helm test`: run the release's test hooks (a failing hook raises kind='release')."""
        with self._config() as cfg:
            return dict(cfg.test(name, timeout=timeout, include_names=include or None,
                                 exclude_names=exclude or None))


def field_manager() -> str:
    """The field manager the SDK's server-side applies use: the basename of this process's argv[0] (Go's
    os.Args[0]), e.g. `python`. The kit applies with the same manager when it corrects drift, so that the
    next Helm upgrade does not conflict with it."""
    try:
        argv0 = Path("/proc/self/cmdline").read_bytes().split(b"\0", 1)[0].decode()
    except OSError:
        argv0 = sys.executable or "python"
    return os.path.basename(argv0) or "python"


def set_value(path: str, raw: str, *, literal: bool = False) -> Values:
    """`{path: raw}` parsed with Helm's `--set` rules (`'x'`/`"x"` forced to a string; `literal`: verbatim)."""
    with _sdk_errors():
        if literal:
            return dict(_hp.parse_set_literal(f"{path}={raw}"))
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            return dict(_hp.parse_set_string_values(f"{path}={raw[1:-1]}"))
        return dict(_hp.parse_set_string(f"{path}={raw}"))

