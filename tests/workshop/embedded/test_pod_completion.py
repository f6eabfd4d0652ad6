"""A restartPolicy Never pod that runs a server keeps running (a real one would); one that runs a command
completes."""

from __future__ import annotations


def phase(kubectl, name: str) -> str:
    return kubectl("get", "pod", name, "-o", "jsonpath={.status.phase}").stdout


def test_servers_keep_running_commands_complete(kubectl, embedded_cluster):
    kubectl("run", "server", "--image=python:3.12", "--restart=Never", "--", "python", "-m", "http.server", "8000")
    kubectl("run", "nginx", "--image=nginx:1.27", "--restart=Never", "--", "nginx", "-g", "daemon off;")
    kubectl("run", "waiter", "--image=busybox:1.36", "--restart=Never", "--", "sleep", "infinity")
    kubectl("run", "once", "--image=busybox:1.36", "--restart=Never", "--", "echo", "hi")
    kubectl("run", "fails", "--image=busybox:1.36", "--restart=Never", "--", "sh", "-c", "exit 2")
    embedded_cluster.wait_settled()
    assert [phase(kubectl, n) for n in ("server", "nginx", "waiter", "once", "fails")] == [
        "Running", "Running", "Running", "Succeeded", "Failed"]
