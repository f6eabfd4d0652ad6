"""`kubectl create namespace|configmap|secret|deployment` send protobuf bodies; the server decodes them."""

from __future__ import annotations

import base64
import json


def test_imperative_create_commands(kubectl, embedded_cluster):
    assert kubectl("create", "namespace", "team").stdout.strip() == "namespace/team created"
    kubectl("create", "configmap", "cfg", "-n", "team", "--from-literal=a=1", "--from-literal=b=2")
    kubectl("create", "secret", "generic", "pw", "-n", "team", "--from-literal=password=s3cret")
    kubectl("create", "deployment", "web", "-n", "team", "--image=nginx:1.27", "--port=80", "--replicas=2")
    cm = json.loads(kubectl("get", "cm", "cfg", "-n", "team", "-o", "json").stdout)
    assert cm["data"] == {"a": "1", "b": "2"}
    secret = json.loads(kubectl("get", "secret", "pw", "-n", "team", "-o", "json").stdout)
    assert base64.b64decode(secret["data"]["password"]) == b"s3cret" and secret["type"] == "Opaque"
    dep = json.loads(kubectl("get", "deploy", "web", "-n", "team", "-o", "json").stdout)
    assert dep["spec"]["replicas"] == 2 and dep["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert dep["spec"]["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    embedded_cluster.wait_settled()
    assert kubectl("get", "deploy", "web", "-n", "team").stdout.splitlines()[1].split()[1] == "2/2"
    logs = kubectl("logs", "deploy/web", "-n", "team")
    assert "[notice] 1#1: nginx/1.27.0" in logs.stdout
    again = kubectl("create", "namespace", "team", check=False)
    assert again.returncode == 1 and 'namespaces "team" already exists' in again.stderr
