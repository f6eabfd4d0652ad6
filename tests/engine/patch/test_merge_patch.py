import pytest

from engine.patch import PatchError, apply_merge_patch


def test_rfc7386_example() -> None:
    target = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch = {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    }
    assert apply_merge_patch(target, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


def test_input_not_modified() -> None:
    obj = {"a": {"b": 1}}
    apply_merge_patch(obj, {"a": {"b": None, "c": 2}})
    assert obj == {"a": {"b": 1}}


def test_object_replaces_scalar_and_nested_nulls_dropped() -> None:
    assert apply_merge_patch({"a": "x"}, {"a": {"b": None, "c": 1}}) == {"a": {"c": 1}}


def test_non_object_patch_rejected() -> None:
    with pytest.raises(PatchError, match="must be a JSON object"):
        apply_merge_patch({}, ["x"])  # type: ignore[arg-type]
