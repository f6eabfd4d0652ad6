"""`kubectl logs` on simulated pods: deterministic, plausible output with --tail, --since, --timestamps, -c,
--previous and -f, and kube-apiserver's errors."""

from __future__ import annotations

import re

import pytest
from kubernetes import client


@pytest.fixture
def pods(kubectl, embedded_cluster):
    kubectl("create", "deployment", "web", "--image=nginx:1.27")
    kubectl("run", "hello", "--image=busybox:1.36", "--restart=Never", "--", "sh", "-c",
            "echo hello; date; for i in 1 2; do echo tick; done; echo done")
    kubectl("run", "crash", "--image=busybox:1.36", "--", "sh", "-c", "echo boom; exit 3")
    embedded_cluster.wait_settled()


def test_logs_of_servers_and_commands(kubectl, pods):
    web = kubectl("logs", "deploy/web").stdout.splitlines()
    assert web[0] == ("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform "
                      "configuration")
    assert web[10].endswith("[notice] 1#1: nginx/1.27.0")
    assert kubectl("logs", "deploy/web", "--tail=2").stdout.splitlines() == web[-2:]
    hello = kubectl("logs", "hello").stdout.splitlines()
    assert hello[0] == "hello" and re.fullmatch(r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}", hello[1])
    assert hello[2:] == ["tick", "done"]
    stamped = kubectl("logs", "hello", "--timestamps").stdout.splitlines()
    assert stamped[0].endswith("Z hello") and stamped[0][10] == "T"
    assert kubectl("logs", "hello", "--since=1h").stdout.splitlines() == hello
    assert kubectl("logs", "hello", "--tail=0").stdout == ""


def test_previous_and_errors(kubectl, pods):
    assert kubectl("logs", "crash", "--previous").stdout == "boom\n"
    none = kubectl("logs", "hello", "--previous", check=False)
    assert none.stderr.strip() == ('Error from server (BadRequest): previous terminated container "hello" in pod '
                                   '"hello" not found')
    wrong = kubectl("logs", "hello", "-c", "x", check=False)
    assert wrong.stderr.strip() == "error: container x is not valid for pod hello"


def test_waiting_container_has_no_logs_yet(kubectl, embedded_cluster):
    embedded_cluster.image_available = lambda image: False
    kubectl("run", "pending", "--image=example.com/missing:1")
    embedded_cluster.wait_settled()
    waiting = kubectl("logs", "pending", check=False)
    assert waiting.returncode == 1
    assert 'container "pending" in pod "pending" is waiting to start:' in waiting.stderr


def test_follow_streams_then_stays_open(api, pods):
    core = client.CoreV1Api(api)
    name = core.list_namespaced_pod("default", label_selector="app=web").items[0].metadata.name
    resp = core.read_namespaced_pod_log(name, "default", follow=True, tail_lines=1, _preload_content=False)
    try:
        first = next(resp.stream(1024))
        assert first.decode().endswith("[notice] 1#1: start worker process 30\n")
    finally:
        resp.release_conn()
