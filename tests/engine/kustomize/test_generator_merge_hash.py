"""A generator merged into a base generator keeps the hash suffix only when both layers want one (as kubectl v1.32)."""

from pathlib import Path

import pytest

from engine.kustomize import build

NO_HASH = "  options:\n    disableNameSuffixHash: true\n"


@pytest.mark.parametrize(
    ("base_opts", "overlay_opts", "name"),
    [
        (NO_HASH, "", "c"),
        ("", NO_HASH, "c"),
        ("", "", "c-7gdc49gk6d"),
    ],
)
def test_merged_generator_hash(tmp_path: Path, base_opts: str, overlay_opts: str, name: str) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "overlay").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text(
        "configMapGenerator:\n- name: c\n  literals: [a=1]\n" + base_opts
    )
    (tmp_path / "overlay" / "kustomization.yaml").write_text(
        "resources: [../base]\nconfigMapGenerator:\n- name: c\n  behavior: merge\n  literals: [b=2]\n"
        + overlay_opts
    )
    [cm] = build(tmp_path / "overlay")
    assert cm["metadata"]["name"] == name
    assert cm["data"] == {"a": "1", "b": "2"}
