"""Deleting a running pod: Terminating for its grace period as the kubelet stops it (a server stops at once, a
shell or sleep as PID 1 ignores SIGTERM and is killed when the grace period ends); --force removes it now."""

from __future__ import annotations

import json

from kubernetes import client


def test_graceful_deletion(kubectl, embedded_cluster, api):
    kubectl("run", "web", "--image=nginx:1.27")
    kubectl("run", "sleeper", "--image=busybox:1.36", "--", "sleep", "3600")
    embedded_cluster.wait_settled()
    assert kubectl("delete", "pod", "web").stdout.strip() == 'pod "web" deleted'  # waits until it is gone
    kubectl("delete", "pod", "sleeper", "--wait=false")
    embedded_cluster.wait_settled()
    pod = client.CoreV1Api(api).read_namespaced_pod("sleeper", "default")
    assert pod.metadata.deletion_grace_period_seconds == 30 and pod.metadata.deletion_timestamp is not None
    assert kubectl("get", "pod", "sleeper").stdout.split()[-3] == "Terminating"
    embedded_cluster.simulation.clock.advance(31)
    embedded_cluster.simulation.enqueue(("kubelet", "default", "sleeper"))
    embedded_cluster.wait_settled()
    assert kubectl("get", "pods", "-o", "name").stdout == ""
    events = json.loads(kubectl("get", "events", "--field-selector", "reason=Killing", "-o", "json").stdout)
    assert sorted(e["message"] for e in events["items"]) == ["Stopping container sleeper", "Stopping container web"]


def test_force_and_zero_grace_delete_at_once(kubectl, embedded_cluster, api):
    kubectl("run", "s", "--image=busybox:1.36", "--", "sleep", "3600")
    embedded_cluster.wait_settled()
    forced = kubectl("delete", "pod", "s", "--grace-period=0", "--force")
    assert forced.stdout.strip() == 'pod "s" force deleted'
    assert client.CoreV1Api(api).list_namespaced_pod("default").items == []


def test_pending_pods_go_at_once(api, embedded_cluster):
    core = client.CoreV1Api(api)
    embedded_cluster.image_available = lambda image: False
    core.create_namespaced_pod("default", {"metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "c", "image": "example.com/missing:1", "command": ["sleep", "3600"]}]}})
    embedded_cluster.wait_settled()
    core.delete_namespaced_pod("p", "default")
    embedded_cluster.wait_settled()
    assert core.list_namespaced_pod("default").items == []
