"""Cluster behaviour every lab backend must show, written from what a real Kubernetes 1.32 API server does.

Runs against each available backend (`lab_cluster`: the embedded server always, kind where Docker and
kind exist). Only the official Python client is used, as the engine does.
"""

from __future__ import annotations

import ipaddress
import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from kubernetes import client as k8s
from kubernetes import watch
from kubernetes.client import ApiClient, ApiException

from tests import waiting
from workshop.cluster.base import LabCluster

T = TypeVar("T")
APPLY = "application/apply-patch+yaml"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
IMAGE = "registry.k8s.io/pause:3.10"  # preloaded on kind nodes: no registry access needed
WAIT = float(os.environ.get("CONFORMANCE_WAIT", "120"))


def eventually(check: Callable[[], T | None], what: str, timeout: float = WAIT) -> T:
    """Poll check() (API errors count as "not yet") until it is truthy; fail with `what` after timeout."""
    return waiting.eventually(check, what, timeout, interval=0.1, retry_on=(ApiException,))


def api_error(call: Callable[[], Any]) -> ApiException:
    with pytest.raises(ApiException) as err:
        call()
    return err.value


def error_body(exc: ApiException) -> dict[str, Any]:
    return json.loads(exc.body) if exc.body else {}


def raw(api: ApiClient, method: str, path: str, *, accept: str = "application/json", body: Any = None,
        content_type: str = "application/json", query: list[tuple[str, str]] | None = None) -> Any:
    """A request through the client's transport (auth, TLS) with chosen headers; the decoded JSON body."""
    method, url, headers, body, _ = api.param_serialize(
        method, path, query_params=query or [], body=body,
        header_params={"Accept": accept, "Content-Type": content_type}, auth_settings=["BearerToken"],
    )
    response = api.call_api(method, url, header_params=headers, body=body)
    response.read()
    if response.status >= 400:
        raise ApiException(http_resp=response)
    return json.loads(response.data)


@pytest.fixture
def api(lab_cluster: LabCluster) -> Iterator[ApiClient]:
    with lab_cluster.api_client() as client:
        yield client


@pytest.fixture
def ns(api: ApiClient) -> Iterator[str]:
    name = f"conf-{uuid.uuid4().hex[:8]}"
    k8s.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    yield name
    try:
        k8s.CoreV1Api(api).delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:
            raise


def configmap(name: str, data: dict[str, str] | None = None, labels: dict[str, str] | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}},
            "data": data or {}}


def deployment(name: str, replicas: int = 2) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "main", "image": IMAGE}]}},
        },
    }


def managers(obj: Any) -> dict[str, dict]:
    """managedFields as {manager: {operation, apiVersion, fieldsType, fieldsV1}}, from a typed model or a dict."""
    if isinstance(obj, dict):
        return {e["manager"]: e for e in obj["metadata"].get("managedFields") or []}
    return {e.manager: {"operation": e.operation, "apiVersion": e.api_version, "fieldsType": e.fields_type,
                        "fieldsV1": e.fields_v1} for e in obj.metadata.managed_fields or []}


def apply_cm(api: ApiClient, ns: str, body: dict, manager: str, force: bool = False) -> k8s.V1ConfigMap:
    return k8s.CoreV1Api(api).patch_namespaced_config_map(
        body["metadata"]["name"], ns, body, field_manager=manager, force=force, _content_type=APPLY)


# --- namespaces and CRUD ----------------------------------------------------------------------------------

def test_system_namespaces_and_new_namespace_is_active(api: ApiClient, ns: str) -> None:
    core = k8s.CoreV1Api(api)
    names = {n.metadata.name for n in core.list_namespace().items}
    assert {"default", "kube-system", "kube-public", ns} <= names
    created = core.read_namespace(ns)
    assert created.status.phase == "Active"
    assert created.metadata.labels.get("kubernetes.io/metadata.name") == ns


