"""kubectl exec/attach/port-forward and the Python client's stream(): validated like kube-apiserver validates
them, then refused as a real server refuses a pod whose kubelet it cannot reach (never a bare 404)."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

DIAL = "error dialing backend: dial tcp 172.18.0.2:10250: connect: connection refused"


@pytest.fixture
def pod(kubectl, embedded_cluster):
    kubectl("run", "web", "--image=nginx:1.27")
    embedded_cluster.wait_settled()
    return "web"


def test_kubectl_exec_attach_port_forward(kubectl, pod):
    exec_ = kubectl("exec", pod, "--", "ls", check=False)
    assert exec_.returncode == 1 and exec_.stderr.startswith(f"Error from server (InternalError): {DIAL} (")
    assert "use a kind cluster" in exec_.stderr
    wrong = kubectl("exec", pod, "-c", "nope", "--", "ls", check=False)
    assert wrong.stderr.strip() == "Error from server (BadRequest): container nope is not valid for pod web"
    attach = kubectl("attach", pod, check=False)
    assert attach.returncode == 1 and DIAL in attach.stderr
    forward = kubectl("port-forward", f"pod/{pod}", "18080:80", check=False)
    assert forward.returncode == 1 and f"error: error upgrading connection: {DIAL}" in forward.stderr
    missing = kubectl("exec", "ghost", "--", "ls", check=False)
    assert 'pods "ghost" not found' in missing.stderr


def test_python_stream_gets_the_status(api, pod):
    core = client.CoreV1Api(api)
    with pytest.raises(ApiException) as err:
        stream(core.connect_get_namespaced_pod_exec, pod, "default", command=["ls"], stdout=True, stderr=True)
    assert "Handshake status 500" in str(err.value) and DIAL in str(err.value)


def test_discovery_lists_the_streaming_subresources(kubectl):
    import json

    resources = json.loads(kubectl("get", "--raw", "/api/v1").stdout)["resources"]
    by_name = {r["name"]: r for r in resources}
    assert by_name["pods/exec"]["kind"] == "PodExecOptions" and by_name["pods/exec"]["verbs"] == ["create", "get"]
    assert by_name["pods/portforward"]["kind"] == "PodPortForwardOptions"
