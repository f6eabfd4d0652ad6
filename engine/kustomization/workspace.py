"""Fetching an artifact into a temporary directory: digest check, safe extraction, secure path join."""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
from pathlib import Path

from engine.source.artifact import read_artifact_file


class ArtifactError(Exception):
    """The artifact cannot be fetched, verified or unpacked (Ready reason ArtifactFailed).

    `not_found`: the tarball is gone (the source is about to publish a new one): retry after 30s."""

    def __init__(self, message: str, *, not_found: bool = False) -> None:
        super().__init__(message)
        self.not_found = not_found


def read_artifact(url: str) -> bytes:
    """The bytes behind a `file://` URL (or plain path) that a source advertises."""
    try:
        return read_artifact_file(url)
    except ValueError as exc:
        raise ArtifactError(str(exc)) from None
    except FileNotFoundError:
        raise ArtifactError("Source is not ready, artifact not found, retrying in 30s", not_found=True) from None
    except OSError as exc:
        raise ArtifactError(f"failed to read artifact from '{url}': {exc}") from None


def verify_digest(data: bytes, digest: str | None) -> None:
    if not digest:
        return
    algo, _, expected = digest.partition(":")
    try:
        actual = hashlib.new(algo, data).hexdigest()
    except ValueError:
        raise ArtifactError(f"failed to verify artifact: unsupported digest algorithm '{algo}'") from None
    if actual != expected:
        raise ArtifactError(f"failed to verify artifact: computed digest doesn't match '{digest}'")


def extract(data: bytes, dest: Path) -> None:
    """Untar a gzip artifact; entries that are links, absolute or contain `..` are refused."""
    import io

    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar.getmembers():
                name = member.name
                if name in (".", "./"):
                    continue
                if name.startswith("/") or ".." in Path(name).parts:
                    raise ArtifactError(f"failed to extract artifact: illegal path '{name}' in archive")
                if not (member.isfile() or member.isdir()):
                    continue
                target = dest / name
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(member)
                assert src is not None
                target.write_bytes(src.read())
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArtifactError(f"failed to extract artifact: {exc}") from None


def secure_join(root: Path, unsafe: str) -> Path:
    """Join like Go's securejoin.SecureJoin: `..` and symlinks are resolved inside `root`, never outside it."""
    root = Path(os.path.realpath(root))
    current = root
    pending = [p for p in unsafe.replace("\\", "/").split("/") if p not in ("", ".")]
    hops = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            current = current.parent if current != root else root
            if root not in current.parents and current != root:
                current = root
            continue
        candidate = current / part
        if candidate.is_symlink():
            hops += 1
            if hops > 255:
                raise ArtifactError(f"path '{unsafe}': too many symlinks")
            link = os.readlink(candidate)
            if os.path.isabs(link):
                current = root
            pending = [p for p in link.split("/") if p not in ("", ".")] + pending
            continue
        current = candidate
    return current


def new_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="kustomization-"))