def test_create_in_a_missing_namespace_is_not_found(api: ApiClient) -> None:
    err = api_error(lambda: k8s.CoreV1Api(api).create_namespaced_config_map("no-such-ns", configmap("c")))
    assert err.status == 404
    body = error_body(err)
    assert body["kind"] == "Status" and body["reason"] == "NotFound"
    assert body["message"] == 'namespaces "no-such-ns" not found'


def test_crud_and_optimistic_concurrency(api: ApiClient, ns: str) -> None:
    core = k8s.CoreV1Api(api)
    created = core.create_namespaced_config_map(ns, configmap("settings", {"colour": "blue"}))
    meta = created.metadata
    assert meta.uid and meta.resource_version.isdigit() and meta.creation_timestamp is not None
    assert meta.namespace == ns

    duplicate = api_error(lambda: core.create_namespaced_config_map(ns, configmap("settings")))
    assert duplicate.status == 409 and error_body(duplicate)["reason"] == "AlreadyExists"
    assert error_body(duplicate)["message"] == 'configmaps "settings" already exists'

    created.data["colour"] = "green"
    updated = core.replace_namespaced_config_map("settings", ns, created)
    assert updated.data == {"colour": "green"}
    assert int(updated.metadata.resource_version) > int(meta.resource_version)
    assert updated.metadata.uid == meta.uid

    created.data["colour"] = "red"  # still carries the old resourceVersion
    stale = api_error(lambda: core.replace_namespaced_config_map("settings", ns, created))
    assert stale.status == 409 and error_body(stale)["reason"] == "Conflict"
    assert "the object has been modified" in error_body(stale)["message"]

    same = core.replace_namespaced_config_map("settings", ns, updated)
    assert same.metadata.resource_version == updated.metadata.resource_version, "a no-op update changes nothing"

    core.delete_namespaced_config_map("settings", ns)
    gone = api_error(lambda: core.read_namespaced_config_map("settings", ns))
    assert gone.status == 404 and error_body(gone)["message"] == 'configmaps "settings" not found'


def test_generation_counts_spec_changes_only(api: ApiClient, ns: str) -> None:
    apps = k8s.AppsV1Api(api)
    created = apps.create_namespaced_deployment(ns, deployment("gen", replicas=0))
    assert created.metadata.generation == 1
    labelled = apps.patch_namespaced_deployment("gen", ns, {"metadata": {"labels": {"extra": "yes"}}})
    assert labelled.metadata.generation == 1
    scaled = apps.patch_namespaced_deployment("gen", ns, {"spec": {"replicas": 1}})
    assert scaled.metadata.generation == 2


def test_finalizers_hold_deletion_until_removed(api: ApiClient, ns: str) -> None:
    core = k8s.CoreV1Api(api)
    body = configmap("held")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    core.create_namespaced_config_map(ns, body)
    core.delete_namespaced_config_map("held", ns)
    held = core.read_namespaced_config_map("held", ns)
    assert held.metadata.deletion_timestamp is not None
    assert held.metadata.finalizers == ["example.com/hold"]
    core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}})
    eventually(lambda: api_error(lambda: core.read_namespaced_config_map("held", ns)).status == 404,
               "the ConfigMap to go once its finalizer is removed")


# --- server-side apply ------------------------------------------------------------------------------------

def test_server_side_apply_records_field_ownership(api: ApiClient, ns: str) -> None:
    applied = apply_cm(api, ns, configmap("owned", {"a": "1"}), "alice")
    entry = managers(applied)["alice"]
    assert entry["operation"] == "Apply" and entry["apiVersion"] == "v1" and entry["fieldsType"] == "FieldsV1"
    assert entry["fieldsV1"]["f:data"] == {"f:a": {}}


