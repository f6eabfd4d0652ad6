from engine.patch import list_strategy
from engine.patch.schema import is_atomic_map
from workshop.cluster.embedded.structured import StructuredMerge, drop_nulls


def _merger(api_version: str = "v1", kind: str = "Pod") -> StructuredMerge:
    return StructuredMerge(
        lambda p: list_strategy(api_version, kind, p), lambda p: is_atomic_map(api_version, kind, p)
    )


def _containers(*names: str) -> dict:
    return {"spec": {"containers": [{"name": n} for n in names]}}


def _names(obj: dict) -> list[str]:
    return [c["name"] for c in obj["spec"]["containers"]]


def test_live_only_items_keep_their_place_and_applied_items_follow_applied_order() -> None:
    m = _merger()
    assert _names(m.merge(_containers("a", "b", "c"), _containers("c", "d"))) == ["a", "b", "c", "d"]
    assert _names(m.merge(_containers("a", "b", "c"), _containers("d", "a"))) == ["d", "a", "b", "c"]
    assert _names(m.merge(_containers("a", "b"), _containers("b", "a"))) == ["b", "a"]


def test_matching_items_merge_as_maps_and_atomic_lists_are_replaced() -> None:
    live = {
        "spec": {
            "containers": [{"name": "a", "image": "x", "args": ["1", "2"]}],
            "tolerations": [{"key": "t"}],
        }
    }
    applied = {"spec": {"containers": [{"name": "a", "args": ["3"]}], "tolerations": [{"key": "u"}]}}
    assert _merger().merge(live, applied)["spec"] == {
        "containers": [{"name": "a", "image": "x", "args": ["3"]}],
        "tolerations": [{"key": "u"}],
    }


def test_set_lists_union_and_atomic_maps_are_replaced() -> None:
    live = {"metadata": {"finalizers": ["a", "b"]}, "spec": {"selector": {"matchLabels": {"x": "1"}}}}
    applied = {"metadata": {"finalizers": ["c", "a"]}, "spec": {"selector": {"matchLabels": {"y": "2"}}}}
    out = _merger("apps/v1", "Deployment").merge(live, applied)
    assert out["metadata"]["finalizers"] == ["c", "a", "b"]
    assert out["spec"]["selector"] == {"matchLabels": {"y": "2"}}


def test_remove_keeps_items_with_owned_fields_and_their_keys() -> None:
    obj = {"spec": {"containers": [{"name": "a", "image": "x", "tty": True}, {"name": "b"}]}}
    item_a = ("f:spec", "f:containers", 'k:{"name":"a"}')
    item_b = ("f:spec", "f:containers", 'k:{"name":"b"}')
    stale = {item_a, item_a + ("f:name",), item_a + ("f:tty",), item_b, item_b + ("f:name",)}
    _merger().remove(obj, stale, keep={item_a + ("f:image",)})
    assert obj == {"spec": {"containers": [{"name": "a", "image": "x"}]}}


def test_remove_drops_maps_it_empties_but_not_owned_empty_maps() -> None:
    obj = {"metadata": {"name": "p", "labels": {"a": "1"}, "annotations": {}}}
    _merger().remove(obj, {("f:metadata", "f:labels", "f:a")}, keep={("f:metadata", "f:annotations")})
    assert obj == {"metadata": {"name": "p", "annotations": {}}}


def test_drop_nulls() -> None:
    assert drop_nulls({"a": None, "b": [{"c": None, "d": 1}]}) == {"b": [{"d": 1}]}


class _Ordered(set):
    """A set that iterates in sorted order (or reverse sorted order)."""

    reverse = False

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(set.__iter__(self), reverse=self.reverse))


class _Reversed(_Ordered):
    reverse = True


def test_remove_does_not_depend_on_the_order_of_the_paths() -> None:
    item = ("f:spec", "f:volumes", 'k:{"name":{"r":1}}')
    stale = {item, item + ("f:name", "f:r"), item + ("f:configMap", "f:name"), item + ("f:configMap", "f:items")}

    def removed(paths: set) -> dict:
        obj = {"spec": {"volumes": [{"name": {"r": 1}, "configMap": {"name": "cfg", "items": []}}]}}
        _merger().remove(obj, paths, keep={item + ("f:name",)})
        return obj

    assert removed(_Ordered(stale)) == removed(_Reversed(stale))
