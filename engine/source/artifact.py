"""Reproducible artifact tarballs and the local artifact store (fluxcd/pkg/artifact/storage, outside the cluster).

Entries are written in lexical walk order with uid/gid 0, no owner names, zero mtimes and modes 0750 (dirs),
0700 (executables), 0600 (files); symlinks and special files are skipped; gzip carries no timestamp, so the same
tree always gives the same `sha256:` digest.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import os
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from engine.paths import artifacts_root
from engine.source.ignore import Matcher


class StorageError(Exception):
    """An artifact store operation failed; `reason` is Flux's StorageOperationFailed reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def default_storage_root() -> Path:
    """The engine's artifact folder (`engine.paths.artifacts_root`)."""
    return artifacts_root()


def archive_tree(root: Path, matcher: Matcher | None = None) -> bytes:
    """The gzipped tar of `root` as Flux writes it (see module doc); ignored paths are left out."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel, full, st in _walk(root, matcher):
            info = tarfile.TarInfo(rel)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            if stat.S_ISDIR(st.st_mode):
                info.type = tarfile.DIRTYPE
                info.mode = 0o750
                tar.addfile(info)
            else:
                info.mode = 0o700 if st.st_mode & 0o100 else 0o600
                info.size = st.st_size
                with open(full, "rb") as fh:
                    tar.addfile(info, fh)
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=6) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def _walk(root: Path, matcher: Matcher | None) -> Any:
    """(relative name, full path, lstat) for regular files and directories, lexical order like filepath.Walk."""
    yield ".", root, os.lstat(root)

    def visit(directory: Path, prefix: str) -> Any:
        for name in sorted(os.listdir(directory)):
            full = directory / name
            rel = f"{prefix}{name}"
            st = os.lstat(full)
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                continue
            is_dir = stat.S_ISDIR(st.st_mode)
            if rel == ".git" and is_dir:
                continue
            if matcher is None or not matcher.ignored(rel, is_dir):
                yield rel, full, st
            if is_dir:
                yield from visit(full, rel + "/")

    yield from visit(root, "")


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Storage:
    """Artifacts under `root/<kind>/<namespace>/<name>/<file>`; URLs are `file://` URLs a reconciler can open."""

    root: Path
    retention_records: int = 2

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()

    def artifact_path(self, kind: str, namespace: str, name: str, filename: str) -> str:
        return f"{kind.lower()}/{namespace}/{name}/{filename}"

    def local_path(self, rel_path: str) -> Path:
        """The file behind an artifact path, refusing paths that leave the store."""
        full = (self.root / rel_path).resolve()
        if self.root not in full.parents:
            raise StorageError("IllegalPath", f"artifact path '{rel_path}' is outside the storage root")
        return full

    def url_for(self, rel_path: str) -> str:
        return self.local_path(rel_path).as_uri()

    def store(self, rel_path: str, data: bytes, revision: str) -> dict[str, Any]:
        """Write atomically (0600) and return the `status.artifact` record."""
        target = self.local_path(rel_path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError("DirectoryCreationFailed", f"failed to create directory: {exc}") from exc
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
        except OSError as exc:
            raise StorageError("ArchiveOperationFailed", f"unable to archive artifact to storage: {exc}") from exc
        return {
            "digest": digest_of(data),
            "lastUpdateTime": dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "path": rel_path,
            "revision": revision,
            "size": len(data),
            "url": self.url_for(rel_path),
        }

    def verify(self, artifact: dict[str, Any]) -> str | None:
        """None if the advertised artifact exists with its digest; else 'missing' or 'digest mismatch'."""
        try:
            path = self.local_path(artifact.get("path", ""))
        except StorageError:
            return "missing"
        if not path.is_file():
            return "missing"
        if artifact.get("digest") and digest_of(path.read_bytes()) != artifact["digest"]:
            return "digest mismatch"
        return None

    def garbage_collect(self, kind: str, namespace: str, name: str, keep: str | None) -> list[str]:
        """Delete all but the newest `retention_records` artifacts (always keeping `keep`); returns removed paths."""
        directory = self.root / kind.lower() / namespace / name
        if not directory.is_dir():
            return []
        files = sorted((p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".tmp-")),
                       key=lambda p: p.stat().st_mtime, reverse=True)
        removed = []
        for path in files[self.retention_records:]:
            rel = path.relative_to(self.root).as_posix()
            if rel != keep:
                path.unlink(missing_ok=True)
                removed.append(rel)
        return removed

    def remove_all(self, kind: str, namespace: str, name: str) -> None:
        directory = self.root / kind.lower() / namespace / name
        if directory.is_dir():
            for path in directory.iterdir():
                if path.is_file():
                    path.unlink(missing_ok=True)
            directory.rmdir()


def read_artifact_file(url: str) -> bytes:
    """The bytes behind the `file://` URL (or plain path) a source advertises for its artifact.

    Raises ValueError for another URL scheme, FileNotFoundError when the artifact is gone (the source is about to
    publish a new one) and OSError when it cannot be read; each controller words these as Flux does."""
    parsed = urlparse(url)
    if parsed.scheme not in ("", "file"):
        raise ValueError(f"unsupported artifact URL '{url}': the engine reads file:// artifacts")
    return Path(unquote(parsed.path) if parsed.scheme == "file" else url).read_bytes()
