"""Saving and loading a lab's cluster state, so an embedded cluster survives a restart."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from .store import Store

log = logging.getLogger(__name__)
STATE_FILE = "state.json"


def load(store: Store, state_dir: Path) -> bool:
    """Restore the store from state_dir; False when there is no saved state yet."""
    path = state_dir / STATE_FILE
    if not path.is_file():
        return False
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise RuntimeError(f"cannot read the saved cluster state {path}: {e}; delete it to start a fresh "
                           "cluster") from e
    store.restore(state)
    return True


def save(store: Store, state_dir: Path) -> None:
    """Write the store atomically (temp file + rename)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(store.snapshot(), separators=(",", ":")))
    os.replace(tmp, path)


class Saver:
    """Saves the store shortly after writes, at most once per `delay` seconds, in a background thread."""

    def __init__(self, store: Store, state_dir: Path, delay: float = 0.5) -> None:
        self.store = store
        self.state_dir = state_dir
        self.delay = delay
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)
        store.write_listeners.append(self._dirty.set)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._dirty.wait(0.5) and not self._stop.wait(self.delay):
                self._dirty.clear()
                try:
                    save(self.store, self.state_dir)
                except OSError:
                    log.exception("saving cluster state to %s failed", self.state_dir)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._dirty.is_set() or not (self.state_dir / STATE_FILE).exists():
            save(self.store, self.state_dir)
        self._dirty.clear()
