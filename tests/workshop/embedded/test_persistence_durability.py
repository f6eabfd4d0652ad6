"""`--state`: acknowledged writes survive kill -9 (journal), compaction keeps them, and a damaged state directory
is refused at start with a clear message instead of a traceback."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from workshop.cluster.base import ClusterError
from workshop.cluster.embedded import EmbeddedCluster, persistence
from workshop.cluster.embedded.store import Store

from .kubeconfig_http import kubeconfig_session

CM = "/api/v1/namespaces/default/configmaps"


def serve(tmp_path: Path, state: Path) -> tuple[subprocess.Popen[str], Path]:
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen([sys.executable, "-m", "workshop.cluster.embedded", "--name", "dur", "--kubeconfig",
                             str(kubeconfig), "--state", str(state)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    assert re.search(r"serving https?://127\.0\.0\.1:", line), (
        proc.stderr.read() if proc.stderr and proc.poll() is not None else line)
    return proc, kubeconfig


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc, kubeconfig = serve(tmp_path, state)
    try:
        uids = {}
        http, url = kubeconfig_session(kubeconfig, tmp_path / "client")
        with http:
            for i in range(40):
                r = http.post(url + CM, json={"metadata": {"name": f"cm{i}"}, "data": {"i": str(i)}}, timeout=5)
                assert r.status_code == 201
                uids[f"cm{i}"] = r.json()["metadata"]["uid"]
            assert http.delete(f"{url}{CM}/cm0", timeout=5).status_code == 200
            patched = http.patch(f"{url}{CM}/cm1", json={"data": {"i": "patched"}}, timeout=5,
                                 headers={"Content-Type": "application/merge-patch+json"}).json()
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # right after the last answer: no chance to save on the way out
        proc.wait(timeout=10)
    cluster = EmbeddedCluster("dur", workdir=tmp_path / "again", state_dir=state)
    cluster.start()
    try:
        with cluster.http_session() as http:
            listed = http.get(cluster.url + CM, timeout=5).json()["items"]
            fresh = http.post(cluster.url + CM, json={"metadata": {"name": "fresh"}}, timeout=5).json()
        items = {o["metadata"]["name"]: o for o in listed if o["metadata"]["name"].startswith("cm")}
        assert set(items) == {f"cm{i}" for i in range(1, 40)}
        assert all(items[n]["metadata"]["uid"] == uids[n] for n in items)
        assert items["cm1"]["data"] == {"i": "patched"}
        assert items["cm1"]["metadata"]["resourceVersion"] == patched["metadata"]["resourceVersion"]
        assert fresh["metadata"]["uid"] not in uids.values()
        assert int(fresh["metadata"]["resourceVersion"]) > int(patched["metadata"]["resourceVersion"])
    finally:
        cluster.stop()


def test_compaction_folds_the_journal_into_the_snapshot(tmp_path: Path) -> None:
    state = tmp_path / "state"
    store = Store()
    store.create_object(store.registry.by_kind("v1", "Namespace"), {"metadata": {"name": "default"}})
    saver = persistence.Saver(store, state, compact_after=1, interval=3600)
    saver.start()
    cms = store.registry.by_kind("v1", "ConfigMap")
    store.create_object(cms, {"metadata": {"name": "a", "namespace": "default"}})
    saver.compact()
    assert (state / persistence.JOURNAL_FILE).read_bytes() == b""
    store.create_object(cms, {"metadata": {"name": "b", "namespace": "default"}})
    store.delete_object(cms, "default", "a")
    # a compaction that stopped after rotating the journal: the rotated entries are older than the snapshot
    (state / persistence.ROTATED_JOURNAL).write_bytes((state / persistence.JOURNAL_FILE).read_bytes())
    restored = Store()
    assert persistence.load(restored, state)
    assert [o["metadata"]["name"] for o in restored.list(cms.gvr, "default")] == ["b"]
    saver.stop()


@pytest.mark.parametrize(("content", "what"), [
    (b"[]", "a list instead of a snapshot object"),
    (b'{"objects": 5}', "`objects` is not a list"),
    (b'{"objects": [{"kind": "ConfigMap"}]}', "object #0 has no apiVersion/kind"),
    (b'{"objects": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": 1}}]}',
     "object #0 (ConfigMap) has no metadata.name/uid"),
    (b"\x00\xffgarbage", "not readable as JSON"),
])
def test_damaged_state_file_gives_a_clear_message(tmp_path: Path, content: bytes, what: str) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.json").write_bytes(content)
    cluster = EmbeddedCluster("bad", workdir=tmp_path / "w", state_dir=state)
    with pytest.raises(ClusterError) as err:
        cluster.start()
    message = str(err.value)
    assert message.startswith(f"the saved cluster state {state / 'state.json'} is damaged (")
    assert what in message and message.endswith(f"delete the directory {state} to start a fresh cluster")


def test_damaged_state_stops_the_module_with_one_line(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.json").write_text("[]")
    proc = subprocess.run([sys.executable, "-m", "workshop.cluster.embedded", "--state", str(state),
                           "--kubeconfig", str(tmp_path / "kc")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: the saved cluster state ")


def test_torn_last_journal_line_is_ignored_and_a_damaged_middle_line_is_not(tmp_path: Path) -> None:
    state = tmp_path / "state"
    cluster = EmbeddedCluster("torn", workdir=tmp_path / "w", state_dir=state)
    cluster.start()
    try:
        with cluster.http_session() as http:
            assert http.post(cluster.url + CM, json={"metadata": {"name": "kept"}}, timeout=5).status_code == 201
        journal = (state / persistence.JOURNAL_FILE).read_bytes()
    finally:
        cluster.stop()
    assert journal.count(b"\n") == 1
    (state / persistence.JOURNAL_FILE).write_bytes(journal + b'{"rv": 99, "type": "ADD')
    restored = Store()
    assert persistence.load(restored, state)
    (state / persistence.JOURNAL_FILE).write_bytes(b"{oops}\n" + journal)
    with pytest.raises(persistence.StateError, match="line 1"):
        persistence.load(Store(), state)
    assert json.loads(journal)["obj"]["metadata"]["name"] == "kept"
