"""Server-side apply and field ownership, told as the stories kubectl users and GitOps controllers live through."""

from __future__ import annotations

import copy
import shutil
import subprocess
from typing import Any

import pytest

from workshop.cluster.embedded.ssa import ApplyConflict, record_update, server_side_apply

T0, T1, T2, T3 = (f"2026-01-01T00:0{i}:00Z" for i in range(4))


def deployment(replicas: int = 2, image: str = "nginx:1", **labels: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", **labels}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image, "ports": [{"containerPort": 80}]}]},
            },
        },
    }


def stored(obj: dict, rv: str = "1") -> dict:
    """What the API server keeps: the object plus server-owned metadata."""
    out = copy.deepcopy(obj)
    out["metadata"].update(uid="0b9e", resourceVersion=rv, creationTimestamp=T0, generation=1)
    return out


def entry(obj: dict, manager: str, operation: str = "Apply") -> dict[str, Any]:
    found = [
        e
        for e in obj["metadata"].get("managedFields", [])
        if (e["manager"], e["operation"]) == (manager, operation)
    ]
    assert len(found) == 1, (
        f"expected one {operation} entry for {manager}: {obj['metadata'].get('managedFields')}"
    )
    return found[0]


def managers(obj: dict) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in obj["metadata"].get("managedFields", [])]


def test_create_by_apply_records_fields_v1() -> None:
    out = server_side_apply(None, deployment(), manager="kubectl", now=T0)
    assert out["spec"]["replicas"] == 2
    assert out["metadata"]["managedFields"] == [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "apiVersion": "apps/v1",
            "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {
                            "f:containers": {
                                'k:{"name":"web"}': {
                                    ".": {},
                                    "f:image": {},
                                    "f:name": {},
                                    "f:ports": {
                                        'k:{"containerPort":80,"protocol":"TCP"}': {
                                            ".": {},
                                            "f:containerPort": {},
                                        }
                                    },
                                }
                            }
                        },
                    },
                },
            },
        }
    ]


def test_kubectl_client_side_apply_then_server_side_apply_conflicts_on_replicas() -> None:
    live = stored(record_update(None, deployment(), manager="kubectl-client-side-apply", now=T0))
    with pytest.raises(ApplyConflict) as caught:
        server_side_apply(live, deployment(replicas=3), manager="kubectl", now=T1)
    conflict = caught.value
    assert str(conflict) == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas'
    )
    assert conflict.conflicts == [("kubectl-client-side-apply", ".spec.replicas")]
    assert conflict.causes == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
            "field": ".spec.replicas",
        }
    ]
    status = conflict.status()
    assert (status["code"], status["reason"], status["details"]["causes"][0]["type"]) == (
        409,
        "Conflict",
        "FieldManagerConflict",
    )


def test_applying_the_same_values_shares_ownership_without_conflict() -> None:
    live = stored(record_update(None, deployment(), manager="kubectl-client-side-apply", now=T0))
    out = server_side_apply(live, deployment(), manager="kubectl", now=T1)
    assert managers(out) == [("kubectl", "Apply"), ("kubectl-client-side-apply", "Update")]
    assert "f:replicas" in entry(out, "kubectl-client-side-apply", "Update")["fieldsV1"]["f:spec"]
    assert "f:replicas" in entry(out, "kubectl")["fieldsV1"]["f:spec"]


def test_force_takes_ownership_and_changes_the_value() -> None:
    live = stored(record_update(None, deployment(), manager="kubectl-client-side-apply", now=T0))
    out = server_side_apply(live, deployment(replicas=5), manager="kubectl", force=True, now=T1)
    assert out["spec"]["replicas"] == 5
    assert "f:replicas" not in entry(out, "kubectl-client-side-apply", "Update")["fieldsV1"]["f:spec"]
    assert "f:replicas" in entry(out, "kubectl")["fieldsV1"]["f:spec"]
    assert out["metadata"]["uid"] == "0b9e" and out["metadata"]["resourceVersion"] == "1"


