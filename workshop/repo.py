"""The lab's git remote: a bare repository served over file:// plus a working clone with deterministic commits.

Every commit made through LabRepo uses a fixed identity and a date derived from the commit's position in
history, so the same notebook produces the same SHAs on every machine.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import git

LAB_AUTHOR_NAME = "Workshop Learner"
LAB_AUTHOR_EMAIL = "learner@workshop.local"
LAB_EPOCH = dt.datetime(2026, 1, 1, 9, 0, 0, tzinfo=dt.UTC)
COMMIT_SPACING = dt.timedelta(minutes=1)


class LabRepoError(RuntimeError):
    """A lab repository operation failed; the message says what to do."""


@dataclass(frozen=True)
class CommitInfo:
    """One line of history: short sha, full sha, subject."""

    sha: str
    short: str
    subject: str

    def __str__(self) -> str:
        return f"{self.short} {self.subject}"


class LabRepo:
    """A bare remote (`<root>/remotes/<name>.git`) and a working clone (`<root>/<name>`) on one branch."""

    def __init__(self, root: Path, name: str = "fleet", branch: str = "main") -> None:
        self.root = Path(root).resolve()
        self.name = name
        self.branch = branch
        self.remote_path = self.root / "remotes" / f"{name}.git"
        self.path = self.root / name

    @property
    def url(self) -> str:
        """The URL a GitRepository's spec.url uses to reach the remote."""
        return self.remote_path.as_uri()

    @classmethod
    def create(cls, root: Path, name: str = "fleet", *, branch: str = "main",
               seed_from: Path | None = None, seed_dest: str = "", message: str = "Initial commit") -> LabRepo:
        """Create an empty remote and clone; with seed_from, copy that tree in and make the first commit."""
        repo = cls(root, name, branch)
        if repo.remote_path.exists() or repo.path.exists():
            raise LabRepoError(f"{repo.path} already exists: use LabRepo.open() or remove the lab directory first")
        repo.remote_path.parent.mkdir(parents=True, exist_ok=True)
        git.Repo.init(repo.remote_path, bare=True, initial_branch=branch)
        clone = git.Repo.init(repo.path, initial_branch=branch)
        clone.create_remote("origin", repo.url)
        with clone.config_writer() as cfg:
            cfg.set_value("user", "name", LAB_AUTHOR_NAME)
            cfg.set_value("user", "email", LAB_AUTHOR_EMAIL)
            cfg.set_value("commit", "gpgsign", "false")
        if seed_from is not None:
            repo.copy_in(seed_from, seed_dest)
            repo.commit(message)
        return repo

    @classmethod
    def open(cls, root: Path, name: str = "fleet", branch: str = "main") -> LabRepo:
        repo = cls(root, name, branch)
        if not (repo.path / ".git").exists():
            raise LabRepoError(f"no lab repository at {repo.path}: create it with LabRepo.create()")
        return repo

    @property
    def git(self) -> git.Repo:
        return git.Repo(self.path)

    def write(self, relpath: str, text: str) -> Path:
        """Write a file in the working clone (creating folders); returns its path."""
        target = self._inside(relpath)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def read(self, relpath: str) -> str:
        return self._inside(relpath).read_text()

    def copy_in(self, source: Path, dest: str = "") -> None:
        """Copy a file or folder from outside into the working clone at dest."""
        source = Path(source)
        target = self._inside(dest) if dest else self.path
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)

    def copy(self, src_rel: str, dest_rel: str) -> None:
        """Copy a folder inside the clone, e.g. gitops/disabled/postgres -> gitops/apps/postgres."""
        src = self._inside(src_rel)
        if not src.exists():
            raise LabRepoError(f"{src_rel} does not exist in {self.path}")
        if src.is_dir():
            shutil.copytree(src, self._inside(dest_rel), dirs_exist_ok=True)
        else:
            shutil.copy2(src, self._inside(dest_rel))

    def remove(self, relpath: str) -> None:
        """Delete a file or folder from the working clone (commit to make it count)."""
        target = self._inside(relpath)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        else:
            raise LabRepoError(f"{relpath} does not exist in {self.path}")

    def commit(self, message: str, *, push: bool = True) -> str | None:
        """Stage everything, commit with the lab identity and a deterministic date, push; None if nothing changed."""
        repo = self.git
        repo.git.add(A=True)
        has_head = repo.head.is_valid()
        if has_head and not repo.index.diff("HEAD"):
            return None
        count = int(repo.git.rev_list("--count", "HEAD")) if has_head else 0
        when = (LAB_EPOCH + count * COMMIT_SPACING).strftime("%Y-%m-%dT%H:%M:%S+0000")
        actor = git.Actor(LAB_AUTHOR_NAME, LAB_AUTHOR_EMAIL)
        commit = repo.index.commit(message, author=actor, committer=actor, author_date=when, commit_date=when)
        if push:
            self.push()
        return commit.hexsha

    def push(self) -> None:
        try:
            self.git.git.push("origin", f"{self.branch}:{self.branch}")
        except git.GitCommandError as err:
            raise LabRepoError(f"push to {self.url} failed: {err.stderr.strip()}") from err

    def pull(self) -> None:
        """Bring commits made by others (e.g. image automation) into the working clone."""
        try:
            self.git.git.pull("--ff-only", "origin", self.branch)
        except git.GitCommandError as err:
            raise LabRepoError(f"pull from {self.url} failed: {err.stderr.strip()}") from err

    def head(self) -> str:
        return self.git.head.commit.hexsha

    def log(self, n: int = 10) -> list[CommitInfo]:
        """The newest n commits of the working clone, newest first."""
        return [CommitInfo(c.hexsha, c.hexsha[:7], c.summary if isinstance(c.summary, str) else c.summary.decode())
                for c in self.git.iter_commits(self.branch, max_count=n)]

    def _inside(self, relpath: str) -> Path:
        target = (self.path / relpath).resolve()
        if target != self.path and self.path not in target.parents:
            raise LabRepoError(f"{relpath!r} points outside the lab repository {self.path}")
        return target
