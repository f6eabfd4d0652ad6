"""Schema enforcement a real Kubernetes 1.32 API server shows, checked on every lab backend: custom resources
validated, defaulted and pruned by their CRD version's schema and CEL rules, deprecated versions warned about,
and built-in kinds refusing values of the wrong type."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client import ApiClient, ApiException

from tests import waiting
from workshop.cluster.base import LabCluster


@pytest.fixture
def api(lab_cluster: LabCluster) -> Iterator[ApiClient]:
    with lab_cluster.api_client() as client:
        yield client


@pytest.fixture
def ns(api: ApiClient) -> Iterator[str]:
    name = f"crd-{uuid.uuid4().hex[:8]}"
    k8s.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    yield name
    k8s.CoreV1Api(api).delete_namespace(name)


SPEC_SCHEMA = {
    "type": "object", "required": ["url"],
    "x-kubernetes-validations": [{"rule": "self.min <= self.max", "message": "min must not exceed max"}],
    "properties": {
        "url": {"type": "string", "pattern": "^(http|https|ssh)://.*$"},
        "mode": {"type": "string", "enum": ["fast", "slow"], "default": "slow"},
        "min": {"type": "integer", "minimum": 0, "default": 0},
        "max": {"type": "integer", "default": 10},
        "nested": {"type": "object", "default": {}, "properties": {"flag": {"type": "boolean", "default": True}}},
    },
}


@pytest.fixture
def widgets(api: ApiClient) -> Iterator[tuple[str, str]]:
    """A fresh CRD (v1 served and stored, v1beta1 served and deprecated); yields (group, plural)."""
    group = f"c{uuid.uuid4().hex[:8]}.example.com"
    schema = {"openAPIV3Schema": {"type": "object", "properties": {"spec": SPEC_SCHEMA}}}
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": f"widgets.{group}"},
           "spec": {"group": group, "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema},
                                 {"name": "v1beta1", "served": True, "storage": False, "deprecated": True,
                                  "schema": schema}]}}
    ext = k8s.ApiextensionsV1Api(api)
    ext.create_custom_resource_definition(crd)

    def established() -> bool:
        conds = ext.read_custom_resource_definition(f"widgets.{group}").status.conditions or []
        return any(c.type == "Established" and c.status == "True" for c in conds)

    waiting.eventually(established, "the CRD to be Established", 60, interval=0.1)
    waiting.eventually(lambda: k8s.CustomObjectsApi(api).list_cluster_custom_object(group, "v1", "widgets")
                       is not None, "the CRD to be served", 60, interval=0.2, retry_on=(ApiException,))
    yield group, "widgets"
    ext.delete_custom_resource_definition(f"widgets.{group}")


def widget(group: str, version: str = "v1", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": f"{group}/{version}", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"url": "https://example.com", **spec}}


def refused(call: Any) -> dict[str, Any]:
    with pytest.raises(ApiException) as err:
        call()
    return {**json.loads(err.value.body), "http": err.value.status}


def test_schema_violations_are_422_with_field_causes(api: ApiClient, ns: str, widgets: tuple[str, str]) -> None:
    group, plural = widgets
    custom = k8s.CustomObjectsApi(api)
    body = refused(lambda: custom.create_namespaced_custom_object(
        group, "v1", ns, plural, widget(group, url="git@github.com:org/repo", mode="turbo")))
    assert (body["http"], body["reason"]) == (422, "Invalid")
    causes = sorted((c["reason"], c["field"], c["message"]) for c in body["details"]["causes"])
    assert causes == [
        ("FieldValueInvalid", "<nil>", 'Invalid value: "null": some validation rules were not checked because the '
                                       "object was invalid; correct the existing errors to complete validation"),
        ("FieldValueInvalid", "spec.url", 'Invalid value: "git@github.com:org/repo": spec.url in body should match '
                                          "'^(http|https|ssh)://.*$'"),
        ("FieldValueNotSupported", "spec.mode", 'Unsupported value: "turbo": supported values: "fast", "slow"'),
    ]
    body = refused(lambda: custom.create_namespaced_custom_object(group, "v1", ns, plural,
                                                                  {**widget(group), "spec": {}}))
    assert body["details"]["causes"][0]["message"] == "Required value"
    assert body["message"].startswith(f'Widget.{group} "w" is invalid: [spec.url: Required value')


def test_cel_rule_failure_wording(api: ApiClient, ns: str, widgets: tuple[str, str]) -> None:
    group, plural = widgets
    body = refused(lambda: k8s.CustomObjectsApi(api).create_namespaced_custom_object(
        group, "v1", ns, plural, widget(group, min=5, max=1)))
    assert body["message"] == f'Widget.{group} "w" is invalid: spec: Invalid value: "object": min must not exceed max'


def test_defaults_nested_defaults_and_pruning(api: ApiClient, ns: str, widgets: tuple[str, str]) -> None:
    group, plural = widgets
    made = k8s.CustomObjectsApi(api).create_namespaced_custom_object(
        group, "v1", ns, plural, widget(group, unknown="dropped"))
    assert made["spec"] == {"url": "https://example.com", "mode": "slow", "min": 0, "max": 10,
                            "nested": {"flag": True}}


def test_deprecated_version_is_served_with_a_warning(api: ApiClient, ns: str, widgets: tuple[str, str]) -> None:
    group, plural = widgets
    method, url, headers, body, _ = api.param_serialize(
        "POST", f"/apis/{group}/v1beta1/namespaces/{ns}/{plural}", body=widget(group, "v1beta1"),
        header_params={"Accept": "application/json", "Content-Type": "application/json"},
        auth_settings=["BearerToken"])
    response = api.call_api(method, url, header_params=headers, body=body)
    response.read()
    assert response.status == 201
    assert response.headers["Warning"] == f'299 - "{group}/v1beta1 Widget is deprecated; use {group}/v1 Widget"'
    assert json.loads(response.data)["apiVersion"] == f"{group}/v1beta1"


@pytest.mark.parametrize(("replicas", "what"), [("three", "string"), (2**31, "number 2147483648"),
                                                 (1.5, "number 1.5")])
def test_builtin_field_of_the_wrong_type_is_a_400(api: ApiClient, ns: str, replicas: Any, what: str) -> None:
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}}}}
    method, url, headers, data, _ = api.param_serialize(
        "POST", f"/apis/apps/v1/namespaces/{ns}/deployments", body=body,
        header_params={"Accept": "application/json", "Content-Type": "application/json"},
        auth_settings=["BearerToken"])
    response = api.call_api(method, url, header_params=headers, body=data)  # the typed client refuses such bodies
    response.read()
    answer = json.loads(response.data)
    assert (response.status, answer["reason"]) == (400, "BadRequest")
    assert answer["message"] == ('Deployment in version "v1" cannot be handled as a Deployment: json: cannot '
                                 f"unmarshal {what} into Go struct field DeploymentSpec.spec.replicas of type int32")