def test_two_managers_own_different_fields_of_one_deployment() -> None:
    live = stored(server_side_apply(None, deployment(), manager="flux", now=T0))
    scaler = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 2},
    }
    live = stored(server_side_apply(live, scaler, manager="hpa", now=T1))
    with pytest.raises(ApplyConflict, match=r'conflict with "flux": \.spec\.replicas'):
        server_side_apply(live, {**scaler, "spec": {"replicas": 7}}, manager="hpa", now=T2)
    flux_without_replicas = deployment()
    del flux_without_replicas["spec"]["replicas"]
    live = stored(server_side_apply(live, flux_without_replicas, manager="flux", now=T2))
    assert live["spec"]["replicas"] == 2, "hpa still owns replicas, so flux dropping it must not remove it"
    out = server_side_apply(live, {**scaler, "spec": {"replicas": 7}}, manager="hpa", now=T3)
    assert out["spec"]["replicas"] == 7
    assert entry(out, "hpa")["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in entry(out, "flux")["fieldsV1"]["f:spec"]


def test_controller_removes_a_label_it_stopped_applying() -> None:
    live = stored(server_side_apply(None, deployment(owner="team-a"), manager="controller", now=T0))
    out = server_side_apply(live, deployment(), manager="controller", now=T1)
    assert out["metadata"]["labels"] == {"app": "web"}
    assert entry(out, "controller")["fieldsV1"]["f:metadata"] == {"f:labels": {"f:app": {}}}


def test_a_field_someone_else_also_owns_is_kept_when_an_applier_drops_it() -> None:
    live = stored(server_side_apply(None, deployment(owner="team-a"), manager="controller", now=T0))
    other = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"owner": "team-a"}},
    }
    live = stored(server_side_apply(live, other, manager="kubectl", now=T1))
    out = server_side_apply(live, deployment(), manager="controller", now=T2)
    assert out["metadata"]["labels"] == {"app": "web", "owner": "team-a"}
    assert entry(out, "controller")["fieldsV1"]["f:metadata"] == {"f:labels": {"f:app": {}}}
    assert entry(out, "kubectl")["fieldsV1"] == {"f:metadata": {"f:labels": {"f:owner": {}}}}


def test_label_map_emptied_by_removal_disappears() -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"a": "1"}},
        "data": {"x": "1"},
    }
    live = stored(server_side_apply(None, cm, manager="m", now=T0))
    out = server_side_apply(live, {**cm, "metadata": {"name": "c"}}, manager="m", now=T1)
    assert "labels" not in out["metadata"]
    assert out["data"] == {"x": "1"}


def test_containers_merge_by_name_and_a_dropped_sidecar_is_removed() -> None:
    live = stored(server_side_apply(None, deployment(), manager="flux", now=T0))
    sidecar = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "proxy", "image": "envoy:1"}]}}},
    }
    live = stored(server_side_apply(live, sidecar, manager="injector", now=T1))
    containers = live["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["web", "proxy"]
    injector = entry(live, "injector")["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert injector == {'k:{"name":"proxy"}': {".": {}, "f:image": {}, "f:name": {}}}
    nothing = {k: v for k, v in sidecar.items() if k != "spec"}
    out = server_side_apply(live, nothing, manager="injector", now=T2)
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["web"]
    assert managers(out) == [("flux", "Apply")]


def test_changing_another_managers_container_image_conflicts_at_the_item_path() -> None:
    live = stored(server_side_apply(None, deployment(), manager="flux", now=T0))
    bump = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 9, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:2"}]}}},
    }
    with pytest.raises(ApplyConflict) as caught:
        server_side_apply(live, bump, manager="bot", now=T1)
    assert str(caught.value) == (
        'Apply failed with 2 conflicts: conflicts with "flux":\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="web"].image'
    )


def test_atomic_lists_are_owned_as_a_whole() -> None:
    dep = deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["args"] = ["--a", "--b"]
    live = stored(server_side_apply(None, dep, manager="flux", now=T0))
    web = entry(live, "flux")["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"][
        'k:{"name":"web"}'
    ]
    assert web["f:args"] == {}
    args = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "args": ["--c"]}]}}},
    }
    with pytest.raises(ApplyConflict, match=r'containers\[name="web"\]\.args'):
        server_side_apply(live, args, manager="other", now=T1)
    out = server_side_apply(live, args, manager="other", force=True, now=T1)
    assert out["spec"]["template"]["spec"]["containers"][0]["args"] == ["--c"]


def test_finalizers_are_a_set_with_value_items() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["a/x", "b"]}}
    out = server_side_apply(None, cm, manager="m", now=T0)
    assert entry(out, "m")["fieldsV1"] == {"f:metadata": {"f:finalizers": {'v:"a/x"': {}, 'v:"b"': {}}}}


def test_service_ports_keyed_by_port_and_protocol() -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 53, "protocol": "UDP"}]},
    }
    out = server_side_apply(None, svc, manager="m", now=T0)
    ports = entry(out, "m")["fieldsV1"]["f:spec"]["f:ports"]
    assert list(ports) == ['k:{"port":53,"protocol":"UDP"}', 'k:{"port":80,"protocol":"TCP"}']


