"""Bad request bodies get the 400/422 `Status` a real API server gives, never a 500, and change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

CM = "/api/v1/namespaces/default/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


def deployment(replicas: Any = 1, name: str = "d") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}


def status(r: requests.Response, code: int) -> dict[str, Any]:
    assert r.status_code == code, r.text
    body = r.json()
    assert body["kind"] == "Status" and body["code"] == code
    return dict(body)


def test_wrong_type_of_name_is_refused_and_lists_keep_working(embedded_cluster: Any, http: Any) -> None:
    url = embedded_cluster.url
    body = status(http.post(url + CM, json={"metadata": {"name": 5}}, timeout=5), 400)
    assert body["reason"] == "BadRequest"
    assert body["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal '
                               "number into Go struct field ObjectMeta.metadata.name of type string")
    assert http.get(url + CM, timeout=5).status_code == 200


@pytest.mark.parametrize(("replicas", "what"), [
    ("three", "string"), ("3", "string"), (1e30, "number 1e30"), (2**31, "number 2147483648"),
    (1.5, "number 1.5"), (True, "bool"),
])
def test_deployment_replicas_of_the_wrong_type_or_range(embedded_cluster: Any, http: Any, replicas: Any,
                                                        what: str) -> None:
    r = http.post(embedded_cluster.url + DEPLOY, json=deployment(replicas), timeout=5)
    assert status(r, 400)["message"] == (
        f'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal {what} into Go '
        "struct field DeploymentSpec.spec.replicas of type int32")
    assert http.get(f"{embedded_cluster.url}{DEPLOY}/d", timeout=5).status_code == 404


def test_replicas_limits_on_update_and_patch(embedded_cluster: Any, http: Any) -> None:
    url = embedded_cluster.url
    assert http.post(url + DEPLOY, json=deployment(1), timeout=5).status_code == 201
    r = http.patch(f"{url}{DEPLOY}/d", json={"spec": {"replicas": 2**31}},
                   headers={"Content-Type": "application/merge-patch+json"}, timeout=5)
    assert "of type int32" in status(r, 400)["message"]
    r = http.patch(f"{url}{DEPLOY}/d", json={"spec": {"template": {"spec": {"containers": 5}}}},
                   headers={"Content-Type": "application/strategic-merge-patch+json"}, timeout=5)
    assert status(r, 400)["message"].endswith(
        "json: cannot unmarshal number into Go struct field PodSpec.spec.template.spec.containers of type "
        "[]v1.Container")
    assert http.get(f"{url}{DEPLOY}/d", timeout=5).json()["spec"]["replicas"] == 1


def test_owner_references_of_the_wrong_type_store_nothing(embedded_cluster: Any, http: Any) -> None:
    url = embedded_cluster.url
    ns = {"metadata": {"name": "junk"}}
    assert http.post(f"{url}/api/v1/namespaces", json=ns, timeout=5).status_code == 201
    r = http.post(f"{url}/api/v1/namespaces/junk/configmaps",
                  json={"metadata": {"name": "o", "ownerReferences": "x"}}, timeout=5)
    assert status(r, 400)["message"].endswith(
        "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.ownerReferences of type "
        "[]v1.OwnerReference")
    r = http.post(f"{url}/api/v1/namespaces/junk/configmaps",
                  json={"metadata": {"name": "o", "ownerReferences": ["x"]}}, timeout=5)
    assert status(r, 400)["message"].endswith("of type v1.OwnerReference")
    assert http.get(f"{url}/api/v1/namespaces/junk/configmaps/o", timeout=5).status_code == 404
    assert http.delete(f"{url}/api/v1/namespaces/junk", timeout=5).status_code == 200
    embedded_cluster.wait_settled()
    assert http.get(f"{url}/api/v1/namespaces/junk", timeout=5).status_code == 404


def test_null_metadata_wrong_api_version_and_array_spec(embedded_cluster: Any, http: Any) -> None:
    url = embedded_cluster.url
    body = status(http.post(url + CM, json={"metadata": None}, timeout=5), 422)
    assert body["message"] == ('ConfigMap "" is invalid: metadata.name: Required value: name or generateName is '
                               "required")
    body = status(http.post(url + CM, json={"apiVersion": 5, "metadata": {"name": "a"}}, timeout=5), 400)
    assert body["message"] == ("the object provided is unrecognized (must be of type ConfigMap): couldn't get "
                               "version/kind; json parse error: json: cannot unmarshal number into Go struct field "
                               ".apiVersion of type string")
    spec_list = {**deployment(), "spec": []}
    body = status(http.post(url + DEPLOY, json=spec_list, timeout=5), 400)
    assert body["message"].endswith("json: cannot unmarshal array into Go struct field Deployment.spec of type "
                                    "v1.DeploymentSpec")
    created = http.post(url + CM, json={"metadata": {"name": "n", "labels": None}, "data": None}, timeout=5)
    assert created.status_code == 201 and "data" not in created.json()


def test_apply_yaml_with_a_date_key_is_read_as_go_reads_yaml(embedded_cluster: Any, http: Any) -> None:
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dated\ndata:\n  2024-01-01: 2024-01-02\n  1: one\n"
    r = http.patch(f"{embedded_cluster.url}{CM}/dated?fieldManager=me", data=doc,
                   headers={"Content-Type": "application/apply-patch+yaml"}, timeout=5)
    assert r.status_code == 201, r.text
    assert r.json()["data"] == {"2024-01-01": "2024-01-02", "1": "one"}


@pytest.mark.parametrize("opener", ["[", "{\"a\":"])
def test_deeply_nested_json_is_a_bad_request(embedded_cluster: Any, http: Any, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    deep = opener * 25000 + "1" + closer * 25000
    data = '{"metadata":{"name":"z"},"data":' + deep + "}"
    r = http.post(embedded_cluster.url + CM, data=data, headers={"Content-Type": "application/json"}, timeout=10)
    body = status(r, 400)
    assert body["message"] == ("the object provided is unrecognized (must be of type ConfigMap): couldn't get "
                               f"version/kind; json parse error: invalid character '{opener[0]}' exceeded max depth")
    assert json.loads(http.get(embedded_cluster.url + CM + "/z", timeout=5).text)["code"] == 404


def test_every_object_the_cluster_writes_passes_the_typed_decoding(embedded_cluster: Any, http: Any) -> None:
    """No false refusals: what bootstrap and the simulated controllers store decodes as its Go type."""
    import copy

    from workshop.cluster.embedded import typecheck

    url = embedded_cluster.url
    pod_spec = {"securityContext": {"runAsUser": 65534, "fsGroup": 2000},
                "containers": [{"name": "c", "image": "nginx:1.27", "ports": [{"containerPort": 80, "name": "http"}],
                                "resources": {"limits": {"cpu": 1, "memory": "64Mi"}},
                                "readinessProbe": {"httpGet": {"path": "/", "port": "http"}}}]}
    body = deployment(2)
    body["spec"]["template"]["spec"] = pod_spec
    assert http.post(url + DEPLOY, json=body, timeout=5).status_code == 201
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
           "spec": {"template": {"spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "c", "image": "busybox:1.36"}]}}}}
    assert http.post(f"{url}/apis/batch/v1/namespaces/default/jobs", json=job, timeout=5).status_code == 201
    svc = {"metadata": {"name": "svc"}, "spec": {"selector": {"a": "b"}, "ports": [{"port": 80, "targetPort": 8080}]}}
    assert http.post(f"{url}/api/v1/namespaces/default/services", json=svc, timeout=5).status_code == 201
    embedded_cluster.wait_settled()
    store = embedded_cluster.store
    kinds = set()
    for gr, obj in store.all_objects():
        info = store.registry.find(gr[0], store.registry.storage_version(*gr) or "", gr[1])
        assert info is not None
        typecheck.check(info, copy.deepcopy(store.render(info, obj)))
        kinds.add(info.kind)
    assert {"Deployment", "ReplicaSet", "Pod", "Job", "Service", "EndpointSlice", "Namespace"} <= kinds
