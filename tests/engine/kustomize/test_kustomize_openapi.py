"""The openapi field's custom schema: list strategies read from definitions, and when the schema is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.kustomize import KustomizeError
from engine.kustomize.loader import Loader
from engine.kustomize.openapi import OpenApiState
from engine.kustomize.openapi_schema import CustomSchema

SCHEMA = {
    "definitions": {
        "Widget": {
            "x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Widget"}],
            "properties": {"spec": {"$ref": "#/definitions/WidgetSpec"}},
        },
        "WidgetSpec": {
            "properties": {
                "parts": {
                    "type": "array",
                    "items": {"$ref": "#/definitions/Part"},
                    "x-kubernetes-patch-merge-key": "id",
                    "x-kubernetes-patch-strategy": "merge,retainKeys",
                },
                "tags": {"type": "array", "x-kubernetes-patch-strategy": "merge"},
                "notes": {"type": "array"},
            }
        },
        "Part": {"properties": {"bolts": {"type": "array", "x-kubernetes-patch-merge-key": "size"}}},
    }
}


def test_merge_key_follows_refs_and_items() -> None:
    lookup = CustomSchema(SCHEMA, source="s.json").lookup("example.com/v1", "Widget")
    parts = lookup(("spec", "parts"))
    assert parts.smp_merge and parts.merge_key == "id"
    tags = lookup(("spec", "tags"))
    assert tags.smp_merge and tags.merge_key is None
    assert not lookup(("spec", "notes")).smp_merge
    assert not lookup(("spec", "parts", "bolts")).smp_merge  # a merge key without the merge strategy
    assert not lookup(("spec", "missing")).smp_merge


def test_unknown_kind_has_only_atomic_lists() -> None:
    lookup = CustomSchema(SCHEMA, source="s.json").lookup("apps/v1", "Deployment")
    assert not lookup(("spec", "template", "spec", "containers")).smp_merge


def _kust(tmp_path: Path, body: str) -> tuple[OpenApiState, Loader]:
    import json

    from engine.kustomize.kustfile import load_kustomization

    (tmp_path / "schema.json").write_text(json.dumps(SCHEMA))
    (tmp_path / "kustomization.yaml").write_text("resources: []\n" + body)
    ldr = Loader.at(tmp_path)
    state = OpenApiState()
    state.configure(load_kustomization(ldr), ldr, top=True)
    return state, ldr


def test_custom_schema_replaces_builtin_unless_custom_resources_came_first(tmp_path: Path) -> None:
    state, _ = _kust(tmp_path, "openapi:\n  path: schema.json\n")
    assert state.lookup("apps/v1", "Deployment") is not None  # custom only: Deployment lists are atomic
    state = OpenApiState()
    state.note_objects([{"apiVersion": "example.com/v1", "kind": "Widget"}])
    state.custom = CustomSchema(SCHEMA, source="s.json")
    assert state.lookup("apps/v1", "Deployment") is None  # builtin schema loaded before: kept
    assert state.lookup("example.com/v1", "Widget") is not None


def test_version_and_path_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KustomizeError, match="builtin version and custom schema provided, cannot use both"):
        _kust(tmp_path, "openapi:\n  path: schema.json\n  version: v1.21.2\n")


def test_unknown_builtin_version(tmp_path: Path) -> None:
    with pytest.raises(KustomizeError, match="the specified OpenAPI version is not built in"):
        _kust(tmp_path, "openapi:\n  version: v1.14.1\n")


def test_schema_that_is_not_a_map(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("- a\n- b\n")
    with pytest.raises(KustomizeError, match="not an OpenAPI document"):
        _kust(tmp_path, "openapi:\n  path: bad.yaml\n")
