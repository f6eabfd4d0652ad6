from hypothesis import given
from hypothesis import strategies as st

from engine.patch import list_strategy
from engine.patch.fieldpath import Walker, from_fields_v1, path_string, to_fields_v1
from engine.patch.schema import is_atomic_map


def _walker(api_version: str, kind: str) -> Walker:
    return Walker(
        lambda p: list_strategy(api_version, kind, p), lambda p: is_atomic_map(api_version, kind, p)
    )


def test_path_string_matches_kubernetes_conflict_wording() -> None:
    path = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"web"}', "f:image")
    assert path_string(path) == '.spec.template.spec.containers[name="web"].image'
    assert (
        path_string(("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}'))
        == '.spec.ports[port=80,protocol="TCP"]'
    )
    assert path_string(("f:metadata", "f:finalizers", 'v:"a/b"')) == '.metadata.finalizers[="a/b"]'


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
    leaves = _walker("v1", "Pod").leaves(pod)
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
    assert set(_walker("apps/v1", "Deployment").leaves(dep)) == {("f:spec", "f:selector")}


def test_fields_v1_marks_members_with_children_by_dot() -> None:
    item = ("f:spec", "f:containers", 'k:{"name":"c"}')
    encoded = to_fields_v1({item, item + ("f:name",), ("f:spec", "f:replicas")})
    assert encoded == {
        "f:spec": {"f:replicas": {}, "f:containers": {'k:{"name":"c"}': {".": {}, "f:name": {}}}},
    }
    assert list(encoded["f:spec"]) == ["f:containers", "f:replicas"]


_pe = st.one_of(
    st.text("abcxyz.", min_size=1, max_size=4).map(lambda s: "f:" + s),
    st.integers(0, 3).map(lambda i: f'k:{{"name":"n{i}"}}'),
    st.sampled_from(['v:"a"', "v:1"]),
)


@given(st.sets(st.lists(_pe, min_size=1, max_size=4).map(tuple), max_size=12))
def test_fields_v1_round_trip(paths: set[tuple[str, ...]]) -> None:
    assert from_fields_v1(to_fields_v1(paths)) == paths
