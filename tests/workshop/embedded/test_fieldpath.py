import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.patch import PatchError, list_strategy
from workshop.cluster.embedded.fieldpath import decode_fields_v1, encode_fields_v1, key_pe, path_string
from workshop.cluster.embedded.fieldsets import FieldSets

from .fieldset_reference import to_fields_v1


def test_path_string_matches_kubernetes_conflict_wording() -> None:
    path = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"web"}', "f:image")
    assert path_string(path) == '.spec.template.spec.containers[name="web"].image'
    assert (
        path_string(("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}'))
        == '.spec.ports[port=80,protocol="TCP"]'
    )
    assert path_string(("f:metadata", "f:finalizers", 'v:"a/b"')) == '.metadata.finalizers[="a/b"]'


def test_item_keys_take_defaults_and_missing_keys_name_the_item() -> None:
    ports = list_strategy("v1", "Service", ("spec", "ports"))
    assert key_pe({"port": 80}, ports) == 'k:{"port":80,"protocol":"TCP"}'
    assert key_pe({"protocol": "UDP", "port": 53, "name": "dns"}, ports) == 'k:{"port":53,"protocol":"UDP"}'
    with pytest.raises(PatchError, match=r"^\.spec\.ports\[2\]: list item has no 'port'"):
        key_pe({"name": "web"}, ports, ".spec.ports[2]")


def test_leaves_of_a_pod() -> None:
    pod = {
        "metadata": {"labels": {"app": "x"}, "finalizers": ["f"]},
        "spec": {
            "containers": [
                {"name": "c", "args": ["a"], "env": [{"name": "E", "value": "1"}], "resources": {}}
            ],
            "tolerations": [{"key": "k"}],
        },
    }
    leaves = FieldSets("v1", "Pod").leaves(pod)
    container = ("f:spec", "f:containers", 'k:{"name":"c"}')
    assert set(leaves) == {
        ("f:metadata", "f:labels", "f:app"),
        ("f:metadata", "f:finalizers", 'v:"f"'),
        container,
        container + ("f:name",),
        container + ("f:args",),
        container + ("f:env", 'k:{"name":"E"}'),
        container + ("f:env", 'k:{"name":"E"}', "f:name"),
        container + ("f:env", 'k:{"name":"E"}', "f:value"),
        container + ("f:resources",),
        ("f:spec", "f:tolerations"),
    }
    assert leaves[container + ("f:args",)] == ["a"]


def test_atomic_selector_is_one_leaf() -> None:
    dep = {"spec": {"selector": {"matchLabels": {"app": "x"}}}}
    assert set(FieldSets("apps/v1", "Deployment").leaves(dep)) == {("f:spec", "f:selector")}


def test_diff_names_changed_and_removed_paths_only() -> None:
    before = {"spec": {"replicas": 1, "template": {"metadata": {"labels": {"a": "1", "b": "2"}}}}}
    after = {"spec": {"replicas": 2, "template": {"metadata": {"labels": {"a": "1"}}}, "paused": True}}
    changed, removed = FieldSets("apps/v1", "Deployment").diff(before, after)
    assert changed == {("f:spec", "f:replicas"), ("f:spec", "f:paused")}
    assert removed == {("f:spec", "f:template", "f:metadata", "f:labels", "f:b")}


def test_fields_v1_marks_members_with_children_by_dot() -> None:
    item = ("f:spec", "f:containers", 'k:{"name":"c"}')
    encoded = encode_fields_v1({item, item + ("f:name",), ("f:spec", "f:replicas")})
    assert encoded == {
        "f:spec": {"f:replicas": {}, "f:containers": {'k:{"name":"c"}': {".": {}, "f:name": {}}}},
    }
    assert list(encoded["f:spec"]) == ["f:containers", "f:replicas"]


def test_decoding_names_where_fields_v1_is_not_a_map() -> None:
    with pytest.raises(PatchError, match=r"^fieldsV1 at \.spec\.replicas must be a map, got 3$"):
        decode_fields_v1({"f:spec": {"f:replicas": 3}})
    with pytest.raises(PatchError, match="fieldsV1 at the root must be a map"):
        decode_fields_v1([])  # type: ignore[arg-type]


_pe = st.one_of(
    st.text("abcxyz.", min_size=1, max_size=4).map(lambda s: "f:" + s),
    st.integers(0, 3).map(lambda i: f'k:{{"name":"n{i}"}}'),
    st.sampled_from(['v:"a"', "v:1", "i:0"]),
)


@given(st.sets(st.lists(_pe, min_size=1, max_size=4).map(tuple), max_size=12))
def test_fields_v1_round_trip_and_key_order_match_the_oracle(paths: set[tuple[str, ...]]) -> None:
    encoded = encode_fields_v1(paths)
    assert json.dumps(encoded) == json.dumps(to_fields_v1(paths))
    assert decode_fields_v1(encoded) == paths
