"""State survives a restart with state_dir; `python -m workshop.cluster.embedded` serves in the foreground."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml
from kubernetes import client

from workshop.cluster.embedded import EmbeddedCluster

from .kubeconfig_http import kubeconfig_session


def test_state_survives_restart(tmp_path):
    state = tmp_path / "state"
    first = EmbeddedCluster("persist", workdir=tmp_path / "a", state_dir=state)
    first.start()
    try:
        with first.api_client() as api:
            made = client.CoreV1Api(api).create_namespaced_config_map("default", {"metadata": {"name": "kept"},
                                                                                   "data": {"a": "1"}})
    finally:
        first.stop()
    second = EmbeddedCluster("persist", workdir=tmp_path / "b", state_dir=state)
    second.start()
    try:
        with second.api_client() as api:
            core = client.CoreV1Api(api)
            kept = core.read_namespaced_config_map("kept", "default")
            assert kept.metadata.uid == made.metadata.uid and kept.data == {"a": "1"}
            later = core.create_namespaced_config_map("default", {"metadata": {"name": "later"}})
            assert int(later.metadata.resource_version) > int(kept.metadata.resource_version)
            assert later.metadata.uid != kept.metadata.uid
    finally:
        second.stop()


def test_kubeconfig_names_the_cluster(embedded_cluster):
    config = yaml.safe_load(Path(embedded_cluster.kubeconfig_path).read_text())
    assert config["current-context"] == "test"
    assert config["clusters"][0]["cluster"]["server"] == embedded_cluster.url
    assert config["contexts"][0]["context"]["namespace"] == "default"


def test_module_runs_in_foreground(tmp_path):
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen([sys.executable, "-m", "workshop.cluster.embedded", "--name", "fg", "--kubeconfig",
                             str(kubeconfig), "--state", str(tmp_path / "st")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert re.search(r"serving https?://127\.0\.0\.1:", line), (
            proc.stderr.read() if proc.poll() is not None else line)
        http, url = kubeconfig_session(kubeconfig, tmp_path / "client")
        with http:
            assert http.get(f"{url}/version", timeout=5).json()["minor"] == "33"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert (tmp_path / "st" / "state.json").is_file()
