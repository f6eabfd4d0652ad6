"""Table responses (`as=Table`) carry the columns kubectl prints for each kind."""

from __future__ import annotations

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def _table(cluster, path: str) -> dict:
    with cluster.http_session() as http:
        r = http.get(f"{cluster.url}{path}", headers={"Accept": TABLE}, timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json;as=Table")
    return r.json()


def test_builtin_columns(embedded_cluster):
    cols = {path: [c["name"] for c in _table(embedded_cluster, path)["columnDefinitions"]] for path in (
        "/api/v1/pods", "/apis/apps/v1/deployments", "/api/v1/services", "/api/v1/namespaces",
        "/api/v1/configmaps", "/api/v1/secrets", "/api/v1/events", "/apis/batch/v1/jobs",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "/api/v1/nodes")}
    assert cols["/api/v1/pods"] == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
                                    "Readiness Gates"]
    assert cols["/apis/apps/v1/deployments"][:5] == ["Name", "Ready", "Up-to-date", "Available", "Age"]
    assert cols["/api/v1/services"][:6] == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"]
    assert cols["/api/v1/namespaces"] == ["Name", "Status", "Age"]
    assert cols["/api/v1/configmaps"] == ["Name", "Data", "Age"]
    assert cols["/api/v1/secrets"] == ["Name", "Type", "Data", "Age"]
    assert cols["/api/v1/events"][:5] == ["Last Seen", "Type", "Reason", "Object", "Message"]
    assert cols["/apis/batch/v1/jobs"][:5] == ["Name", "Status", "Completions", "Duration", "Age"]
    assert cols["/apis/apiextensions.k8s.io/v1/customresourcedefinitions"] == ["Name", "Created At"]
    assert cols["/api/v1/nodes"][:5] == ["Name", "Status", "Roles", "Age", "Version"]


def test_rows_carry_metadata_and_cells(embedded_cluster):
    table = _table(embedded_cluster, "/api/v1/services")
    row = next(r for r in table["rows"] if r["cells"][0] == "kubernetes")
    assert row["cells"][1:5] == ["ClusterIP", "10.96.0.1", "<none>", "443/TCP"]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["metadata"]["namespace"] == "default"
    node = _table(embedded_cluster, "/api/v1/nodes")["rows"][0]["cells"]
    assert node[:3] == ["lab-control-plane", "Ready", "control-plane"]
