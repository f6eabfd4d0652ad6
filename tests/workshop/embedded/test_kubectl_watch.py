"""`kubectl get -w` streams Table rows as objects change."""

from __future__ import annotations

import os
import subprocess
import time

from kubernetes import client

from .conftest import KUBECTL


def test_get_namespaces_watch_streams_rows(kubectl, embedded_cluster, api):
    assert kubectl("config", "current-context").stdout.strip() == "test"
    proc = subprocess.Popen([KUBECTL, "get", "ns", "-w", "--request-timeout=0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "KUBECONFIG": str(embedded_cluster.kubeconfig_path)})
    try:
        header = proc.stdout.readline().split()
        assert header == ["NAME", "STATUS", "AGE"]
        time.sleep(0.5)
        core = client.CoreV1Api(api)
        core.create_namespace({"metadata": {"name": "streamed"}})
        core.delete_namespace("streamed")
        lines = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line.split())
            if line.startswith("streamed") and "Terminating" in line:
                break
        states = [row[1] for row in lines if row and row[0] == "streamed"]
        assert states[0] == "Active" and "Terminating" in states
    finally:
        proc.terminate()
        proc.wait(timeout=5)
