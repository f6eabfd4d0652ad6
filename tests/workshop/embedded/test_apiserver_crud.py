"""The embedded API server answers /version, discovery and CRUD like a real one (Python client and raw HTTP)."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException


def test_version_and_discovery(embedded_cluster, http):
    url = embedded_cluster.url
    version = http.get(f"{url}/version", timeout=5).json()
    assert (version["major"], version["minor"]) == ("1", "33")
    api = http.get(f"{url}/api", timeout=5).json()
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    groups = {g["name"]: g for g in http.get(f"{url}/apis", timeout=5).json()["groups"]}
    assert groups["apps"]["preferredVersion"]["groupVersion"] == "apps/v1"
    assert "apiextensions.k8s.io" in groups
    core = http.get(f"{url}/api/v1", timeout=5).json()
    by_name = {r["name"]: r for r in core["resources"]}
    assert by_name["configmaps"]["shortNames"] == ["cm"]
    assert by_name["namespaces"]["namespaced"] is False
    assert by_name["pods"]["categories"] == ["all"]
    assert "pods/status" in by_name
    apps = http.get(f"{url}/apis/apps/v1", timeout=5).json()
    scale = next(r for r in apps["resources"] if r["name"] == "deployments/scale")
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")


def test_aggregated_discovery_only_when_asked(embedded_cluster, http):
    accept = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json")
    r = http.get(f"{embedded_cluster.url}/apis", headers={"Accept": accept}, timeout=5)
    assert r.headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    items = {i["metadata"]["name"]: i for i in r.json()["items"]}
    deploy = next(x for x in items["apps"]["versions"][0]["resources"] if x["resource"] == "deployments")
    assert deploy["shortNames"] == ["deploy"] and deploy["scope"] == "Namespaced"
    plain = http.get(f"{embedded_cluster.url}/apis", headers={"Accept": "application/json"}, timeout=5)
    assert plain.json()["kind"] == "APIGroupList"


def test_bootstrap_namespaces(api):
    names = [n.metadata.name for n in client.CoreV1Api(api).list_namespace().items]
    assert {"default", "kube-system", "kube-public"} <= set(names)
    assert names == sorted(names)


def test_configmap_crud_with_typed_client(api):
    core = client.CoreV1Api(api)
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cm1", labels={"app": "demo"}), data={"a": "1"})
    created = core.create_namespaced_config_map("default", body)
    assert created.metadata.uid and created.metadata.resource_version
    assert created.metadata.creation_timestamp is not None
    got = core.read_namespaced_config_map("cm1", "default")
    assert got.data == {"a": "1"} and got.metadata.uid == created.metadata.uid

    got.data["b"] = "2"
    replaced = core.replace_namespaced_config_map("cm1", "default", got)
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)

    stale = got
    stale.data["c"] = "3"
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_config_map("cm1", "default", stale)
    assert exc.value.status == 409
    assert json.loads(exc.value.body)["reason"] == "Conflict"

    items = core.list_namespaced_config_map("default", label_selector="app in (demo,x)").items
    assert [i.metadata.name for i in items] == ["cm1"]
    others = core.list_namespaced_config_map("default", label_selector="app!=demo").items
    assert "cm1" not in [i.metadata.name for i in others]
    assert "kube-root-ca.crt" in [i.metadata.name for i in others]

    core.delete_namespaced_config_map("cm1", "default")
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_config_map("cm1", "default")
    status = json.loads(exc.value.body)
    assert exc.value.status == 404
    assert status["kind"] == "Status" and status["message"] == 'configmaps "cm1" not found'
    assert status["details"] == {"name": "cm1", "kind": "configmaps"}


def test_errors_are_status_objects(api, embedded_cluster, http):
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team")))
    with pytest.raises(ApiException) as exc:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team")))
    assert exc.value.status == 409 and json.loads(exc.value.body)["reason"] == "AlreadyExists"
    assert json.loads(exc.value.body)["message"] == 'namespaces "team" already exists'

    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("nowhere", {"metadata": {"name": "x"}})
    assert exc.value.status == 404
    assert json.loads(exc.value.body)["message"] == 'namespaces "nowhere" not found'

    url = embedded_cluster.url
    r = http.post(f"{url}/api/v1/namespaces/default/configmaps", data=b"{not json",
                  headers={"Content-Type": "application/json"}, timeout=5)
    assert r.status_code == 400 and r.json()["reason"] == "BadRequest" and r.json()["kind"] == "Status"
    r = http.post(f"{url}/api/v1/namespaces/default/configmaps", json={"data": {"a": "1"}}, timeout=5)
    body = r.json()
    assert r.status_code == 422 and body["reason"] == "Invalid"
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    r = http.get(f"{url}/api/v1/namespaces/default/widgets", timeout=5)
    assert r.status_code == 404 and r.json()["message"] == "the server could not find the requested resource"
    r = http.get(f"{url}/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(", timeout=5)
    assert r.status_code == 400


def test_keepalive_survives_error_with_body(embedded_cluster):
    """An early error must still drain the body, or the next request on the connection breaks."""
    with embedded_cluster.http_session() as s:
        url = f"{embedded_cluster.url}/api/v1/namespaces/nowhere/configmaps"
        for _ in range(3):
            r = s.post(url, json={"metadata": {"name": "x"}, "data": {"k": "v" * 1000}}, timeout=5)
            assert r.status_code == 404
            assert s.get(f"{embedded_cluster.url}/version", timeout=5).status_code == 200


def test_generate_name_and_deterministic_uids(embedded_cluster, api):
    core = client.CoreV1Api(api)
    a = core.create_namespaced_config_map("default", {"metadata": {"generateName": "gen-"}})
    assert a.metadata.name.startswith("gen-") and len(a.metadata.name) == len("gen-") + 5
    from workshop.cluster.embedded import EmbeddedCluster

    other = EmbeddedCluster(name="test")
    other.start()
    try:
        with other.api_client() as api2:
            b = client.CoreV1Api(api2).create_namespaced_config_map("default", {"metadata": {"generateName": "gen-"}})
    finally:
        other.stop()
    assert b.metadata.name == a.metadata.name and b.metadata.uid == a.metadata.uid
