"""Older Flux API versions: `gitops migrate -f` rewrites them as `flux migrate` does (flux2's own test inputs), and
the cluster's "no matches" error names the current version."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from engine.cli.session import Session
from engine.client import ApiError
from engine.migrate import current_api_version, plan
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import Lab

lab = test_cli_cluster.lab  # the CLI tests' fixture

# flux2 cmd/flux/testdata/migrate/file-system/single-file.yaml and its golden result
SINGLE = ("apiVersion: image.toolkit.fluxcd.io/v1beta1\nkind: ImageRepository\n---\n\n\n\n"
          "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\n\n\n---\n\n"
          "apiVersion: image.toolkit.fluxcd.io/v1/v2\nkind: ImagePolicy\n")
SINGLE_GOLDEN = SINGLE.replace("v1beta1", "v1", 1).replace("io/v1beta2", "io/v1", 1)

TUTORIAL = """\
# from an old tutorial
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: GitRepository
metadata:
  name: podinfo
spec:
  interval: 1m
---
apiVersion: kustomize.toolkit.fluxcd.io/v1beta2 # keep this comment
kind: Kustomization
metadata: {name: podinfo}
---
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
---
apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Alert
---
apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Receiver
---
apiVersion: image.toolkit.fluxcd.io/v1alpha2
kind: ImageUpdateAutomation
---
apiVersion: v1
kind: ConfigMap
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
"""


def test_flux2_single_file_case(lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("single-file.yaml").write_text(SINGLE)
    code, out, err = lab.run("migrate", "-f", "single-file.yaml", "--yes")
    assert (code, out) == (0, "")
    assert err == ("► starting migration of custom resources\n"
                   "⚠️ single-file.yaml:13: unexpected GroupVersion string: image.toolkit.fluxcd.io/v1/v2\n"
                   "✚ single-file.yaml:1: ImageRepository v1beta1 -> v1\n"
                   "✚ single-file.yaml:7: ImagePolicy v1beta2 -> v1\n"
                   "✔ file single-file.yaml migrated successfully\n"
                   "✔ custom resources migrated successfully\n")
    assert Path("single-file.yaml").read_text() == SINGLE_GOLDEN


def test_tutorial_manifests_in_a_directory(lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("clusters/sub").mkdir(parents=True)
    Path("clusters/sub/flux.yml").write_text(TUTORIAL)
    Path("clusters/a.yaml").write_text("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n")
    Path("clusters/notes.txt").write_text(TUTORIAL)
    os.symlink("sub/flux.yml", "clusters/link.yaml")
    code, _, err = lab.run("migrate", "-f", "clusters/", "--dry-run")
    assert code == 0
    assert err.splitlines() == [
        "► starting migration of custom resources",
        "⚠️ skipping irregular file clusters/link.yaml",
        "✚ clusters/sub/flux.yml:2: GitRepository v1beta2 -> v1",
        "✚ clusters/sub/flux.yml:9: Kustomization v1beta2 -> v1",
        "✚ clusters/sub/flux.yml:13: HelmRelease v2beta1 -> v2",
        "✚ clusters/sub/flux.yml:16: Alert v1beta1 -> v1beta3",
        "✚ clusters/sub/flux.yml:19: Receiver v1beta1 -> v1",
        "✚ clusters/sub/flux.yml:22: ImageUpdateAutomation v1alpha2 -> v1",
        "✔ dry-run mode enabled, no changes will be made"]
    assert Path("clusters/sub/flux.yml").read_text() == TUTORIAL
    code, _, err = lab.run("migrate", "-f", "clusters", "-y")
    assert code == 0 and err.endswith("✔ file clusters/sub/flux.yml migrated successfully\n"
                                      "✔ custom resources migrated successfully\n")
    migrated = Path("clusters/sub/flux.yml").read_text()
    assert "apiVersion: kustomize.toolkit.fluxcd.io/v1 # keep this comment\n" in migrated
    assert [d["apiVersion"] for d in yaml.safe_load_all(migrated)] == [
        "source.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1", "helm.toolkit.fluxcd.io/v2",
        "notification.toolkit.fluxcd.io/v1beta3", "notification.toolkit.fluxcd.io/v1", "image.toolkit.fluxcd.io/v1",
        "v1", "kustomize.config.k8s.io/v1beta1"]
    assert Path("clusters/notes.txt").read_text() == TUTORIAL  # other extensions untouched
    code, _, err = lab.run("migrate", "-f", "clusters", "-y")
    assert err.endswith("✔ no custom resources found that require migration\n")


def test_bad_paths_versions_and_declined_prompt(lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("m.json").write_text("{}")
    Path("m.yaml").write_text(TUTORIAL)
    assert lab.run("migrate", "-f", "m.json")[2].endswith(
        "✗ file m.json does not match the specified extensions: .yaml, .yml\n")
    assert lab.run("migrate", "-f", "nope")[2].endswith(
        "✗ failed to stat path nope: no such file or directory\n")
    assert lab.run("migrate", "-f", ".", "--version", "2.3")[2].endswith(
        "✗ version 2.3 is not supported, supported versions are: 2.9, 2.8, 2.7, 2.6\n")
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # noqa: SIM115 - closed by pytest's monkeypatch teardown
    code, _, err = lab.run("migrate", "-f", "m.yaml")
    assert code == 1 and err.endswith("✗ migration aborted\n")
    assert Path("m.yaml").read_text() == TUTORIAL


def test_version_table_for_flux_2_6_keeps_image_v1beta2(tmp_path: Path) -> None:
    file = tmp_path / "i.yaml"
    file.write_text("apiVersion: image.toolkit.fluxcd.io/v1alpha2\nkind: ImagePolicy\n")
    found = plan(str(file), flux_version="2.6")
    assert [(u.old_version, u.new_version) for u in found.files[0].upgrades] == [("v1alpha2", "v1beta2")]
    assert current_api_version("image.toolkit.fluxcd.io/v1beta2", "ImagePolicy") == "image.toolkit.fluxcd.io/v1"
    assert current_api_version("kustomize.toolkit.fluxcd.io/v1", "Kustomization") is None
    assert current_api_version("kustomize.config.k8s.io/v1beta1", "Kustomization") is None


def test_cluster_error_for_an_old_version_names_the_current_one(lab: Lab) -> None:
    lab.ok("install")
    client = Session(kubeconfig=lab.kubeconfig).client
    old = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1beta2", "kind": "Kustomization",
           "metadata": {"name": "apps", "namespace": "flux-system"},
           "spec": {"interval": "5m", "prune": True, "sourceRef": {"kind": "GitRepository", "name": "fleet"}}}
    with pytest.raises(ApiError) as err:
        client.apply(old, field_manager="test")
    assert str(err.value) == (
        'no matches for kind "Kustomization" in version "kustomize.toolkit.fluxcd.io/v1beta2"; '
        "kustomize.toolkit.fluxcd.io/v1beta2 is not served by Flux 2.9, the current version of Kustomization is "
        "kustomize.toolkit.fluxcd.io/v1 (rewrite old manifests with `gitops migrate -f PATH`)")


def test_cluster_mode_rewrites_objects_through_the_storage_version(lab: Lab) -> None:
    lab.setup()
    code, _, err = lab.run("migrate")
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == "► starting migration of custom resources"
    assert "✔ GitRepository/flux-system/fleet migrated to version v1" in lines
    assert "✔ Kustomization/flux-system/apps migrated to version v1" in lines
    assert lines[-1] == "✔ custom resources migrated successfully"