def test_server_side_apply_conflicts_and_force(api: ApiClient, ns: str) -> None:
    apply_cm(api, ns, configmap("shared", {"a": "1"}), "alice")

    conflict = api_error(lambda: apply_cm(api, ns, configmap("shared", {"a": "2"}), "bob"))
    assert conflict.status == 409 and error_body(conflict)["reason"] == "Conflict"
    message = error_body(conflict)["message"]
    assert 'conflict with "alice"' in message and ".data.a" in message
    assert k8s.CoreV1Api(api).read_namespaced_config_map("shared", ns).data == {"a": "1"}

    same_value = apply_cm(api, ns, configmap("shared", {"a": "1"}), "carol")
    assert {"alice", "carol"} <= set(managers(same_value)), "applying the same value shares ownership"

    forced = apply_cm(api, ns, configmap("shared", {"a": "2"}), "bob", force=True)
    assert forced.data == {"a": "2"}
    owners = managers(forced)
    assert owners["bob"]["fieldsV1"]["f:data"] == {"f:a": {}}
    assert all("f:a" not in json.dumps(owners[m]["fieldsV1"]) for m in ("alice", "carol") if m in owners)


def test_server_side_apply_removes_fields_a_manager_stops_applying(api: ApiClient, ns: str) -> None:
    apply_cm(api, ns, configmap("pruned", {"keep": "1", "drop": "2"}), "alice")
    apply_cm(api, ns, configmap("pruned", {"other": "3"}), "bob")
    result = apply_cm(api, ns, configmap("pruned", {"keep": "1"}), "alice")
    assert result.data == {"keep": "1", "other": "3"}


def test_server_side_apply_conflicts_with_an_update_manager(api: ApiClient, ns: str) -> None:
    core = k8s.CoreV1Api(api)
    apply_cm(api, ns, configmap("drift", {"a": "1"}), "gitops")
    core.patch_namespaced_config_map("drift", ns, {"data": {"a": "edited"}}, field_manager="kubectl-edit")
    edited = core.read_namespaced_config_map("drift", ns)
    assert managers(edited)["kubectl-edit"]["operation"] == "Update"
    conflict = api_error(lambda: apply_cm(api, ns, configmap("drift", {"a": "1"}), "gitops"))
    assert conflict.status == 409 and 'conflict with "kubectl-edit"' in error_body(conflict)["message"]
    assert apply_cm(api, ns, configmap("drift", {"a": "1"}), "gitops", force=True).data == {"a": "1"}


def test_server_side_apply_creates_and_dry_run_changes_nothing(api: ApiClient, ns: str) -> None:
    core = k8s.CoreV1Api(api)
    dry = core.patch_namespaced_config_map("dry", ns, configmap("dry", {"a": "1"}), field_manager="m",
                                           dry_run="All", _content_type=APPLY)
    assert dry.data == {"a": "1"}
    assert api_error(lambda: core.read_namespaced_config_map("dry", ns)).status == 404
    made = apply_cm(api, ns, configmap("dry", {"a": "1"}), "m")
    assert made.metadata.uid and made.metadata.resource_version


# --- workloads ---------------------------------------------------------------------------------------------

def wait_available(api: ApiClient, ns: str, name: str, replicas: int) -> k8s.V1Deployment:
    apps = k8s.AppsV1Api(api)

    def current() -> k8s.V1Deployment | None:
        d = apps.read_namespaced_deployment(name, ns)
        s = d.status
        ok = (s.observed_generation == d.metadata.generation and s.replicas == replicas
              and s.updated_replicas == replicas and s.ready_replicas == replicas
              and s.available_replicas == replicas)
        return d if ok else None

    return eventually(current, f"Deployment {name} to have {replicas} available replicas")


def test_deployment_becomes_available_with_kstatus_fields(api: ApiClient, ns: str) -> None:
    k8s.AppsV1Api(api).patch_namespaced_deployment("web", ns, deployment("web"), field_manager="t",
                                                   _content_type=APPLY)
    ready = wait_available(api, ns, "web", 2)
    conditions = {c.type: c for c in ready.status.conditions}
    assert conditions["Available"].status == "True"
    assert conditions["Available"].reason == "MinimumReplicasAvailable"
    assert conditions["Progressing"].status == "True"
    assert conditions["Progressing"].reason == "NewReplicaSetAvailable"
    assert ready.spec.strategy.type == "RollingUpdate"
    assert ready.spec.strategy.rolling_update.max_surge == "25%"
    assert ready.spec.revision_history_limit == 10 and ready.spec.progress_deadline_seconds == 600

    replica_sets = k8s.AppsV1Api(api).list_namespaced_replica_set(ns, label_selector="app=web").items
    assert len(replica_sets) == 1
    rs = replica_sets[0]
    owner = rs.metadata.owner_references[0]
    assert (owner.kind, owner.name, owner.uid, owner.controller) == ("Deployment", "web", ready.metadata.uid, True)
    template_hash = rs.metadata.labels["pod-template-hash"]
    assert rs.metadata.name == f"web-{template_hash}"
    assert rs.metadata.annotations["deployment.kubernetes.io/revision"] == "1"


