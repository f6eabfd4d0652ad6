"""engine.kustomization.unchanged: when a server-side apply provably changes nothing, its dry-run is skipped."""

from __future__ import annotations

import copy
from typing import Any

from engine.kustomization.unchanged import already_applied

DESIRED: dict[str, Any] = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "d",
                                                                              "labels": {"a": "b"}},
                           "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}}
LIVE: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "s", "namespace": "d", "labels": {"a": "b"}, "uid": "u", "resourceVersion": "7",
                 "managedFields": [{"manager": "kustomize-controller", "operation": "Apply", "apiVersion": "v1",
                                    "fieldsType": "FieldsV1", "fieldsV1": {
                                        "f:metadata": {"f:labels": {"f:a": {}}},
                                        "f:spec": {"f:ports": {'k:{"port":80,"protocol":"TCP"}': {
                                            ".": {}, "f:port": {}}}, "f:selector": {"f:app": {}}}}}]},
    "spec": {"selector": {"app": "x"}, "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
             "type": "ClusterIP", "clusterIP": "10.96.0.1"},
}


def live(**changes: Any) -> dict[str, Any]:
    obj = copy.deepcopy(LIVE)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = obj
        for p in parents:
            node = node[p]
        node[leaf] = value
    return obj


def test_live_object_with_defaults_holds_what_would_be_applied() -> None:
    assert already_applied(DESIRED, LIVE, "kustomize-controller")


def test_a_changed_value_or_a_type_change_needs_the_dry_run() -> None:
    assert not already_applied(DESIRED, live(spec__selector={"app": "y"}), "kustomize-controller")
    desired = copy.deepcopy(DESIRED)
    desired["spec"]["ports"][0]["port"] = "80"
    assert not already_applied(desired, LIVE, "kustomize-controller")


def test_a_field_the_manager_owns_but_git_dropped_needs_the_dry_run() -> None:
    desired = copy.deepcopy(DESIRED)
    del desired["metadata"]["labels"]
    assert not already_applied(desired, LIVE, "kustomize-controller")


def test_another_manager_or_no_live_object_needs_the_dry_run() -> None:
    assert not already_applied(DESIRED, None, "kustomize-controller")
    assert not already_applied(DESIRED, LIVE, "kubectl")
    deleting = live(metadata__deletionTimestamp="2026-01-01T00:00:00Z")
    assert not already_applied(DESIRED, deleting, "kustomize-controller")
    extra_item = copy.deepcopy(DESIRED)
    extra_item["spec"]["ports"].append({"port": 81})
    assert not already_applied(extra_item, LIVE, "kustomize-controller")
