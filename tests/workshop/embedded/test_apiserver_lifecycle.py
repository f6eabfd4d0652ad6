"""Object lifecycle rules: status subresource, generation, no-op writes, dry run, finalizers, GC, namespaces."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

DEPLOY = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "d", "labels": {"app": "d"}},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d"}},
             "template": {"metadata": {"labels": {"app": "d"}},
                          "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}},
}


def test_status_subresource_and_generation(api):
    apps = client.AppsV1Api(api)
    body = json.loads(json.dumps(DEPLOY))
    body["status"] = {"replicas": 99}
    d = apps.create_namespaced_deployment("default", body)
    assert d.metadata.generation == 1 and (d.status.replicas or 0) != 99

    labelled = apps.patch_namespaced_deployment("d", "default", {"metadata": {"labels": {"extra": "1"}}})
    assert labelled.metadata.generation == 1
    scaled = apps.patch_namespaced_deployment("d", "default", {"spec": {"replicas": 2}, "status": {"replicas": 7}})
    assert scaled.metadata.generation == 2 and scaled.status.replicas != 7

    status = apps.patch_namespaced_deployment_status("d", "default", {"status": {"observedGeneration": 42},
                                                                          "metadata": {"labels": {"x": "y"}}})
    assert status.status.observed_generation == 42
    assert status.metadata.generation == 2 and "x" not in status.metadata.labels


def test_no_op_write_keeps_resource_version(api):
    core = client.CoreV1Api(api)
    cm = core.create_namespaced_config_map("default", {"metadata": {"name": "same"}, "data": {"a": "1"}})
    again = core.patch_namespaced_config_map("same", "default", {"data": {"a": "1"}})
    assert again.metadata.resource_version == cm.metadata.resource_version


def test_dry_run_never_persists(api):
    core = client.CoreV1Api(api)
    made = core.create_namespaced_config_map("default", {"metadata": {"name": "dry"}}, dry_run="All")
    assert made.metadata.name == "dry" and made.metadata.uid
    with pytest.raises(ApiException):
        core.read_namespaced_config_map("dry", "default")
    core.create_namespaced_config_map("default", {"metadata": {"name": "dry"}, "data": {"a": "1"}})
    core.patch_namespaced_config_map("dry", "default", {"data": {"a": "2"}}, dry_run="All")
    core.delete_namespaced_config_map("dry", "default", dry_run="All")
    assert core.read_namespaced_config_map("dry", "default").data == {"a": "1"}
    with pytest.raises(ApiException) as exc:
        core.delete_namespaced_config_map("dry", "default", dry_run="Some")
    assert exc.value.status == 400


def test_finalizers_hold_deletion_until_removed(api):
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("default", {"metadata": {"name": "held", "finalizers": ["demo/hold"]}})
    core.delete_namespaced_config_map("held", "default")
    held = core.read_namespaced_config_map("held", "default")
    assert held.metadata.deletion_timestamp is not None
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": ["demo/hold", "new"]}})
    assert exc.value.status == 422 and "no new finalizers" in json.loads(exc.value.body)["message"]
    core.patch_namespaced_config_map("held", "default", [{"op": "remove", "path": "/metadata/finalizers"}])
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_config_map("held", "default")
    assert exc.value.status == 404


def _owned(core: client.CoreV1Api, owner: client.V1ConfigMap, name: str) -> None:
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": owner.metadata.name, "uid": owner.metadata.uid}
    core.create_namespaced_config_map("default", {"metadata": {"name": name, "ownerReferences": [ref]}})


def _names(core: client.CoreV1Api) -> set[str]:
    return {c.metadata.name for c in core.list_namespaced_config_map("default").items}


@pytest.mark.parametrize("policy", ["Background", "Foreground", "Orphan"])
def test_owner_reference_garbage_collection(api, policy):
    core = client.CoreV1Api(api)
    owner = core.create_namespaced_config_map("default", {"metadata": {"name": "owner"}})
    _owned(core, owner, "child")
    child = core.read_namespaced_config_map("child", "default")
    _owned(core, child, "grandchild")
    core.delete_namespaced_config_map("owner", "default", propagation_policy=policy)
    left = _names(core) & {"owner", "child", "grandchild"}
    if policy == "Orphan":
        assert left == {"child", "grandchild"}
        assert core.read_namespaced_config_map("child", "default").metadata.owner_references is None
    else:
        assert left == set()


def test_foreground_waits_for_dependents_with_finalizers(api):
    core = client.CoreV1Api(api)
    owner = core.create_namespaced_config_map("default", {"metadata": {"name": "owner"}})
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid,
           "blockOwnerDeletion": True}
    core.create_namespaced_config_map("default", {"metadata": {"name": "dep", "ownerReferences": [ref],
                                                               "finalizers": ["demo/hold"]}})
    core.delete_namespaced_config_map("owner", "default", propagation_policy="Foreground")
    waiting = core.read_namespaced_config_map("owner", "default")
    assert waiting.metadata.finalizers == ["foregroundDeletion"] and waiting.metadata.deletion_timestamp
    core.patch_namespaced_config_map("dep", "default", {"metadata": {"finalizers": None}})
    assert _names(core) & {"owner", "dep"} == set()


def test_dependent_with_another_live_owner_survives(api):
    core = client.CoreV1Api(api)
    a = core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    b = core.create_namespaced_config_map("default", {"metadata": {"name": "b"}})
    refs = [{"apiVersion": "v1", "kind": "ConfigMap", "name": o.metadata.name, "uid": o.metadata.uid}
            for o in (a, b)]
    core.create_namespaced_config_map("default", {"metadata": {"name": "shared", "ownerReferences": refs}})
    core.delete_namespaced_config_map("a", "default")
    shared = core.read_namespaced_config_map("shared", "default")
    assert [r.name for r in shared.metadata.owner_references] == ["b"]


def test_namespace_termination_cascades(api, embedded_cluster):
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "team"}})
    core.create_namespaced_config_map("team", {"metadata": {"name": "plain"}})
    core.create_namespaced_config_map("team", {"metadata": {"name": "held", "finalizers": ["demo/hold"]}})
    client.AppsV1Api(api).create_namespaced_deployment("team", DEPLOY)
    embedded_cluster.wait_settled()
    core.delete_namespace("team")
    ns = core.read_namespace("team")
    assert ns.status.phase == "Terminating" and ns.metadata.deletion_timestamp
    assert [c.metadata.name for c in core.list_namespaced_config_map("team").items] == ["held"]
    assert core.list_namespaced_pod("team").items == []
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("team", {"metadata": {"name": "late"}})
    body = json.loads(exc.value.body)
    assert exc.value.status == 403 and "because it is being terminated" in body["message"]
    core.patch_namespaced_config_map("held", "team", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as exc:
        core.read_namespace("team")
    assert exc.value.status == 404


def test_delete_collection_and_preconditions(api, embedded_cluster, http):
    core = client.CoreV1Api(api)
    for i in range(3):
        core.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}", "labels": {"batch": "1"}}})
    r = http.delete(f"{embedded_cluster.url}/api/v1/namespaces/default/configmaps",
                    params={"labelSelector": "batch=1"}, timeout=5)
    assert r.status_code == 200 and r.json()["kind"] == "ConfigMapList"
    assert [i["metadata"]["name"] for i in r.json()["items"]] == ["c0", "c1", "c2"]
    assert not {"c0", "c1", "c2"} & _names(core)
    cm = core.create_namespaced_config_map("default", {"metadata": {"name": "pre"}})
    with pytest.raises(ApiException) as exc:
        core.delete_namespaced_config_map("pre", "default", body=client.V1DeleteOptions(
            preconditions=client.V1Preconditions(uid="not-" + cm.metadata.uid)))
    assert exc.value.status == 409


def test_pagination_with_limit_and_continue(api, embedded_cluster, http):
    core = client.CoreV1Api(api)
    for i in range(7):
        core.create_namespaced_config_map("default", {"metadata": {"name": f"page-{i}"}})
    names, token = [], None
    while True:
        page = core.list_namespaced_config_map("default", limit=3, _continue=token)
        names += [i.metadata.name for i in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert names == sorted(names) and len(names) == 8  # plus kube-root-ca.crt
    r = http.get(f"{embedded_cluster.url}/api/v1/configmaps", params={"limit": "1", "continue": "%%%"},
                 timeout=5)
    assert r.status_code == 400


def test_scale_subresource(api, embedded_cluster):
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment("default", DEPLOY)
    scale = apps.read_namespaced_deployment_scale("d", "default")
    assert scale.spec.replicas == 1 and scale.status.selector == "app=d"
    apps.patch_namespaced_deployment_scale("d", "default", {"spec": {"replicas": 3}})
    assert apps.read_namespaced_deployment("d", "default").spec.replicas == 3
    with pytest.raises(ApiException) as exc:
        apps.replace_namespaced_deployment_scale("d", "default", {"spec": {"replicas": -1},
                                                                  "metadata": {"name": "d"}})
    assert exc.value.status == 422
    embedded_cluster.wait_settled()
    assert apps.read_namespaced_deployment("d", "default").status.ready_replicas == 3
