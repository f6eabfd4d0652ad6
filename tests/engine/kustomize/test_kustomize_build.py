"""engine.kustomize.build and its CLI on small trees: loading rules, order of work, errors without tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.kustomize import KustomizeError, build
from engine.kustomize.cli import main

ROOT = Path(__file__).resolve().parents[3]
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_namespace_prefix_and_references(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "kustomization.yaml": "namespace: prod\nnamePrefix: p-\nresources: [cm.yaml, pod.yaml]\n",
            "cm.yaml": CM.format(name="settings"),
            "pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec:\n  containers:\n"
            "  - name: a\n    image: nginx\n    envFrom: [{configMapRef: {name: settings}}]\n",
        },
    )
    cm, pod = build(tmp_path)
    assert (cm["metadata"]["name"], cm["metadata"]["namespace"]) == ("p-settings", "prod")
    assert pod["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"] == "p-settings"


def test_symlink_escape_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"outside.yaml": CM.format(name="x"), "build/kustomization.yaml": "resources: [link.yaml]\n"},
    )
    os.symlink(tmp_path / "outside.yaml", tmp_path / "build" / "link.yaml")
    with pytest.raises(KustomizeError, match="is not in or below"):
        build(tmp_path / "build")


def test_two_kustomization_files(tmp_path: Path) -> None:
    write(tmp_path, {"kustomization.yaml": "resources: []\n", "Kustomization": "resources: []\n"})
    with pytest.raises(KustomizeError, match="Found multiple kustomization files"):
        build(tmp_path)


def test_remote_resource_is_a_clear_offline_error(tmp_path: Path) -> None:
    write(tmp_path, {"kustomization.yaml": "resources:\n- https://github.com/example/repo//base?ref=v1\n"})
    with pytest.raises(KustomizeError, match="not supported: this build runs offline"):
        build(tmp_path)


def test_base_cycle(tmp_path: Path) -> None:
    write(
        tmp_path, {"kustomization.yaml": "resources: [sub]\n", "sub/kustomization.yaml": "resources: [..]\n"}
    )
    with pytest.raises(KustomizeError, match="cycle detected"):
        build(tmp_path)


def test_images_override_patch_and_replicas_beat_patch(tmp_path: Path) -> None:
    dep = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  template:\n"
        "    spec:\n      containers: [{name: web, image: nginx:1}]\n"
    )
    patch = (
        "- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n    spec:\n"
        "      replicas: 5\n      template:\n        spec:\n          containers: [{name: web, image: nginx:3}]\n"
    )
    write(
        tmp_path,
        {
            "kustomization.yaml": "resources: [d.yaml]\nimages: [{name: nginx, newTag: '2'}]\n"
            "replicas: [{name: web, count: 2}]\npatches:\n" + patch,
            "d.yaml": dep,
        },
    )
    (d,) = build(tmp_path)
    assert d["spec"]["replicas"] == 2
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"


def test_cli_prints_yaml_and_errors_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"ok/kustomization.yaml": "resources: [cm.yaml]\n", "ok/cm.yaml": CM.format(name="a")})
    write(tmp_path, {"bad/kustomization.yaml": "namPrefix: x\n"})
    assert main(["build", str(tmp_path / "ok")]) == 0
    assert capsys.readouterr().out == "apiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\nmetadata:\n  name: a\n"
    assert main(["build", str(tmp_path / "bad")]) == 1
    err = capsys.readouterr().err
    assert err == 'Error: invalid Kustomization: json: unknown field "namPrefix"\n'


def test_module_entry_point_has_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "engine.kustomize", "build", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("Error: ")


def test_cli_build_fast_path_and_help(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "kustomization.yaml").write_text("configMapGenerator:\n- name: c\n  literals: [a=1]\n")
    assert main(["build", str(tmp_path)]) == 0
    assert "name: c-" in capsys.readouterr().out
    assert main(["build", str(tmp_path / "missing")]) == 1
    assert "must build at directory: not a valid directory" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "build" in capsys.readouterr().out
