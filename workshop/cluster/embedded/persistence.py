"""Saving and loading a lab's cluster state, so an embedded cluster survives a restart and a kill -9.

Every committed write is appended to a journal (`journal.jsonl`) and handed to the operating system before the
request that caused it is answered; a background thread compacts the journal into a snapshot (`state.json`)
from time to time and on stop. Loading reads the snapshot, then the journal entries newer than it. The
journal is not fsynced: a killed server loses nothing it acknowledged, a power cut may lose the last writes.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import IO, Any

from engine.jsonobj import Obj

from .store import Change, Store

log = logging.getLogger(__name__)
STATE_FILE = "state.json"
JOURNAL_FILE = "journal.jsonl"
ROTATED_JOURNAL = "journal.1.jsonl"

#: What `workshop status` says about the state directory's durability.
DURABILITY = ("every acknowledged write is journaled before its answer (survives kill -9; not fsynced, so a power "
              "cut may lose the last writes)")



class StateError(RuntimeError):
    """The saved state cannot be used; the message says which file and what to do."""


def _bad(path: Path, what: str) -> StateError:
    return StateError(f"the saved cluster state {path} is damaged ({what}); move it away or delete the directory "
                      f"{path.parent} to start a fresh cluster")


def _check_object(path: Path, index: int, obj: Any) -> Obj:
    if not isinstance(obj, dict):
        raise _bad(path, f"object #{index} is a {type(obj).__name__}, not an object")
    md = obj.get("metadata")
    if not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str):
        raise _bad(path, f"object #{index} has no apiVersion/kind")
    if not isinstance(md, dict) or not isinstance(md.get("name"), str) or not isinstance(md.get("uid"), str):
        raise _bad(path, f"object #{index} ({obj['kind']}) has no metadata.name/uid")
    return obj


def _read_snapshot(path: Path) -> Obj:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise _bad(path, f"not readable as JSON: {e}") from e
    if not isinstance(state, dict):
        raise _bad(path, f"a {type(state).__name__} instead of a snapshot object")
    objects = state.get("objects", [])
    if not isinstance(objects, list):
        raise _bad(path, "`objects` is not a list")
    for key in ("resourceVersion", "uidCounter", "nameCounter"):
        if not isinstance(state.get(key, 0), int) or isinstance(state.get(key, 0), bool):
            raise _bad(path, f"`{key}` is not an integer")
    state["objects"] = [_check_object(path, i, o) for i, o in enumerate(objects)]
    return state


def _read_journal(path: Path) -> list[Obj]:
    """Journal entries; a torn last line (the process died while writing it) was never acknowledged: skipped."""
    if not path.is_file():
        return []
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as e:
        raise _bad(path, str(e)) from e
    entries = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict) or not isinstance(entry.get("rv"), int) or entry.get("type") not in (
                    "ADDED", "MODIFIED", "DELETED") or not isinstance(entry.get("uid"), str):
                raise ValueError("not a journal entry")
            if entry["type"] != "DELETED":
                _check_object(path, number, entry.get("obj"))
        except (ValueError, StateError) as e:
            if number == len(lines):  # no newline after it: the write never completed
                log.warning("ignoring the torn last line of %s", path)
                break
            raise _bad(path, f"line {number}: {e}") from e
        entries.append(entry)
    return entries


def load(store: Store, state_dir: Path) -> bool:
    """Restore the store from state_dir (snapshot + newer journal entries); False when nothing was saved yet."""
    snapshot_path = state_dir / STATE_FILE
    entries = _read_journal(state_dir / ROTATED_JOURNAL) + _read_journal(state_dir / JOURNAL_FILE)
    if not snapshot_path.is_file() and not entries:
        return False
    state = _read_snapshot(snapshot_path) if snapshot_path.is_file() else {"objects": []}
    base = int(state.get("resourceVersion") or 0)
    objects: dict[str, Obj] = {o["metadata"]["uid"]: o for o in state["objects"]}
    rv, uids, names = base, int(state.get("uidCounter") or 0), int(state.get("nameCounter") or 0)
    for entry in entries:
        if entry["rv"] <= base:
            continue  # already in the snapshot (a compaction stopped before removing the rotated journal)
        if entry["type"] == "DELETED":
            objects.pop(entry["uid"], None)
        else:
            objects[entry["uid"]] = entry["obj"]
        rv = max(rv, entry["rv"])
        uids = max(uids, int(entry.get("uids") or 0))
        names = max(names, int(entry.get("names") or 0))
    store.restore({"resourceVersion": rv, "uidCounter": uids, "nameCounter": names,
                   "objects": list(objects.values())})
    return True


def save(store: Store, state_dir: Path) -> None:
    """Write a snapshot atomically (temp file + rename)."""
    _write_snapshot(store.snapshot(), state_dir)


def _write_snapshot(snapshot: Obj, state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / STATE_FILE
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as out:
        json.dump(snapshot, out, separators=(",", ":"))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


class Saver:
    """Journals every committed change before its request is answered; compacts into a snapshot now and then."""

    def __init__(self, store: Store, state_dir: Path, *, compact_after: int = 2000, interval: float = 5.0) -> None:
        self.store = store
        self.state_dir = state_dir
        self.compact_after = compact_after
        self.interval = interval
        self._entries = 0
        self._file: IO[bytes] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)
        state_dir.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        """Snapshot what the store holds now (restored or bootstrapped state), then journal every change."""
        with self.store.lock:
            self._file = (self.state_dir / JOURNAL_FILE).open("ab", buffering=0)
            self.store.change_listeners.append(self._append)
            self.compact()
        self._thread.start()

    def _append(self, change: Change) -> None:
        """Called by the store under its lock for each committed change: one unbuffered write."""
        obj = change.obj
        entry = {"rv": change.rv, "type": change.type, "uid": obj["metadata"].get("uid", ""),
                 "obj": None if change.type == "DELETED" else obj,
                 "uids": self.store.uid_counter, "names": self.store.name_counter}
        if self._file is None:
            return
        try:
            self._file.write(json.dumps(entry, separators=(",", ":")).encode() + b"\n")
        except OSError:  # the write is committed in memory already; say so loudly rather than fail the request
            log.exception("journaling a change to %s failed: it is lost if the server dies before the next "
                          "snapshot", self.state_dir)
            return
        self._entries += 1

    def compact(self) -> None:
        """Snapshot the store and drop the journal entries the snapshot contains."""
        rotated = self.state_dir / ROTATED_JOURNAL
        with self.store.lock:
            snapshot = self.store.snapshot()
            if self._file is not None:
                self._file.close()
                journal = self.state_dir / JOURNAL_FILE
                if rotated.exists():  # an earlier compaction was interrupted: keep both, in order
                    with rotated.open("ab") as out:
                        out.write(journal.read_bytes())
                    journal.unlink()
                else:
                    os.replace(journal, rotated)
                self._file = journal.open("ab", buffering=0)
            self._entries = 0
        _write_snapshot(snapshot, self.state_dir)
        rotated.unlink(missing_ok=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self._entries >= self.compact_after:
                try:
                    self.compact()
                except OSError:
                    log.exception("compacting the cluster state in %s failed", self.state_dir)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        with self.store.lock:
            if self._append in self.store.change_listeners:
                self.store.change_listeners.remove(self._append)
        self.compact()
        with self.store.lock:
            if self._file is not None:
                self._file.close()
                self._file = None
