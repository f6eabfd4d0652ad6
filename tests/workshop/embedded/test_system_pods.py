"""With system pods on, `kubectl get pods -A` on a fresh lab cluster looks like a fresh kind cluster's."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from workshop.cluster.embedded.cluster import EmbeddedCluster


def test_kind_like_kube_system(tmp_path):
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    cluster = EmbeddedCluster("kindlike", workdir=tmp_path / "cluster", system_pods=True)
    cluster.start()
    try:
        cluster.wait_settled()
        env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig_path), "HOME": str(tmp_path)}
        out = subprocess.run(["kubectl", f"--cache-dir={tmp_path}/cache", "get", "pods", "-A", "--no-headers"],
                             capture_output=True, text=True, env=env, timeout=60).stdout
    finally:
        cluster.stop()
    rows = [line.split() for line in out.splitlines()]
    assert all(r[2] == "1/1" and r[3] == "Running" for r in rows)
    names = sorted((r[0], r[1].rsplit("-", 2)[0] if r[1].startswith(("coredns", "local-path")) else
                    r[1].rsplit("-", 1)[0] if r[1].startswith(("kindnet", "kube-proxy")) else r[1]) for r in rows)
    assert names == [("kube-system", "coredns"), ("kube-system", "coredns"),
                     ("kube-system", "etcd-lab-control-plane"), ("kube-system", "kindnet"),
                     ("kube-system", "kube-apiserver-lab-control-plane"),
                     ("kube-system", "kube-controller-manager-lab-control-plane"), ("kube-system", "kube-proxy"),
                     ("kube-system", "kube-scheduler-lab-control-plane"),
                     ("local-path-storage", "local-path-provisioner")]


def test_switched_off(tmp_path):
    cluster = EmbeddedCluster("bare", workdir=tmp_path / "cluster", system_pods=False)
    cluster.start()
    try:
        cluster.wait_settled()
        from workshop.cluster.embedded.simulate.common import PODS

        assert cluster.store.list(PODS, "kube-system") == []
    finally:
        cluster.stop()
