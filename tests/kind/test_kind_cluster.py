"""The kind backend on a real kind cluster (marker `kind`: skipped with the reason without Docker and kind)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from kubernetes import client as k8s

from workshop.cluster.base import LabCluster
from workshop.cluster.kind import KindLabCluster, kind_unavailable_reason

pytestmark = pytest.mark.kind


def test_kind_node_is_ready_and_runs_kubernetes_1_32(kind_cluster: LabCluster) -> None:
    with kind_cluster.api_client() as api:
        version = k8s.VersionApi(api).get_code()
        assert (version.major, version.minor.rstrip("+")) == ("1", "33")
        nodes = k8s.CoreV1Api(api).list_node().items
    assert len(nodes) == 1
    ready = {c.type: c.status for c in nodes[0].status.conditions}
    assert ready["Ready"] == "True"


def test_kubectl_talks_to_the_kind_cluster(kind_cluster: LabCluster) -> None:
    assert isinstance(kind_cluster, KindLabCluster)
    out = kind_cluster.kubectl("get", "namespace", "kube-system", "-o", "name")
    assert out.strip() == "namespace/kube-system"


def test_workshop_up_and_down_with_kind(tmp_path: Path) -> None:
    reason = kind_unavailable_reason()
    if reason:
        pytest.skip(f"kind cluster unavailable: {reason}")
    env = {**os.environ, "WORKSHOP_HOME": str(tmp_path)}

    def workshop(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workshop", *args], capture_output=True, text=True,
                              env=env, timeout=600)

    up = workshop("up", "--cluster", "kind", "--name", "workshop-cli-test")
    try:
        assert up.returncode == 0, up.stderr
        assert up.stdout.strip().splitlines()[-1] == f"export KUBECONFIG={tmp_path / 'kind' / 'kubeconfig'}"
        status = workshop("status")
        assert status.returncode == 0 and "answering (v1.33" in status.stdout
    finally:
        down = workshop("down")
    assert down.returncode == 0, down.stderr
    clusters = subprocess.run(["kind", "get", "clusters"], capture_output=True, text=True).stdout.split()
    assert "workshop-cli-test" not in clusters
