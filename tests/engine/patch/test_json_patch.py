import pytest

from engine.patch import PatchError, apply_json_patch


def test_add_remove_replace_with_escapes_and_end_index() -> None:
    obj = {"metadata": {"annotations": {"a/b": "1"}}, "spec": {"items": [1, 2]}}
    out = apply_json_patch(
        obj,
        [
            {"op": "add", "path": "/metadata/annotations/x~1y", "value": "2"},
            {"op": "replace", "path": "/metadata/annotations/a~1b", "value": "3"},
            {"op": "add", "path": "/spec/items/-", "value": 3},
            {"op": "add", "path": "/spec/items/0", "value": 0},
            {"op": "remove", "path": "/spec/items/1"},
            {"op": "add", "path": "/spec/t~0", "value": True},
        ],
    )
    assert out == {
        "metadata": {"annotations": {"a/b": "3", "x/y": "2"}},
        "spec": {"items": [0, 2, 3], "t~": True},
    }
    assert obj["spec"]["items"] == [1, 2]


def test_move_copy_test() -> None:
    out = apply_json_patch(
        {"a": {"b": [1]}, "c": 1},
        [
            {"op": "copy", "from": "/a/b", "path": "/d"},
            {"op": "move", "from": "/c", "path": "/a/c"},
            {"op": "test", "path": "/a/c", "value": 1},
            {"op": "test", "path": "/d", "value": [1]},
        ],
    )
    assert out == {"a": {"b": [1], "c": 1}, "d": [1]}


def test_failed_test_op_message_matches_kustomize() -> None:
    with pytest.raises(PatchError, match=r"^testing value /spec/replicas failed: test failed$"):
        apply_json_patch({"spec": {"replicas": 1}}, [{"op": "test", "path": "/spec/replicas", "value": 3}])


def test_test_op_is_type_strict() -> None:
    with pytest.raises(PatchError):
        apply_json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": "1"}])
    with pytest.raises(PatchError):
        apply_json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": True}])


@pytest.mark.parametrize(
    "ops, fragment",
    [
        ([{"op": "remove", "path": "/missing"}], "/missing"),
        ([{"op": "replace", "path": "/x/y", "value": 1}], "/x"),
        ([{"op": "add", "path": "/a/5", "value": 1}], "out of range"),
        ([{"op": "frobnicate", "path": "/a"}], "frobnicate"),
        ([{"op": "add", "path": "/a/0"}], "missing 'value'"),
        ([{"op": "move", "from": "/a", "path": "/a/0"}], "own child"),
    ],
)
def test_errors_name_the_path(ops: list, fragment: str) -> None:
    with pytest.raises(PatchError, match=fragment):
        apply_json_patch({"a": [1]}, ops)
