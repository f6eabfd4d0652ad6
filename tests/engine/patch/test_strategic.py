import copy

import pytest

from engine.patch import PatchError, apply_strategic_merge_patch, deletes_object, list_strategy


def _pod(**spec: object) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def test_inputs_are_not_modified() -> None:
    obj = _pod(containers=[{"name": "a", "image": "a"}])
    patch = {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}
    before = copy.deepcopy((obj, patch))
    assert apply_strategic_merge_patch(obj, patch)["spec"]["containers"] == []
    assert (obj, patch) == before


def test_custom_resource_lists_are_replaced_and_maps_merged() -> None:
    cr = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"items": [{"name": "a"}], "m": {"x": 1}}}
    out = apply_strategic_merge_patch(cr, {"spec": {"items": [{"name": "b"}], "m": {"y": 2}}})
    assert out["spec"] == {"items": [{"name": "b"}], "m": {"x": 1, "y": 2}}


def test_item_without_merge_key_names_the_list() -> None:
    with pytest.raises(PatchError, match=r"\.spec\.containers\[0\].*merge key 'name'"):
        apply_strategic_merge_patch(_pod(containers=[]), {"spec": {"containers": [{"image": "x"}]}})


def test_delete_item_without_merge_key_is_an_error() -> None:
    with pytest.raises(PatchError, match="merge key 'name'"):
        apply_strategic_merge_patch(
            _pod(containers=[{"name": "a"}]), {"spec": {"containers": [{"$patch": "delete"}]}}
        )


def test_unknown_directive_names_the_path() -> None:
    with pytest.raises(PatchError, match=r"\.spec\.securityContext: unknown patch directive \$patch: 'drop'"):
        apply_strategic_merge_patch(
            _pod(securityContext={"a": 1}), {"spec": {"securityContext": {"$patch": "drop"}}}
        )


def test_nested_merge_uses_item_paths() -> None:
    obj = _pod(containers=[{"name": "a", "env": [{"name": "X", "value": "1"}]}])
    patch = {"spec": {"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]}]}}
    env = apply_strategic_merge_patch(obj, patch)["spec"]["containers"][0]["env"]
    assert env == [{"name": "Y", "value": "2"}, {"name": "X", "value": "1"}]


def test_new_subtrees_are_stored_without_directives_or_nulls() -> None:
    patch = {
        "spec": {
            "containers": [
                {"name": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "$patch": "delete"}]}
            ],
            "securityContext": {"runAsUser": None, "runAsGroup": 1},
        }
    }
    out = apply_strategic_merge_patch(_pod(), patch)
    assert out["spec"] == {
        "containers": [{"name": "a", "env": [{"name": "X", "value": "1"}]}],
        "securityContext": {"runAsGroup": 1},
    }


def test_whole_object_delete() -> None:
    patch = {"$patch": "delete", "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    assert deletes_object(patch)
    assert not deletes_object({"metadata": {}})
    assert apply_strategic_merge_patch(_pod(), patch) == {}


def test_kustomize_flavor_orders_patch_items_first() -> None:
    obj = _pod(containers=[{"name": n} for n in "abc"])
    patch = {"spec": {"containers": [{"name": "c", "image": "c"}, {"name": "d"}]}}
    names = [
        c["name"] for c in apply_strategic_merge_patch(obj, patch, flavor="kustomize")["spec"]["containers"]
    ]
    assert names == ["c", "d", "a", "b"]
    names = [c["name"] for c in apply_strategic_merge_patch(obj, patch)["spec"]["containers"]]
    assert names == ["a", "b", "c", "d"]


def test_kustomize_flavor_keeps_parallel_list_directives_as_data_and_removes_deleted_maps() -> None:
    obj = _pod(containers=[{"name": "a", "resources": {"limits": {"cpu": "1"}}}], hostname="h")
    patch = {
        "spec": {
            "$retainKeys": ["containers"],
            "containers": [{"name": "a", "resources": {"$patch": "delete"}}],
        }
    }
    out = apply_strategic_merge_patch(obj, patch, flavor="kustomize")
    assert out["spec"] == {"$retainKeys": ["containers"], "containers": [{"name": "a"}], "hostname": "h"}
    out = apply_strategic_merge_patch(obj, patch)
    assert out["spec"] == {"containers": [{"name": "a", "resources": {}}]}


def test_schema_lookup() -> None:
    ports = list_strategy("apps/v1", "Deployment", ("spec", "template", "spec", "containers", "ports"))
    assert (ports.type, ports.keys, ports.merge_key) == (
        "map",
        ("containerPort", "protocol"),
        "containerPort",
    )
    assert list_strategy(
        "batch/v1", "CronJob", ("spec", "jobTemplate", "spec", "template", "spec", "volumes")
    ).keys == ("name",)
    assert list_strategy("v1", "Pod", ("metadata", "finalizers")).type == "set"
    assert list_strategy("v1", "Pod", ("spec", "tolerations")).atomic
    assert list_strategy("example.com/v1", "Widget", ("spec", "containers")).atomic
    assert list_strategy("v1", "Pod", ("spec", "nope", "deeper")).atomic
