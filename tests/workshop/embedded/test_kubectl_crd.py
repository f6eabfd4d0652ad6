"""CRDs with kubectl and the Python client: served at once, printer columns, explain, strict fields, deletion."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from .manifests import CRD, WIDGET


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def test_crd_lifecycle_with_kubectl(kubectl, tmp_path):
    (tmp_path / "crd.yaml").write_text(CRD)
    (tmp_path / "w.yaml").write_text(WIDGET)
    kubectl("apply", "-f", str(tmp_path / "crd.yaml"))
    assert "condition met" in kubectl("wait", "--for=condition=Established",
                                      "crd/widgets.demo.example.com", "--timeout=10s").stdout
    assert "widget.demo.example.com/w1 created" in kubectl("apply", "-f", str(tmp_path / "w.yaml")).stdout

    rows = _rows(kubectl("get", "widgets", "-A").stdout)
    assert rows[0] == ["NAMESPACE", "NAME", "SIZE", "READY", "AGE"]
    assert rows[1][:3] == ["default", "w1", "3"]
    assert _rows(kubectl("get", "wd", "-o", "wide").stdout)[0] == ["NAME", "SIZE", "READY", "COLOR", "AGE"]
    assert "widget.demo.example.com/w1" in kubectl("get", "all").stdout
    assert "widgets" in kubectl("api-resources", "--api-group=demo.example.com").stdout

    explained = kubectl("explain", "widget.spec").stdout
    assert "What the widget should be." in explained and "size\t<integer> -required-" in explained

    stray = WIDGET.replace("color: red", "color: red, host: x")
    bad = kubectl("apply", "--dry-run=server", "-f", "-", input=stray, check=False)
    assert bad.returncode == 1
    assert 'strict decoding error: unknown field "spec.host"' in bad.stderr

    kubectl("patch", "widget", "w1", "--subresource=status", "--type=merge", "-p",
            '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}')
    assert _rows(kubectl("get", "widget", "w1").stdout)[1][2] == "True"

    kubectl("delete", "crd", "widgets.demo.example.com")
    gone = kubectl("get", "--raw", "/apis/demo.example.com/v1/widgets", check=False)
    assert gone.returncode == 1 and "NotFound" in gone.stderr


def test_crd_with_python_clients(api):
    import yaml

    ext = client.ApiextensionsV1Api(api)
    crd = ext.create_custom_resource_definition(yaml.safe_load(CRD))
    conditions = {c.type: c.status for c in ext.read_custom_resource_definition(crd.metadata.name).status.conditions}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}

    co = client.CustomObjectsApi(api)
    body = yaml.safe_load(WIDGET)
    body["spec"]["unknown"] = "pruned"
    made = co.create_namespaced_custom_object("demo.example.com", "v1", "default", "widgets", body)
    assert made["spec"] == {"size": 3, "color": "red"} and made["metadata"]["generation"] == 1
    made["status"] = {"phase": "ignored on the main resource"}
    patched = co.patch_namespaced_custom_object("demo.example.com", "v1", "default", "widgets", "w1",
                                                {"spec": {"size": 4}, "status": {"phase": "x"}})
    assert patched["spec"]["size"] == 4 and "status" not in patched and patched["metadata"]["generation"] == 2
    with pytest.raises(ApiException) as exc:
        co.replace_namespaced_custom_object("demo.example.com", "v1", "default", "widgets", "w1",
                                            {**body, "metadata": {"name": "w1"}})
    assert exc.value.status == 422 and "must be specified for an update" in json.loads(exc.value.body)["message"]

    ext.delete_custom_resource_definition(crd.metadata.name)
    with pytest.raises(ApiException) as exc:
        co.list_namespaced_custom_object("demo.example.com", "v1", "default", "widgets")
    assert exc.value.status == 404


def test_invalid_crd_is_rejected(api):
    import yaml

    bad = yaml.safe_load(CRD)
    bad["metadata"]["name"] = "wrong.demo.example.com"
    with pytest.raises(ApiException) as exc:
        client.ApiextensionsV1Api(api).create_custom_resource_definition(bad)
    body = json.loads(exc.value.body)
    assert exc.value.status == 422
    assert any(c["field"] == "metadata.name" for c in body["details"]["causes"])
