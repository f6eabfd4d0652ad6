"""File access for one kustomization root, with kustomize's default load restrictor."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from .errors import KustomizeError

if TYPE_CHECKING:
    from pathlib import Path

KUSTOMIZATION_FILE_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

_REMOTE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com[/:]|gitlab\.com[/:]|bitbucket\.org[/:])", re.I
)


def is_remote(target: str) -> bool:
    """True for git/http(s) targets that kustomize would fetch over the network."""
    return bool(_REMOTE.match(target))


def _missing_component(path: str) -> str:
    """The first path prefix that does not exist (what Go's EvalSymlinks reports in lstat errors)."""
    cur = os.sep if path.startswith(os.sep) else ""
    for part in (p for p in path.split(os.sep) if p):
        cur = os.path.join(cur, part) if cur else part
        if not os.path.lexists(cur):
            return cur
    return path


def _eval_symlinks(path: str) -> str:
    if not os.path.lexists(path) or not os.path.exists(path):
        raise KustomizeError(
            f"evalsymlink failure on '{path}' : lstat {_missing_component(path)}: no such file or directory",
            path=path,
        )
    return os.path.realpath(path)


def _has_prefix(d: str, root: str) -> bool:
    return root == os.sep or d == root or d.startswith(root + os.sep)


class Loader:
    """Reads files under `root`; `new()` opens a base directory, refusing cycles and absolute roots."""

    def __init__(self, root: str | Path, *, referrer: Loader | None = None) -> None:
        self.root = str(root)
        self.referrer = referrer

    @classmethod
    def at(cls, path: str | Path) -> Loader:
        """A loader rooted at an existing directory (the build root)."""
        p = os.path.abspath(str(path))
        if not os.path.isdir(p):
            if os.path.exists(p):
                raise KustomizeError(f"must build at directory: '{p}': file is not directory", path=p)
            try:
                _eval_symlinks(p)
            except KustomizeError as e:
                raise KustomizeError(f"must build at directory: not a valid directory: {e}", path=p) from None
        return cls(os.path.realpath(p))

    def join(self, rel: str) -> str:
        return os.path.normpath(os.path.join(self.root, rel))

    def display(self, abs_path: str) -> str:
        """A path relative to this root for messages."""
        return os.path.relpath(abs_path, self.root)

    def resolve_file(self, rel: str) -> str:
        """The real path of a file this kustomization may read (load restrictor: inside the root)."""
        if is_remote(rel):
            raise KustomizeError(
                f"remote file '{rel}' is not supported: this kustomize build runs offline; vendor the file into the repository",
                path=rel,
            )
        path = rel if os.path.isabs(rel) else self.join(rel)
        path = os.path.normpath(path)
        real = _eval_symlinks(path)
        if os.path.isdir(real):
            raise KustomizeError(f"'{path}' must resolve to a file", path=path)
        if not _has_prefix(os.path.dirname(real), self.root):
            raise KustomizeError(f"security; file '{path}' is not in or below '{self.root}'", path=path)
        return real

    def load_bytes(self, rel: str) -> bytes:
        real = self.resolve_file(rel)
        try:
            with open(real, "rb") as fh:
                return fh.read()
        except OSError as e:
            raise KustomizeError(f"cannot read '{real}': {e.strerror}", path=real) from None

    def load(self, rel: str) -> bytes:
        """Alias of `load_bytes` (kustomize's Loader.Load)."""
        return self.load_bytes(rel)

    def load_text(self, rel: str) -> str:
        data = self.load_bytes(rel)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise KustomizeError(f"'{self.join(rel)}' is not UTF-8 text", path=self.join(rel)) from None

    def new(self, rel: str) -> Loader:
        """A loader for the base directory `rel` (may lie outside this root; must not be an ancestor)."""
        if is_remote(rel):
            raise KustomizeError(
                f"remote resource '{rel}' is not supported: this kustomize build runs offline; "
                "vendor the base into the repository and refer to it by a relative path",
                path=rel,
            )
        if os.path.isabs(rel):
            raise KustomizeError(f"new root '{rel}' cannot be absolute", path=rel)
        path = self.join(rel)
        try:
            real = _eval_symlinks(path)
        except KustomizeError as e:
            raise KustomizeError(f"must build at directory: not a valid directory: {e}", path=path) from None
        if not os.path.isdir(real):
            raise KustomizeError(f"must build at directory: '{path}': file is not directory", path=path)
        ldr: Loader | None = self
        while ldr is not None:
            if _has_prefix(ldr.root, real):
                raise KustomizeError(
                    f"cycle detected: candidate root '{real}' contains visited root '{ldr.root}'", path=real
                )
            ldr = ldr.referrer
        return Loader(real, referrer=self)

    def kustomization_file(self) -> str:
        """The name of this root's kustomization file; exactly one must exist."""
        found = [n for n in KUSTOMIZATION_FILE_NAMES if os.path.isfile(os.path.join(self.root, n))]
        if len(found) > 1:
            raise KustomizeError(f"Found multiple kustomization files under: {self.root}", path=self.root)
        if not found:
            raise KustomizeError(
                "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' "
                f"in directory '{self.root}'",
                path=self.root,
            )
        return found[0]