def test_pods_run_and_belong_to_their_replicaset(api: ApiClient, ns: str) -> None:
    k8s.AppsV1Api(api).create_namespaced_deployment(ns, deployment("api"))
    wait_available(api, ns, "api", 2)
    pods = eventually(lambda: [p for p in k8s.CoreV1Api(api).list_namespaced_pod(ns, label_selector="app=api").items
                               if p.status.phase == "Running"] or None, "2 running pods")
    assert len(pods) == 2
    rs = k8s.AppsV1Api(api).list_namespaced_replica_set(ns, label_selector="app=api").items[0]
    for pod in pods:
        assert pod.metadata.name.startswith(f"{rs.metadata.name}-")
        assert len(pod.metadata.name) == len(rs.metadata.name) + 6
        owner = pod.metadata.owner_references[0]
        assert (owner.kind, owner.name, owner.controller) == ("ReplicaSet", rs.metadata.name, True)
        assert pod.spec.node_name
        assert ipaddress.ip_address(pod.status.pod_ip)
        ready = {c.type: c.status for c in pod.status.conditions}
        assert ready["Ready"] == "True" and ready["ContainersReady"] == "True"
        assert pod.status.container_statuses[0].ready is True
        assert pod.status.container_statuses[0].state.running is not None
        assert pod.spec.restart_policy == "Always" and pod.spec.dns_policy == "ClusterFirst"


def test_services_get_a_cluster_ip(api: ApiClient, ns: str) -> None:
    core = k8s.CoreV1Api(api)
    kubernetes_svc = core.read_namespaced_service("kubernetes", "default")
    assert ipaddress.ip_address(kubernetes_svc.spec.cluster_ip)
    svc = core.create_namespaced_service(ns, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    })
    assert svc.spec.type == "ClusterIP"
    ip = ipaddress.ip_address(svc.spec.cluster_ip)
    assert svc.spec.cluster_ips == [svc.spec.cluster_ip]
    assert ip != ipaddress.ip_address(kubernetes_svc.spec.cluster_ip)
    port = svc.spec.ports[0]
    assert port.protocol == "TCP" and port.target_port == 80
    assert svc.spec.session_affinity == "None"
    assert svc.spec.ip_families == ["IPv4"] and svc.spec.internal_traffic_policy == "Cluster"


# --- watch and selectors --------------------------------------------------------------------------------

def test_watch_replays_changes_from_a_resource_version(api: ApiClient, ns: str) -> None:
    core = k8s.CoreV1Api(api)
    start = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, configmap("watched", {"v": "1"}, {"watch": "me"}))
    core.create_namespaced_config_map(ns, configmap("ignored", {"v": "1"}))
    core.patch_namespaced_config_map("watched", ns, {"data": {"v": "2"}})
    core.delete_namespaced_config_map("watched", ns)

    events = []
    stream = watch.Watch().stream(core.list_namespaced_config_map, ns, label_selector="watch=me",
                                  resource_version=start, timeout_seconds=5)
    for event in stream:
        events.append((event["type"], event["object"].metadata.name, event["object"].data,
                       int(event["object"].metadata.resource_version)))
        if event["type"] == "DELETED":
            break
    assert [e[:3] for e in events] == [
        ("ADDED", "watched", {"v": "1"}), ("MODIFIED", "watched", {"v": "2"}), ("DELETED", "watched", {"v": "2"}),
    ]
    versions = [e[3] for e in events]
    assert versions == sorted(versions) and len(set(versions)) == 3


