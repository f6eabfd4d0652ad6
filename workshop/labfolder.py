"""A lab's folder on disk: the lock that gives it to one lab at a time, and the env file a terminal sources.

Two kernels on one lesson (File > Duplicate, two people on one host) would otherwise share one folder and
wipe each other's cluster and repo. `LabLock` holds an advisory lock (`flock`) on `.<folder>.lock` next to
the folder for the lab's lifetime; the kernel's death releases it, so a crashed lab never blocks the next.
The lock file stays (removing it would let two processes lock two different files of the same name).
"""

from __future__ import annotations

import fcntl
import os
import re
import shlex
from pathlib import Path
from typing import IO

__all__ = ["ENV_FILE", "LabInUseError", "LabLock", "LabStoppedError", "env_script", "holder_of", "lock_path"]

#: The file in a lab folder that points a shell at the lab: `source <folder>/env.sh`.
ENV_FILE = "env.sh"


class _ShortTraceback(RuntimeError):
    """An error whose message is all a learner needs: IPython shows the message, not 30 frames of the kit."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class LabInUseError(_ShortTraceback):
    """Another process runs a lab in this folder; the message names it and says what to do."""


class LabStoppedError(_ShortTraceback):
    """The lab was stopped (its clean-up cell ran); the message says how to start it again."""


def lock_path(folder: Path) -> Path:
    """`.<name>.lock` beside the lab folder (outside it: starting a lab wipes the folder)."""
    return folder.parent / f".{folder.name}.lock"


def _process_line(pid: int) -> str:
    """`process 1234 (python -m ipykernel_launcher …)`, or just the pid when /proc does not say more."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = ""
    cmd = re.sub(r"\s-f\s+\S+kernel-[\w-]+\.json", "", cmd)  # the kernel's connection file says nothing
    return f"process {pid} ({cmd[:80]})" if cmd else f"process {pid}"


def holder_of(folder: Path) -> int | None:
    """The pid of the process holding the folder's lock, None when no process holds it."""
    path = lock_path(folder)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = path.read_text(errors="replace").strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class LabLock:
    """An exclusive, non-blocking lock on one lab folder, held from `acquire()` to `release()`."""

    def __init__(self, folder: Path, lesson: str) -> None:
        self.folder = Path(folder)
        self.lesson = lesson
        self.path = lock_path(self.folder)
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> LabLock:
        """Take the lock, or raise LabInUseError naming the process that has it and what to do."""
        if self._file is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = open(self.path, "a+")  # noqa: SIM115 - held open for the lab's lifetime
        except PermissionError:
            handle = open(self.path)  # another user's lock file: flock works on a read-only handle too
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise LabInUseError(self._busy_message()) from None
        if handle.writable():
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
        self._file = handle
        return self

    def release(self) -> None:
        if self._file is not None:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None

    def _busy_message(self) -> str:
        pid = holder_of(self.folder)
        who = _process_line(pid) if pid and pid > 0 else "another process (of another user?)"
        return (
            f"the lab folder {self.folder} is in use by {who}, another lab of lesson {self.lesson} "
            "(a second kernel on this notebook, e.g. after File > Duplicate, or someone else on this machine). "
            "Stop that lab first: run its clean-up cell (lab.stop()) or shut its kernel down "
            "(Kernel > Shut Down Kernel), then run this cell again. To run both, give this one its own folder: "
            f"Lab.start({self.lesson!r}, root=Path('.labs/{self.lesson}-2'))"
        )


def env_script(lesson: str, *, kubeconfig: Path, data_dir: Path, kit_bin: Path, fleet: Path | None) -> str:
    """The shell lines that point a terminal at a lab: KUBECONFIG, GITOPS_DATA_DIR, the kit's bin on PATH."""
    q = shlex.quote
    lines = [
        f"# Points this shell at lab {lesson}: source it, or eval \"$(workshop env NN)\". Written by Lab.start.",
        f"export KUBECONFIG={q(str(kubeconfig))}",
        f"export GITOPS_DATA_DIR={q(str(data_dir))}",
        f'case ":$PATH:" in *:{q(str(kit_bin))}:*) ;; *) export PATH={q(str(kit_bin))}:"$PATH" ;; esac',
    ]
    if fleet is not None:
        lines.append(f"export FLEET={q(str(fleet))}  # the lab repo's working clone: cd \"$FLEET\"")
    return "\n".join(lines) + "\n"
