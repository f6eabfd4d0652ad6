"""Bad input the fuzzer found or the issue names: each must end in KustomizeError with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.kustomize import KustomizeError, build
from engine.kustomize.yamlio import load_documents, load_mapping


def _bomb(depth: int) -> str:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: bomb", "data:"]
    lines.append('  a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]')
    for i in range(1, depth + 1):
        lines.append(f"  a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_before_expanding() -> None:
    with pytest.raises(KustomizeError, match="document contains excessive aliasing") as info:
        load_documents(_bomb(9), source="bomb.yaml")  # 10^10 nodes if expanded
    assert "in File: bomb.yaml" in info.value.message


def test_moderate_aliasing_is_accepted() -> None:
    (doc,) = load_documents(_bomb(2), source="ok.yaml")  # ~1,200 nodes, below go-yaml v3's ratio
    assert len(doc["data"]["a2"]) == 10 and doc["data"]["a2"][0][0] == ["x"] * 10


def test_alias_bomb_in_kustomization_file(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n"
        + "".join(f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 8))
    )
    with pytest.raises(KustomizeError, match="excessive aliasing"):
        build(tmp_path)


def test_kustomization_duplicate_key_keeps_last_value() -> None:
    assert load_mapping("namePrefix: a-\nnamePrefix: b-\n", source="k") == {"namePrefix": "b-"}


def test_resource_duplicate_key_is_an_error() -> None:
    with pytest.raises(KustomizeError, match='mapping key "env" already defined'):
        load_documents("kind: Pod\nenv: 1\nenv: 2\n", source="pod.yaml")


def test_kustomization_yaml11_booleans_are_type_errors(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("namePrefix: yes\n")
    with pytest.raises(
        KustomizeError, match="cannot unmarshal bool into Go struct field Kustomization.namePrefix"
    ):
        build(tmp_path)


def _tree(tmp_path: Path, kustomization: str) -> Path:
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n"
    )
    (tmp_path / "kustomization.yaml").write_text(kustomization)
    return tmp_path


@pytest.mark.parametrize("field_path", ["123", "[data, a]", "{data: a}", "true"])
def test_replacement_file_with_non_string_field_path(tmp_path: Path, field_path: str) -> None:
    (tmp_path / "repl.yaml").write_text(
        f"source:\n  kind: ConfigMap\n  fieldPath: {field_path}\n"
        "targets:\n- select: {kind: ConfigMap}\n  fieldPaths: [metadata.annotations.x]\n"
    )
    _tree(tmp_path, "resources: [cm.yaml]\nreplacements:\n- path: repl.yaml\n")
    with pytest.raises(KustomizeError, match="replacement source: fieldPath must be a string"):
        build(tmp_path)


def test_inline_replacement_with_non_string_field_path(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        "resources: [cm.yaml]\nreplacements:\n- source: {kind: ConfigMap, fieldPath: 5}\n"
        "  targets: [{select: {kind: ConfigMap}, fieldPaths: [data.a]}]\n",
    )
    with pytest.raises(KustomizeError, match="cannot unmarshal number into Go struct field SourceSelector"):
        build(tmp_path)


def test_legacy_string_patches_are_refused(tmp_path: Path) -> None:
    _tree(tmp_path, "resources: [cm.yaml]\npatches:\n- ./cm.yaml\n")
    with pytest.raises(KustomizeError) as info:
        build(tmp_path)
    assert info.value.message == (
        "invalid Kustomization: json: cannot unmarshal string into Go struct field "
        "Kustomization.patches of type types.Patch"
    )