def test_watch_without_resource_version_starts_with_current_objects(api: ApiClient, ns: str) -> None:
    core = k8s.CoreV1Api(api)
    core.create_namespaced_config_map(ns, configmap("one"))
    core.create_namespaced_config_map(ns, configmap("two"))
    seen = []
    for event in watch.Watch().stream(core.list_namespaced_config_map, ns, timeout_seconds=2):
        seen.append((event["type"], event["object"].metadata.name))
        if len([s for s in seen if s[1] in ("one", "two")]) == 2:
            break
    assert {("ADDED", "one"), ("ADDED", "two")} <= set(seen)


def test_label_and_field_selectors(api: ApiClient, ns: str) -> None:
    core = k8s.CoreV1Api(api)
    for name, labels in [("web", {"app": "web", "tier": "front"}), ("db", {"app": "db"}), ("bare", {})]:
        core.create_namespaced_config_map(ns, configmap(name, labels=labels))

    def names(selector: str) -> list[str]:
        items = core.list_namespaced_config_map(ns, label_selector=selector).items
        return sorted(i.metadata.name for i in items if i.metadata.name != "kube-root-ca.crt")

    assert names("app=web") == ["web"]
    assert names("app==web") == ["web"]
    assert names("app!=web") == ["bare", "db"], "!= also matches objects without the label"
    assert names("app in (web,db)") == ["db", "web"]
    assert names("app notin (web)") == ["bare", "db"]
    assert names("tier") == ["web"]
    assert names("!tier") == ["bare", "db"]
    assert names("app,tier=front") == ["web"]
    by_name = core.list_namespaced_config_map(ns, field_selector="metadata.name=db").items
    assert [i.metadata.name for i in by_name] == ["db"]
    across = core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={ns}",
                                                     label_selector="app").items
    assert sorted(i.metadata.name for i in across) == ["db", "web"]


# --- deletion -------------------------------------------------------------------------------------------

def test_background_deletion_collects_dependents(api: ApiClient, ns: str) -> None:
    core = k8s.CoreV1Api(api)
    owner = core.create_namespaced_config_map(ns, configmap("owner"))
    dependent = configmap("dependent")
    dependent["metadata"]["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}]
    core.create_namespaced_config_map(ns, dependent)
    core.delete_namespaced_config_map("owner", ns, propagation_policy="Background")
    eventually(lambda: api_error(lambda: core.read_namespaced_config_map("dependent", ns)).status == 404,
               "the garbage collector to delete the dependent ConfigMap")


def test_deleting_a_deployment_cascades_to_replicasets_and_pods(api: ApiClient, ns: str) -> None:
    apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("gone"))
    wait_available(api, ns, "gone", 2)
    apps.delete_namespaced_deployment("gone", ns)
    eventually(lambda: not apps.list_namespaced_replica_set(ns, label_selector="app=gone").items,
               "the Deployment's ReplicaSet to be deleted")
    eventually(lambda: not core.list_namespaced_pod(ns, label_selector="app=gone").items,
               "the Deployment's pods to be deleted")


def test_orphan_deletion_keeps_dependents_and_drops_owner_references(api: ApiClient, ns: str) -> None:
    apps = k8s.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("orphan", replicas=1))
    wait_available(api, ns, "orphan", 1)
    apps.delete_namespaced_deployment("orphan", ns, propagation_policy="Orphan")
    eventually(lambda: api_error(lambda: apps.read_namespaced_deployment("orphan", ns)).status == 404,
               "the Deployment to be deleted")

    def orphaned() -> bool:
        items = apps.list_namespaced_replica_set(ns, label_selector="app=orphan").items
        return len(items) == 1 and not items[0].metadata.owner_references

    eventually(orphaned, "the ReplicaSet to stay, without its owner reference")


