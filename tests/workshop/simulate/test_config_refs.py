"""A container that reads a missing Secret waits in CreateContainerConfigError and starts once it exists."""

from __future__ import annotations

from typing import Any

import kubernetes

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "default"},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
             "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{
                 "name": "api", "image": "nginx:1.27",
                 "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "database-creds",
                                                                              "key": "password"}}}]}]}}},
}


def _waiting(core: Any) -> list[tuple[str, str]]:
    pods = core.list_namespaced_pod("default", label_selector="app=api").items
    return [(s.state.waiting.reason, s.state.waiting.message) if s.state.waiting else ("Running", "")
            for p in pods for s in p.status.container_statuses or []]


def test_missing_secret_then_created(embedded_cluster: Any) -> None:
    api = embedded_cluster.api_client()
    core = kubernetes.client.CoreV1Api(api)
    kubernetes.client.AppsV1Api(api).create_namespaced_deployment("default", DEPLOYMENT)
    embedded_cluster.wait_settled(10)
    assert _waiting(core) == [("CreateContainerConfigError", 'secret "database-creds" not found')]
    events = core.list_namespaced_event("default").items
    assert any(e.reason == "Failed" and e.message == 'Error: secret "database-creds" not found' for e in events)

    core.create_namespaced_secret("default", {"metadata": {"name": "database-creds"}, "data": {"other": "eA=="}})
    embedded_cluster.wait_settled(10)
    assert _waiting(core) == [("CreateContainerConfigError", "couldn't find key password in Secret default/database-creds")]

    core.patch_namespaced_secret("database-creds", "default", {"stringData": {"password": "s3cret"}})
    secret = core.read_namespaced_secret("database-creds", "default")
    assert secret.data == {"other": "eA==", "password": "czNjcmV0"} and secret.string_data is None
    embedded_cluster.wait_settled(10)
    assert _waiting(core) == [("Running", "")]
    deploy = kubernetes.client.AppsV1Api(api).read_namespaced_deployment("api", "default")
    assert deploy.status.ready_replicas == 1