def test_status_is_not_tracked_on_the_main_resource_but_is_on_the_status_subresource() -> None:
    dep = deployment()
    dep["status"] = {"replicas": 5}
    live = stored(server_side_apply(None, dep, manager="m", now=T0))
    assert "status" not in live and "f:status" not in entry(live, "m")["fieldsV1"]
    assert "f:uid" not in entry(live, "m")["fieldsV1"]["f:metadata"]
    status = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "status": {"readyReplicas": 2},
    }
    out = server_side_apply(live, status, manager="controller", subresource="status", now=T1)
    assert out["status"] == {"readyReplicas": 2}
    assert out["spec"] == live["spec"]
    mine = entry(out, "controller")
    assert (mine["subresource"], mine["fieldsV1"]) == ("status", {"f:status": {"f:readyReplicas": {}}})


def test_reapplying_the_same_configuration_is_a_no_op() -> None:
    live = stored(server_side_apply(None, deployment(), manager="flux", now=T0))
    assert server_side_apply(live, deployment(), manager="flux", now=T3) == live


def test_first_apply_to_an_object_without_managed_fields_meets_before_first_apply() -> None:
    live = stored(deployment())
    with pytest.raises(
        ApplyConflict, match='conflict with "before-first-apply" using apps/v1: .spec.replicas'
    ):
        server_side_apply(live, deployment(replicas=4), manager="kubectl", now=T1)


def test_update_takes_changed_fields_from_other_managers() -> None:
    live = stored(server_side_apply(None, deployment(), manager="flux", now=T0))
    edited = copy.deepcopy(live)
    edited["spec"]["replicas"] = 4
    edited["metadata"]["labels"]["edited"] = "yes"
    out = record_update(live, edited, manager="kubectl-edit", now=T1)
    mine = entry(out, "kubectl-edit", "Update")
    assert mine == {
        "manager": "kubectl-edit",
        "operation": "Update",
        "apiVersion": "apps/v1",
        "time": T1,
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {"f:edited": {}}}, "f:spec": {"f:replicas": {}}},
    }
    assert "f:replicas" not in entry(out, "flux")["fieldsV1"]["f:spec"]
    assert live["spec"]["replicas"] == 2, "record_update must not modify its inputs"


def test_update_that_changes_nothing_adds_no_entry() -> None:
    live = stored(server_side_apply(None, deployment(), manager="flux", now=T0))
    assert record_update(live, copy.deepcopy(live), manager="kubectl-label", now=T1) == live


def test_update_removing_a_field_drops_it_from_every_owner() -> None:
    live = stored(server_side_apply(None, deployment(tier="web"), manager="flux", now=T0))
    edited = copy.deepcopy(live)
    del edited["metadata"]["labels"]["tier"]
    out = record_update(live, edited, manager="kubectl-label", now=T1)
    assert managers(out) == [("flux", "Apply")]
    assert entry(out, "flux")["fieldsV1"]["f:metadata"] == {"f:labels": {"f:app": {}}}


def test_explicit_managed_fields_write_is_honoured_and_reset_clears() -> None:
    live = stored(server_side_apply(None, deployment(), manager="flux", now=T0))
    cleaned = copy.deepcopy(live)
    cleaned["metadata"]["managedFields"] = [entry(live, "flux") | {"manager": "kustomize-controller"}]
    out = record_update(live, cleaned, manager="kustomize-controller", now=T1)
    assert managers(out) == [("kustomize-controller", "Apply")]
    reset = copy.deepcopy(live)
    reset["metadata"]["managedFields"] = [{}]
    assert "managedFields" not in record_update(live, reset, manager="x", now=T1)["metadata"]


def test_missing_key_in_an_associative_list_is_a_learner_readable_error() -> None:
    dep = deployment()
    dep["spec"]["template"]["spec"]["containers"].append({"image": "busybox"})
    with pytest.raises(ValueError, match=r"\.spec\.template\.spec\.containers\[1\].*'name'"):
        server_side_apply(None, dep, manager="m", now=T0)


def test_manager_is_required() -> None:
    with pytest.raises(ValueError, match="field manager"):
        server_side_apply(None, deployment(), manager="")


KUBECTL = shutil.which("kubectl")
MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1}]
"""


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_client_side_then_server_side_apply_against_the_embedded_server(
    embedded_cluster: Any,
) -> None:
    def kubectl(*args: str, manifest: str) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        command = [KUBECTL, "--kubeconfig", str(embedded_cluster.kubeconfig_path), *args, "-f", "-"]
        return subprocess.run(command, input=manifest, capture_output=True, text=True, timeout=60)

    assert kubectl("apply", manifest=MANIFEST % 2).returncode == 0
    refused = kubectl("apply", "--server-side", manifest=MANIFEST % 3)
    assert refused.returncode != 0
    assert (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas'
        in refused.stderr
    )
    forced = kubectl("apply", "--server-side", "--force-conflicts", manifest=MANIFEST % 3)
    assert forced.returncode == 0, forced.stderr
    assert "serverside-applied" in forced.stdout
