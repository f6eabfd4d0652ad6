"""Server-side apply through the Python clients: create-or-update, ownership, conflicts, force, removal, dry run."""

from __future__ import annotations

import json

import pytest
from kubernetes import client, dynamic
from kubernetes.client.rest import ApiException
from kubernetes.dynamic.exceptions import ConflictError


def _cm(data: dict, labels: dict | None = None) -> dict:
    meta: dict = {"name": "ssa", "namespace": "default"}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


@pytest.fixture
def cms(api):
    return dynamic.DynamicClient(api).resources.get(api_version="v1", kind="ConfigMap")


def test_apply_creates_then_updates_and_removes_dropped_fields(cms):
    created = cms.server_side_apply(_cm({"x": "1", "z": "2"}, {"app": "a", "owner": "me"}), name="ssa",
                                    namespace="default", field_manager="flux")
    entry = created.metadata.managedFields[0]
    assert (entry.manager, entry.operation, entry.fieldsType) == ("flux", "Apply", "FieldsV1")
    assert "f:x" in json.dumps(entry.fieldsV1.to_dict())

    again = cms.server_side_apply(_cm({"x": "1", "z": "2"}, {"app": "a", "owner": "me"}), name="ssa",
                                  namespace="default", field_manager="flux")
    assert again.metadata.resourceVersion == created.metadata.resourceVersion

    updated = cms.server_side_apply(_cm({"x": "1"}, {"app": "a"}), name="ssa", namespace="default",
                                    field_manager="flux")
    assert updated.data.to_dict() == {"x": "1"} and dict(updated.metadata.labels) == {"app": "a"}


def test_conflicts_force_and_shared_ownership(cms):
    cms.server_side_apply(_cm({"x": "1"}), name="ssa", namespace="default", field_manager="flux")
    with pytest.raises(ConflictError) as exc:
        cms.server_side_apply(_cm({"x": "2"}), name="ssa", namespace="default", field_manager="kubectl")
    status = json.loads(exc.value.body)
    assert status["reason"] == "Conflict"
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "flux": .data.x'
    assert status["details"]["causes"][0]["field"] == ".data.x"

    shared = cms.server_side_apply(_cm({"x": "1"}), name="ssa", namespace="default", field_manager="kubectl")
    assert sorted(e.manager for e in shared.metadata.managedFields) == ["flux", "kubectl"]

    forced = cms.server_side_apply(_cm({"x": "3"}), name="ssa", namespace="default", field_manager="kubectl",
                                   force_conflicts=True)
    assert forced.data.x == "3"


def test_dry_run_apply_does_not_store(cms):
    result = cms.server_side_apply(_cm({"x": "1"}), name="ssa", namespace="default", field_manager="flux",
                                   dry_run="All")
    assert result.data.x == "1"
    assert result.metadata.resource_version is None  # nothing was stored: no resourceVersion, as kube-apiserver
    assert "ssa" not in [i.metadata.name for i in cms.get(namespace="default").items]


def test_typed_apply_of_a_deployment_and_field_manager_required(api, embedded_cluster):
    apps = client.AppsV1Api(api)
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
                                                           "env": [{"name": "A", "value": "1"}]}]}}}}
    d = apps.patch_namespaced_deployment("web", "default", body, field_manager="m", force=True,
                                         _content_type="application/apply-patch+yaml")
    assert d.spec.replicas == 2 and d.metadata.generation == 1
    embedded_cluster.wait_settled()
    assert apps.read_namespaced_deployment("web", "default").status.ready_replicas == 2
    with pytest.raises(ApiException) as exc:
        apps.patch_namespaced_deployment("web", "default", body, _content_type="application/apply-patch+yaml")
    assert exc.value.status == 422
    body["spec"]["template"]["spec"]["containers"][0]["host"] = "x"
    with pytest.raises(ApiException) as exc:
        apps.patch_namespaced_deployment("web", "default", body, field_manager="m",
                                         _content_type="application/apply-patch+yaml")
    assert exc.value.status == 400 and "field not declared in schema" in json.loads(exc.value.body)["message"]


def test_update_operations_are_recorded(api):
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("default", {"metadata": {"name": "u"}, "data": {"a": "1"}},
                                      field_manager="creator")
    patched = core.patch_namespaced_config_map("u", "default", {"data": {"b": "2"}}, field_manager="patcher")
    owners = {e.manager: e.operation for e in patched.metadata.managed_fields}
    assert owners == {"creator": "Update", "patcher": "Update"}