def test_namespace_deletion_terminates_then_removes_contents(api: ApiClient) -> None:
    core = k8s.CoreV1Api(api)
    name = f"conf-del-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": name}})
    core.create_namespaced_config_map(name, configmap("inside"))
    response = json.loads(core.delete_namespace(name, _preload_content=False).data)
    assert response["kind"] == "Namespace" and response["status"]["phase"] == "Terminating"
    assert response["metadata"]["deletionTimestamp"]
    assert response["spec"]["finalizers"] == ["kubernetes"]
    try:
        core.create_namespaced_config_map(name, configmap("late"))
    except ApiException as exc:
        if exc.status == 403:
            assert error_body(exc)["reason"] == "Forbidden"
            assert "because it is being terminated" in error_body(exc)["message"]
        else:
            assert exc.status == 404, "after Terminating the namespace may already be gone"
    else:
        pytest.fail("creating in a terminating namespace must be refused")
    eventually(lambda: api_error(lambda: core.read_namespace(name)).status == 404, "the namespace to be removed")
    assert not core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={name}").items


# --- CRDs, status and scale ---------------------------------------------------------------------------------

@pytest.fixture
def widget_crd(api: ApiClient) -> Iterator[tuple[str, str]]:
    group = f"c{uuid.uuid4().hex[:6]}.conformance.example.com"
    ext = k8s.ApiextensionsV1Api(api)
    ext.create_custom_resource_definition({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group, "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList",
                      "shortNames": ["wg"]},
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {"size": {"type": "integer"},
                                                              "replicas": {"type": "integer"}}},
                    "status": {"type": "object", "properties": {
                        "replicas": {"type": "integer"},
                        "conditions": {"type": "array", "items": {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}},
                    }},
                }}},
                "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                         "statusReplicasPath": ".status.replicas"}},
                "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
            }],
        },
    })

    def established() -> bool:
        crd = ext.read_custom_resource_definition(f"widgets.{group}")
        conditions = {c.type: c.status for c in (crd.status.conditions or [])}
        return conditions.get("Established") == "True" and conditions.get("NamesAccepted") == "True"

    eventually(established, "the CRD to be Established")
    yield group, "v1"
    ext.delete_custom_resource_definition(f"widgets.{group}")


def widget(name: str, size: int, replicas: int = 1) -> dict:
    return {"kind": "Widget", "metadata": {"name": name}, "spec": {"size": size, "replicas": replicas}}


def test_crd_is_served_with_printer_columns(api: ApiClient, ns: str, widget_crd: tuple[str, str]) -> None:
    group, version = widget_crd
    resources = eventually(lambda: raw(api, "GET", f"/apis/{group}/{version}")["resources"],
                           "the CRD's group/version in discovery")
    widgets = next(r for r in resources if r["name"] == "widgets")
    assert widgets["kind"] == "Widget" and widgets["namespaced"] is True and widgets["shortNames"] == ["wg"]
    assert {"create", "delete", "get", "list", "patch", "update", "watch"} <= set(widgets["verbs"])
    assert {"widgets/status", "widgets/scale"} <= {r["name"] for r in resources}

    custom = k8s.CustomObjectsApi(api)
    custom.create_namespaced_custom_object(group, version, ns, "widgets",
                                           {"apiVersion": f"{group}/{version}", **widget("small", 3)})
    table = raw(api, "GET", f"/apis/{group}/{version}/namespaces/{ns}/widgets", accept=TABLE)
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    columns = [(c["name"], c["type"]) for c in table["columnDefinitions"]]
    assert columns == [("Name", "string"), ("Size", "integer"), ("Ready", "string"), ("Age", "date")]
    assert table["columnDefinitions"][0]["format"] == "name"
    (row,) = table["rows"]
    assert row["cells"][:3] == ["small", 3, None]
    assert isinstance(row["cells"][3], str) and row["cells"][3]
    assert row["object"]["metadata"]["name"] == "small"


