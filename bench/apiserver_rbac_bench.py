"""RBAC cost on the embedded API server: a GET authorized by RBAC (ServiceAccount token, and an impersonated
ServiceAccount) against the same GET by the lab's cluster-admin user, plus the in-process authorization time."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import kubernetes.client
import kubernetes.config

from bench.apiserver_bench import NAMESPACE, embedded_server, timed


def _bind_view(client: kubernetes.client.ApiClient) -> None:
    core = kubernetes.client.CoreV1Api(client)
    core.create_namespace({"metadata": {"name": NAMESPACE}})
    core.create_namespaced_service_account(NAMESPACE, {"metadata": {"name": "reader"}})
    core.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": "cm"}, "data": {"a": "b"}})
    rbac = kubernetes.client.RbacAuthorizationV1Api(client)
    for i in range(50):  # other tenants' bindings the authorizer has to look past
        rbac.create_namespaced_role_binding(NAMESPACE, {
            "metadata": {"name": f"other-{i}"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [{"kind": "User", "name": f"user-{i}"}]})
    rbac.create_namespaced_role_binding(NAMESPACE, {
        "metadata": {"name": "reader-view"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": NAMESPACE}]})


def in_process_authorization() -> float:
    """Median µs of AuthGate.admit for an RBAC-authorized GET (cache warm), measured in this process."""
    from workshop.cluster.embedded.cluster import EmbeddedCluster
    from workshop.cluster.embedded.rest import Request

    with tempfile.TemporaryDirectory(prefix="apiserver-rbac-") as tmp:
        cluster = EmbeddedCluster("bench", workdir=Path(tmp))
        cluster.start()
        try:
            with cluster.api_client() as client:
                _bind_view(client)
            gate = cluster._http.api.auth  # type: ignore[union-attr]
            headers = {"Impersonate-User": f"system:serviceaccount:{NAMESPACE}:reader"}
            samples = []
            for _ in range(2000):
                req = Request.from_target("GET", f"/api/v1/namespaces/{NAMESPACE}/configmaps/cm", headers)
                start = time.perf_counter()
                gate.admit(req)
                samples.append((time.perf_counter() - start) * 1e6)
            return statistics.median(samples)
        finally:
            cluster.stop()


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="apiserver-rbac-") as tmp, embedded_server(Path(tmp)) as (_, kc):
        admin = kubernetes.config.new_client_from_config(config_file=str(kc))
        _bind_view(admin)
        core = kubernetes.client.CoreV1Api(admin)
        token = core.create_namespaced_service_account_token("reader", NAMESPACE, {"spec": {}}).status.token
        config = kubernetes.client.Configuration.get_default_copy()
        config.host = admin.configuration.host
        config.ssl_ca_cert = admin.configuration.ssl_ca_cert
        config.api_key = {"authorization": token}
        config.api_key_prefix = {"authorization": "Bearer"}
        as_token = kubernetes.client.ApiClient(config)
        as_sa = kubernetes.client.ApiClient(admin.configuration, header_name="Impersonate-User",
                                            header_value=f"system:serviceaccount:{NAMESPACE}:reader")
        admin_get = timed(lambda i: core.read_namespaced_config_map("cm", NAMESPACE), 500)
        token_get = timed(lambda i: kubernetes.client.CoreV1Api(as_token).read_namespaced_config_map(
            "cm", NAMESPACE), 500)
        impersonated_get = timed(lambda i: kubernetes.client.CoreV1Api(as_sa).read_namespaced_config_map(
            "cm", NAMESPACE), 500)
        for c in (as_token, as_sa, admin):
            c.close()
    return [
        {"name": "get configmap p50, cluster-admin", "value": statistics.median(admin_get), "unit": "ms"},
        {"name": "get configmap p50, RBAC-authorized (SA token)", "value": statistics.median(token_get),
         "unit": "ms", "target": 1.0},
        {"name": "get configmap p50, RBAC-authorized (impersonated SA)", "value": statistics.median(impersonated_get),
         "unit": "ms", "target": 1.0},
        {"name": "authorize RBAC GET in-process p50", "value": in_process_authorization(), "unit": "µs"},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
