"""Lab with more than one cluster: each a LabSite with its own engine, all reconciling the same fleet repo."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from workshop.lab import Lab, LabSite

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: default
"""
CHILD = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: child
  namespace: flux-system
spec:
  interval: 10m
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: ./apps/{env}
  prune: true
"""


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/previous-kubeconfig")
    the_lab = Lab.start("two", root=tmp_path / "lab", clusters=("staging", "production"), quiet=True)
    try:
        yield the_lab
    finally:
        the_lab.stop()


def test_start_names_every_cluster_and_the_lab_is_the_first(lab: Lab, tmp_path: Path) -> None:
    assert list(lab.sites) == ["staging", "production"]
    assert lab.site("staging") is lab and lab.name == "staging"
    production = lab.site("production")
    assert isinstance(production, LabSite) and production.repo is lab.repo
    assert production.cluster.kubeconfig_path != lab.cluster.kubeconfig_path
    assert lab.ready_line() == ("lab two ready: 2 embedded clusters (staging, production), "
                                "git repo fleet (0 commit(s) on main), engine CRDs installed")
    assert repr(production) == "<LabSite production: embedded cluster>"
    with pytest.raises(KeyError, match="has no cluster 'qa': it has staging, production"):
        lab.site("qa")
    with pytest.raises(ValueError, match="already has a cluster named 'production'"):
        lab.add_cluster("production")


def test_kubeconfig_has_one_context_per_cluster_first_current(lab: Lab) -> None:
    config = yaml.safe_load(Path(os.environ["KUBECONFIG"]).read_text())
    assert config["current-context"] == "staging"
    assert [c["name"] for c in config["contexts"]] == ["staging", "production"]
    servers = {c["name"]: c["cluster"]["server"] for c in config["clusters"]}
    assert servers["staging"] != servers["production"]
    lab.site("production").client.create(yaml.safe_load(CONFIGMAP.format(name="only-in-production")))
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: the contexts were checked in the file only")
    names = {ctx: subprocess.run(["kubectl", "--context", ctx, "get", "configmaps", "-o", "name"],
                                 capture_output=True, text=True, check=True).stdout.split()
             for ctx in ("staging", "production")}
    assert "configmap/only-in-production" in names["production"]
    assert "configmap/only-in-production" not in names["staging"]


def test_each_cluster_reconciles_its_own_path_of_the_same_repo_children_in_one_sync(lab: Lab) -> None:
    production = lab.site("production")
    for env in ("staging", "production"):
        lab.repo.write(f"clusters/{env}/child.yaml", CHILD.format(env=env))
        lab.repo.write(f"apps/{env}/configmap.yaml", CONFIGMAP.format(name=f"{env}-settings"))
    lab.commit("Two environments")
    for site in (lab, production):
        site.apply_flux("flux-system", f"./clusters/{site.name}")
        report = site.sync()
        assert report.ok, str(report)
        assert site.ready("child")[0] == "True", site.ready("child")
    assert "staging-settings" in lab.names("v1", "ConfigMap")
    assert "production-settings" not in lab.names("v1", "ConfigMap")
    assert "production-settings" in production.names("v1", "ConfigMap")
    rev = f"main@sha1:{lab.repo.head()[:8]} (Two environments)"
    assert production.status_lines()[1:] == [
        f"GitRepository/flux-system/flux-system  True   stored artifact for revision '{rev}'",
        f"Kustomization/flux-system/child        True   Applied revision: {rev}",
        f"Kustomization/flux-system/flux-system  True   Applied revision: {rev}",
    ]


def test_stop_stops_every_cluster_and_restores_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/previous-kubeconfig")
    lab = Lab.start("stop", root=tmp_path / "lab", quiet=True)
    production = lab.add_cluster("production")
    assert os.environ["KUBECONFIG"] == str(tmp_path / "lab" / "kubeconfig")
    assert lab.ready_line().startswith("lab stop ready: 2 embedded clusters (lab, production), ")
    lab.stop()
    assert os.environ["KUBECONFIG"] == "/nonexistent/previous-kubeconfig"
    assert not (tmp_path / "lab").exists()
    assert "stopped" in repr(production.cluster) and "stopped" in repr(lab.cluster)