def test_status_subresource_separates_spec_and_status(api: ApiClient, ns: str, widget_crd: tuple[str, str]) -> None:
    group, version = widget_crd
    custom = k8s.CustomObjectsApi(api)
    body = {"apiVersion": f"{group}/{version}", **widget("w", 1), "status": {"replicas": 5}}
    created = custom.create_namespaced_custom_object(group, version, ns, "widgets", body)
    assert "status" not in created or not created["status"], "status is ignored on create"
    assert created["metadata"]["generation"] == 1
    ready = [{"type": "Ready", "status": "True", "reason": "Done", "message": "ok",
              "lastTransitionTime": "2025-01-01T00:00:00Z"}]
    status = custom.patch_namespaced_custom_object_status(
        group, version, ns, "widgets", "w", {"status": {"replicas": 1, "conditions": ready},
                                             "spec": {"size": 99}})
    assert status["status"]["replicas"] == 1 and status["spec"]["size"] == 1, "/status ignores spec"
    assert status["metadata"]["generation"] == 1, "a status change does not bump generation"
    spec = custom.patch_namespaced_custom_object(group, version, ns, "widgets", "w",
                                                 {"spec": {"size": 2}, "status": {"replicas": 7}})
    assert spec["spec"]["size"] == 2 and spec["status"]["replicas"] == 1, "the main resource ignores status"
    assert spec["metadata"]["generation"] == 2
    table = raw(api, "GET", f"/apis/{group}/{version}/namespaces/{ns}/widgets/w", accept=TABLE)
    assert table["rows"][0]["cells"][1:3] == [2, "True"]


def test_scale_subresource_on_deployments_and_custom_resources(api: ApiClient, ns: str,
                                                               widget_crd: tuple[str, str]) -> None:
    apps = k8s.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, deployment("scaled", replicas=1))
    scale = apps.read_namespaced_deployment_scale("scaled", ns)
    assert scale.kind == "Scale" and scale.api_version == "autoscaling/v1"
    assert scale.spec.replicas == 1 and scale.status.selector == "app=scaled"
    apps.patch_namespaced_deployment_scale("scaled", ns, {"spec": {"replicas": 3}})
    scaled = apps.read_namespaced_deployment("scaled", ns)
    assert scaled.spec.replicas == 3 and scaled.metadata.generation == 2
    wait_available(api, ns, "scaled", 3)

    group, version = widget_crd
    custom = k8s.CustomObjectsApi(api)
    custom.create_namespaced_custom_object(group, version, ns, "widgets",
                                           {"apiVersion": f"{group}/{version}", **widget("w", 1, replicas=2)})
    cr_scale = custom.get_namespaced_custom_object_scale(group, version, ns, "widgets", "w")
    assert cr_scale["kind"] == "Scale" and cr_scale["apiVersion"] == "autoscaling/v1"
    assert cr_scale["spec"]["replicas"] == 2
    custom.patch_namespaced_custom_object_scale(group, version, ns, "widgets", "w", {"spec": {"replicas": 4}})
    assert custom.get_namespaced_custom_object(group, version, ns, "widgets", "w")["spec"]["replicas"] == 4


# ---------------------------------------------------------------------------------------------------- protobuf, RBAC

PROTOBUF = "application/vnd.kubernetes.protobuf"


