"""engine.patch's fast field sets, FieldsV1 encoding and merge give exactly what the test oracle gives.

The oracle (fieldset_reference.py) is slow and plain; here both run on objects edited at random.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from engine.patch.errors import PatchError
from engine.patch.schema import is_atomic_map, list_strategy
from workshop.cluster.embedded.fieldpath import decode_fields_v1, encode_fields_v1
from workshop.cluster.embedded.fieldsets import FieldSets, field_sets
from workshop.cluster.embedded.structured import StructuredMerge

from .fieldset_reference import Merge, Walker, from_fields_v1, to_fields_v1


def _deployment() -> dict:
    return {
        "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a", "b"]},
        "spec": {
            "replicas": 2,
            "minReadySeconds": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {},
            "template": {
                "metadata": {"labels": {"app": "web", "tier": "front"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.27",
                            "args": ["--port", "80"],
                            "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
                            "env": [{"name": f"VAR_{k}", "value": str(k)} for k in range(4)],
                            "resources": {"limits": {"cpu": "1"}},
                        },
                        {"name": "sidecar", "image": "busybox", "env": []},
                    ],
                    "volumes": [{"name": "data", "configMap": {"name": "cfg", "items": [{"key": "a"}]}}],
                },
            },
        },
    }


def _custom() -> dict:
    return {"metadata": {"name": "x"}, "spec": {"values": {"a": {"b": [1, 2]}, "c": None}, "list": [{"k": 1}]}}


KINDS = [("apps/v1", "Deployment", _deployment), ("example.com/v1", "Widget", _custom)]


def _nodes(obj: Any, out: list) -> list:
    """Every (container, key-or-index) slot of an object, depth first."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    for key, value in items:
        out.append((obj, key))
        _nodes(value, out)
    return out


def _set(container: Any, key: Any, value: Any) -> None:
    container[key] = value


def _grow(value: Any, rng: random.Random) -> None:
    value[f"new{rng.randrange(3)}"] = rng.choice(["v", 1, {"deep": True}, [], {}])


def _shuffle(value: list, rng: random.Random) -> None:
    value.reverse()
    if rng.random() < 0.3:
        value.append(copy.deepcopy(value[0]))


# (which slots an edit applies to, the edit)
EDITS: list[tuple[Any, Any]] = [
    (lambda c, v: not isinstance(v, (dict, list)), lambda c, k, v, rng: _set(c, k, f"{v}-changed")),
    (lambda c, v: type(v) is int, lambda c, k, v, rng: _set(c, k, float(v))),
    (lambda c, v: isinstance(c, dict), lambda c, k, v, rng: c.pop(k)),
    (lambda c, v: isinstance(v, dict), lambda c, k, v, rng: _grow(v, rng)),
    (lambda c, v: isinstance(v, list) and v, lambda c, k, v, rng: _shuffle(v, rng)),
    (lambda c, v: isinstance(c, dict), lambda c, k, v, rng: _set(c, k, rng.choice([{}, [], "s", {"r": 1}]))),
]


def _mutate(obj: dict, rng: random.Random) -> None:
    """One random edit: change a scalar or its type, drop a field, add one, or reorder/duplicate a list."""
    applies, edit = rng.choice(EDITS)
    slots = [(c, k) for c, k in _nodes(obj, []) if applies(c, c[k])]
    if slots:
        container, key = rng.choice(slots)
        edit(container, key, container[key], rng)


@pytest.mark.parametrize("api_version,kind,make", KINDS)
def test_leaves_and_diff_match_the_oracle_on_random_edits(api_version: str, kind: str, make: Any) -> None:
    walker, sets = Walker(api_version, kind), FieldSets(api_version, kind)
    rng = random.Random(7)
    for _ in range(150):
        before = make()
        after = copy.deepcopy(before)
        for _ in range(rng.randrange(1, 4)):
            _mutate(after, rng)
        try:
            expected_leaves = walker.leaves(after)
        except PatchError as e:
            with pytest.raises(PatchError, match=str(e).replace("[", r"\[").replace("]", r"\]")):
                sets.leaves(after)
            continue
        assert sets.leaves(after) == expected_leaves
        assert sets.diff(before, after) == walker.diff(before, after)
        shared = {**after, "metadata": before["metadata"]}
        assert sets.diff(before, shared) == walker.diff(before, shared)


def test_a_map_list_item_without_its_key_fails_as_the_oracle_does() -> None:
    obj = {"spec": {"template": {"spec": {"containers": [{"image": "nginx"}]}}}}
    with pytest.raises(PatchError) as expected:
        Walker("apps/v1", "Deployment").leaves(obj)
    with pytest.raises(PatchError) as got:
        field_sets("apps/v1", "Deployment").leaves(obj)
    assert str(got.value) == str(expected.value)
    assert ".spec.template.spec.containers[0]" in str(got.value)


def test_item_keys_keep_their_json_type() -> None:
    sets = FieldSets("v1", "Service")
    ports = [{"port": 1, "protocol": "TCP"}, {"port": True, "protocol": "TCP"}, {"port": 1.0, "protocol": "TCP"}]
    leaves = sets.leaves({"spec": {"ports": ports}})
    items = sorted(p[2] for p in leaves if len(p) == 3)
    assert items == [
        'k:{"port":1,"protocol":"TCP"}',
        'k:{"port":1.0,"protocol":"TCP"}',
        'k:{"port":true,"protocol":"TCP"}',
    ]


def test_fields_v1_encoding_and_decoding_match_the_oracle() -> None:
    sets = field_sets("apps/v1", "Deployment")
    paths = set(sets.leaves(_deployment())) | {("f:spec", "f:template"), ("i:3",), ("f:x", "v:\"a\"")}
    encoded = encode_fields_v1(paths)
    assert json.dumps(encoded) == json.dumps(to_fields_v1(paths))
    again = encode_fields_v1(set(paths))
    assert again == encoded and again is not encoded
    again["f:spec"].clear()
    assert encode_fields_v1(paths) == encoded
    assert decode_fields_v1(encoded) == from_fields_v1(encoded) == paths
    with pytest.raises(PatchError, match="fieldsV1 at .spec must be a map"):
        decode_fields_v1({"f:spec": 3})


@pytest.mark.parametrize("api_version,kind,make", KINDS)
def test_merge_matches_the_oracle_on_random_edits(api_version: str, kind: str, make: Any) -> None:
    lookups = (lambda p: list_strategy(api_version, kind, p), lambda p: is_atomic_map(api_version, kind, p))
    reference, fast = Merge(api_version, kind), StructuredMerge(*lookups)
    rng = random.Random(11)
    for _ in range(100):
        live, applied = make(), make()
        _mutate(live, rng)
        _mutate(applied, rng)
        try:
            expected = reference.merge(live, applied)
        except PatchError as e:
            with pytest.raises(PatchError) as got:
                fast.merge(live, applied)
            assert str(got.value) == str(e)
            continue
        got = fast.merge(live, applied)
        assert json.dumps(got) == json.dumps(expected)
        assert not _containers(got) & _containers(applied), "the merge result shares a map or list with applied"


def _containers(obj: Any) -> set[int]:
    """The ids of every map and list in obj."""
    return {id(c[k]) for c, k in _nodes(obj, []) if isinstance(c[k], (dict, list))} | {id(obj)}
