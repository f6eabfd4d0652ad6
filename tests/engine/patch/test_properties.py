"""Properties that tie the patch kinds together."""

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.patch import apply_json_patch, apply_merge_patch, apply_strategic_merge_patch

_key = st.text("abcdef", min_size=1, max_size=3)
_scalar = st.one_of(st.integers(-3, 3), st.text("xyz", max_size=3), st.booleans())
_json = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_key, inner, max_size=3),
    max_leaves=12,
)
_doc = st.dictionaries(_key, _json, max_size=4)
_patch = st.recursive(
    st.one_of(_scalar, st.none(), st.lists(_scalar, max_size=3)),
    lambda inner: st.dictionaries(_key, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(_doc, st.dictionaries(_key, _patch, max_size=4))
def test_strategic_merge_on_a_custom_resource_is_json_merge_patch(doc: dict, patch: dict) -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": doc}
    wrapped = {"spec": patch}
    assert apply_strategic_merge_patch(obj, wrapped) == apply_merge_patch(obj, wrapped)


@settings(max_examples=150, deadline=None)
@given(_doc, st.dictionaries(_key, _patch, max_size=4))
def test_merge_patch_is_idempotent(doc: dict, patch: dict) -> None:
    once = apply_merge_patch(doc, patch)
    assert apply_merge_patch(once, patch) == once


@settings(max_examples=150, deadline=None)
@given(_doc, _key, _json)
def test_json_patch_add_then_remove_restores_a_missing_key(doc: dict, key: str, value: object) -> None:
    doc.pop(key, None)
    path = "/" + key
    added = apply_json_patch(
        doc, [{"op": "add", "path": path, "value": value}, {"op": "test", "path": path, "value": value}]
    )
    assert apply_json_patch(added, [{"op": "remove", "path": path}]) == doc