def send(api: ApiClient, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Any:
    """A request with a raw (e.g. protobuf) body through the client's transport; the urllib3 response."""
    method, url, params, _, _ = api.param_serialize(method, path, header_params=headers,
                                                    auth_settings=["BearerToken"])
    response = api.call_api(method, url, header_params=params, body=body)
    response.read()
    return response


def test_protobuf_bodies_and_answers(api: ApiClient, ns: str) -> None:
    from workshop.cluster.embedded import protobuf

    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "pb"}, "data": {"a": "1"}}
    created = send(api, "POST", f"/api/v1/namespaces/{ns}/configmaps", protobuf.encode(cm),
                   {"Content-Type": PROTOBUF, "Accept": "application/json"})
    assert created.status == 201 and json.loads(created.data)["data"] == {"a": "1"}
    answer = send(api, "GET", f"/api/v1/namespaces/{ns}/configmaps/pb", None, {"Accept": PROTOBUF})
    assert answer.getheader("Content-Type") == PROTOBUF
    assert protobuf.decode(answer.data)["data"] == {"a": "1"}
    options = {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"uid": "0000"}}
    conflict = send(api, "DELETE", f"/api/v1/namespaces/{ns}/configmaps/pb", protobuf.encode(options),
                    {"Content-Type": PROTOBUF, "Accept": "application/json"})
    assert conflict.status == 409, "the protobuf DeleteOptions' precondition was read"
    options.pop("preconditions")
    deleted = send(api, "DELETE", f"/api/v1/namespaces/{ns}/configmaps/pb", protobuf.encode(options),
                   {"Content-Type": PROTOBUF, "Accept": "application/json"})
    assert deleted.status == 200
    wrong_wire = protobuf.MAGIC + protobuf._len(1, protobuf._len(1, b"v1") + protobuf._len(2, b"ConfigMap")) + \
        protobuf._len(2, protobuf._len(1, protobuf._key(1, 0) + b"\x05"))
    bad = send(api, "POST", f"/api/v1/namespaces/{ns}/configmaps", wrong_wire,
               {"Content-Type": PROTOBUF, "Accept": "application/json"})
    assert bad.status == 400 and json.loads(bad.data)["kind"] == "Status"


def impersonating(api: ApiClient, user: str) -> ApiClient:
    return ApiClient(api.configuration, header_name="Impersonate-User", header_value=user)


def test_rbac_denies_then_a_binding_allows(api: ApiClient, ns: str) -> None:
    k8s.CoreV1Api(api).create_namespaced_service_account(ns, {"metadata": {"name": "deployer"}})
    user = f"system:serviceaccount:{ns}:deployer"
    with impersonating(api, user) as as_sa:
        denied = api_error(lambda: k8s.CoreV1Api(as_sa).create_namespaced_config_map(ns, configmap("x")))
        assert denied.status == 403
        assert error_body(denied)["message"] == (
            f'configmaps is forbidden: User "{user}" cannot create resource "configmaps" in API group "" in the '
            f'namespace "{ns}"')
        review = k8s.AuthorizationV1Api(as_sa).create_self_subject_access_review(
            {"spec": {"resourceAttributes": {"namespace": ns, "verb": "create", "resource": "configmaps"}}})
        assert review.status.allowed is False
        k8s.RbacAuthorizationV1Api(api).create_namespaced_role_binding(ns, {
            "metadata": {"name": "deployer-edit"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": ns}]})
        eventually(lambda: k8s.CoreV1Api(as_sa).create_namespaced_config_map(ns, configmap("x")),
                   "the ServiceAccount may create ConfigMaps once bound to edit")
        other = api_error(lambda: k8s.CoreV1Api(as_sa).list_namespaced_secret("default"))
        assert error_body(other)["message"] == (
            f'secrets is forbidden: User "{user}" cannot list resource "secrets" in API group "" in the '
            'namespace "default"')
        whoami = k8s.AuthenticationV1Api(as_sa).create_self_subject_review({})
        assert whoami.status.user_info.username == user
        assert set(whoami.status.user_info.groups) == {"system:serviceaccounts", f"system:serviceaccounts:{ns}",
                                                       "system:authenticated"}


def test_service_account_token_authenticates(api: ApiClient, ns: str) -> None:
    import copy

    core = k8s.CoreV1Api(api)
    core.create_namespaced_service_account(ns, {"metadata": {"name": "reader"}})
    token = core.create_namespaced_service_account_token("reader", ns, {"spec": {}}).status.token
    review = k8s.AuthenticationV1Api(api).create_token_review({"spec": {"token": token}})
    assert review.status.authenticated is True
    assert review.status.user.username == f"system:serviceaccount:{ns}:reader"
    config = copy.copy(api.configuration)
    config.api_key = {"authorization": token}
    config.api_key_prefix = {"authorization": "Bearer"}
    config.cert_file = config.key_file = None
    with ApiClient(config) as as_token:
        denied = api_error(lambda: k8s.CoreV1Api(as_token).list_namespaced_pod(ns))
        assert denied.status == 403 and f'User "system:serviceaccount:{ns}:reader"' in error_body(denied)["message"]
