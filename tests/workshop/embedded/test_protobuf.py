"""Kubernetes protobuf bodies: generic decoding/encoding from the generated schema table, content negotiation,
and malformed bodies answered with a 400 Status."""

from __future__ import annotations

import json

import pytest

from workshop.cluster.embedded import protobuf
from workshop.cluster.embedded.negotiate import choose

PB = protobuf.PROTOBUF


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = protobuf._len(1, api_version.encode()) + protobuf._len(2, kind.encode())
    return protobuf.MAGIC + protobuf._len(1, type_meta) + protobuf._len(2, raw)


DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "team", "labels": {"app": "web"},
                 "creationTimestamp": "2026-01-02T03:04:05Z"},
    "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
             "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{
                              "name": "web", "image": "nginx:1.27", "args": ["-g", "daemon off;"],
                              "ports": [{"containerPort": 80, "protocol": "TCP"}],
                              "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
                              "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                              "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}],
                              "terminationGracePeriodSeconds": 30}}},
}


def test_round_trip_keeps_pointer_zeros_inline_structs_and_special_types():
    body = protobuf.encode(DEPLOYMENT)
    assert body is not None and body.startswith(b"k8s\x00")
    back = protobuf.decode(body, "Deployment")
    spec = back["spec"]
    assert spec["replicas"] == 0  # *int32: an explicit zero survives
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": 1}  # IntOrString
    container = spec["template"]["spec"]["containers"][0]
    assert container["resources"] == {"limits": {"cpu": "500m", "memory": "128Mi"}}  # Quantity map
    assert container["args"] == ["-g", "daemon off;"]
    # Volume.VolumeSource is an embedded struct: its own message on the wire, inlined in JSON
    assert spec["template"]["spec"]["volumes"] == [{"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}]
    assert back["metadata"]["creationTimestamp"] == "2026-01-02T03:04:05Z"
    assert back["metadata"]["labels"] == {"app": "web"}


def test_crd_schema_types_round_trip():
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"plural": "widgets", "kind": "Widget"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "required": ["spec"],
                        "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                                                "properties": {"port": {"x-kubernetes-int-or-string": True},
                                                               "tags": {"type": "array",
                                                                        "items": {"type": "string"}},
                                                               "size": {"type": "integer", "default": 3,
                                                                        "minimum": 1}},
                                                "additionalProperties": False}}}}}]}}
    back = protobuf.decode(protobuf.encode(crd) or b"", "CustomResourceDefinition")
    schema = back["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    spec = schema["properties"]["spec"]
    assert spec["x-kubernetes-preserve-unknown-fields"] is True and spec["additionalProperties"] is False
    assert spec["properties"]["tags"]["items"] == {"type": "string"}
    assert spec["properties"]["size"] == {"type": "integer", "default": 3, "minimum": 1.0}
    assert spec["properties"]["port"] == {"x-kubernetes-int-or-string": True}


def test_go_duration_strings():
    for nanos, text in [(0, "0s"), (1_500_000_000, "1.5s"), (90 * 10**9, "1m30s"), (3600 * 10**9, "1h0m0s"),
                        (500_000_000, "500ms"), (-2 * 10**9, "-2s")]:
        assert protobuf._go_duration(nanos) == text
        assert protobuf._parse_duration(text) == nanos


@pytest.mark.parametrize("raw, message", [
    (protobuf._len(1, protobuf._key(1, 0) + b"\x05"), "proto: wrong wireType = 0 for field name"),
    (protobuf._len(1, protobuf._len(1, b"cm")) + protobuf._key(2, 2) + b"\x7f", "proto: unexpected EOF"),
    (protobuf._key(2, 7), "proto: illegal wireType 7"),
])
def test_malformed_bodies_are_400_statuses(embedded_cluster, http, raw, message):
    r = http.post(f"{embedded_cluster.url}/api/v1/namespaces/default/configmaps",
                  data=envelope("v1", "ConfigMap", raw), headers={"Content-Type": PB}, timeout=5)
    assert r.status_code == 400
    status = r.json()
    assert status["kind"] == "Status" and status["reason"] == "BadRequest"
    assert status["message"] == f"the object provided is unrecognized (must be of type ConfigMap): {message}"


def test_custom_resource_body_in_protobuf_is_415(embedded_cluster, http):
    r = http.post(f"{embedded_cluster.url}/api/v1/namespaces/default/configmaps",
                  data=envelope("example.com/v1", "Widget", b""), headers={"Content-Type": PB}, timeout=5)
    assert r.status_code == 415 and r.json()["reason"] == "UnsupportedMediaType"


def test_protobuf_create_and_delete_options(embedded_cluster, http):
    url = f"{embedded_cluster.url}/api/v1/namespaces/default/secrets"
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dmFsdWU="},
              "type": "Opaque"}
    r = http.post(url, data=protobuf.encode(secret), headers={"Content-Type": PB}, timeout=5)
    assert r.status_code == 201, r.text
    assert r.json()["data"] == {"k": "dmFsdWU="}
    options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background",
               "preconditions": {"uid": "not-the-uid"}}
    r = http.delete(f"{url}/s", data=protobuf.encode(options), headers={"Content-Type": PB}, timeout=5)
    assert r.status_code == 409 and "Precondition failed: UID in precondition: not-the-uid" in r.json()["message"]
    del options["preconditions"]
    r = http.delete(f"{url}/s", data=protobuf.encode(options), headers={"Content-Type": PB}, timeout=5)
    assert r.status_code == 200, r.text


def test_accept_negotiation(embedded_cluster, http):
    url = embedded_cluster.url
    assert choose("application/vnd.kubernetes.protobuf,application/json") == "application/json"
    assert choose("application/vnd.kubernetes.protobuf,application/json", prefer_protobuf=True) == PB
    assert choose("") == "application/json"
    only_pb = http.get(f"{url}/api/v1/namespaces/default", headers={"Accept": PB}, timeout=5)
    assert only_pb.headers["Content-Type"] == PB
    assert protobuf.decode(only_pb.content)["metadata"]["name"] == "default"
    as_yaml = http.get(f"{url}/api/v1/namespaces/default", headers={"Accept": "application/yaml"}, timeout=5)
    assert as_yaml.headers["Content-Type"] == "application/yaml" and "name: default" in as_yaml.text
    odd = http.get(f"{url}/api/v1/namespaces/default", headers={"Accept": "text/csv"}, timeout=5)
    assert odd.status_code == 406
    assert odd.json()["message"] == ("only the following media types are accepted: application/json, "
                                     "application/yaml, application/vnd.kubernetes.protobuf")
    listed = http.get(f"{url}/api/v1/namespaces", headers={"Accept": PB}, timeout=5)
    names = [n["metadata"]["name"] for n in protobuf.decode(listed.content)["items"]]
    assert "kube-system" in names


def test_custom_resources_are_not_served_in_protobuf(embedded_cluster, http, kubectl):
    kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "widgets", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}))
    url = f"{embedded_cluster.url}/apis/example.com/v1/namespaces/default/widgets"
    r = http.get(url, headers={"Accept": PB}, timeout=5)
    assert r.status_code == 406
    assert r.json()["message"] == "only the following media types are accepted: application/json, application/yaml"
    assert http.get(url, headers={"Accept": f"{PB},application/json"}, timeout=5).json()["kind"] == "WidgetList"
