"""workshop.checks_03.check_03: lesson 03's exercise (a ConfigMap owned by Git, drift corrected or pruned)."""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.checks_03 import check_03
from workshop.lab import Lab

SOLUTION = Path(__file__).resolve().parents[2] / "notebooks" / "solutions" / "03_configmap_drift.py"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25-alpine
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
  namespace: default
data:
  GREETING: hello
"""


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    the_lab = Lab.start("test-03", root=tmp_path / "lab", quiet=True)
    try:
        the_lab.repo.write("apps/web/deployment.yaml", DEPLOYMENT)
        the_lab.commit("Add web")
        the_lab.apply_flux("web", "./apps/web", prune=True)
        the_lab.sync()
        yield the_lab
    finally:
        the_lab.stop()


def add_configmap(lab: Lab) -> None:
    lab.repo.write("apps/web/configmap.yaml", CONFIGMAP)
    lab.commit("Add web-settings")
    lab.sync()


def test_nothing_done_says_what_to_add(lab: Lab) -> None:
    result = check_03(lab)
    assert not result
    assert "add a ConfigMap web-settings (namespace default) to apps/web/" in str(result)


def test_created_only_asks_for_drift_or_prune(lab: Lab) -> None:
    add_configmap(lab)
    result = check_03(lab)
    assert not result
    assert "now change ConfigMap/default/web-settings with kubectl" in str(result)


def test_drift_corrected_passes(lab: Lab) -> None:
    add_configmap(lab)
    lab.client.merge_patch("v1", "ConfigMap", "web-settings", "default", {"data": {"GREETING": "by hand"}})
    lab.manager.sync(drift=True)
    result = check_03(lab)
    assert result, str(result)
    assert str(result) == ("PASS: 03 configmap owned by Git: ConfigMap/default/web-settings was created from Git, "
                           "then its drift was corrected")


def test_prune_passes(lab: Lab) -> None:
    add_configmap(lab)
    lab.repo.remove("apps/web/configmap.yaml")
    lab.commit("Remove web-settings")
    result = check_03(lab)
    assert not result
    assert "run lab.sync() so the engine prunes it" in str(result)
    lab.sync()
    result = check_03(lab)
    assert result, str(result)
    assert str(result).endswith("pruned when its file left Git")


def test_the_solution_script_passes(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(SOLUTION), init_globals={"lab": lab})
    out = capsys.readouterr().out
    assert "GREETING in the cluster: Hello from Git" in out
    assert check_03(lab)
