"""The progress bar of `gitops diff kustomization --progress-bar` (flux2 internal/build: briandowns/spinner, char
set 14, a frame every 100 ms).

As that spinner it draws on stdout and only when stdout is a terminal: piped, captured or in a notebook it writes
nothing at all. Each frame is `\\r<frame><suffix>` after erasing the line (`\\r\\033[K`); the cursor is hidden while
it spins (`\\033[?25l` … `\\033[?25h`) and the line is erased when it stops, so the diff printed afterwards starts
on a clean line. The frame is white (`\\033[37m`) unless NO_COLOR is set or TERM is `dumb` (fatih/color)."""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType
from typing import TextIO

FRAMES = ("⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏")  # briandowns/spinner CharSets[14]
ERASE, HIDE_CURSOR, SHOW_CURSOR = "\r\033[K", "\033[?25l", "\033[?25h"


def is_terminal(stream: TextIO) -> bool:
    """Is `stream` an interactive terminal (the spinner's isRunningInTerminal)?"""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed or replaced streams
        return False


class Spinner:
    """A spinner with a changeable suffix; `start()` does nothing unless the stream is a terminal."""

    def __init__(self, suffix: str, stream: TextIO | None = None, delay: float = 0.1) -> None:
        self._stream = stream
        self._suffix = suffix
        self._delay = delay
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    @property
    def active(self) -> bool:
        return self._thread is not None

    @property
    def suffix(self) -> str:
        return self._suffix

    @suffix.setter
    def suffix(self, text: str) -> None:
        with self._lock:
            self._suffix = text

    def start(self) -> None:
        if self._thread is not None or not is_terminal(self.stream):
            return
        self._stop.clear()
        self._write(HIDE_CURSOR)
        self._thread = threading.Thread(target=self._spin, name="gitops-spinner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join()
        with self._lock:
            self._write(SHOW_CURSOR + (ERASE if self._drawn else ""))
            self._drawn = False

    def __enter__(self) -> Spinner:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _frame(self, char: str) -> str:
        colored = os.environ.get("NO_COLOR", "") == "" and os.environ.get("TERM") != "dumb"
        return f"\033[37m{char}\033[0m" if colored else char

    def _spin(self) -> None:
        i = 0
        while not self._stop.is_set():
            with self._lock:
                self._write(ERASE + self._frame(FRAMES[i % len(FRAMES)]) + self._suffix)
                self._drawn = True
            i += 1
            self._stop.wait(self._delay)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (ValueError, OSError):  # the terminal went away: nothing to draw on
            pass


def diff_spinner(enabled: bool, stream: TextIO | None = None) -> Spinner | None:
    """flux diff's spinner (`WithProgressBar`): None when `--progress-bar=false`."""
    return Spinner(" Kustomization diffing... " + DRY_RUN, stream) if enabled else None


DRY_RUN = "running dry-run"  # flux2 internal/build spinnerDryRunMessage
