"""A learner in a terminal beside the notebooks: gitops without a lab, and gitops events on a lab."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workshop.lab import FLUX_NAMESPACE, Lab


def gitops(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main())", *args], capture_output=True, text=True,
                          env=env, timeout=60, cwd=Path(__file__).resolve().parents[2])


def test_gitops_without_a_kubeconfig_suggests_workshop_up(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["HOME"] = str(tmp_path)  # no ~/.kube/config
    out = gitops("get", "kustomizations", env=env)
    assert out.returncode == 1
    assert "unable to load kubeconfig" in out.stderr
    assert "start a lab cluster with `workshop up`" in out.stderr
    assert 'eval "$(workshop env NN)"' in out.stderr


def test_events_keep_one_row_per_event_with_a_multi_line_message(tmp_path: Path) -> None:
    with Lab.start("t-events", root=tmp_path / "lab", quiet=True) as lab:
        lab.apply_flux("apps", "./apps")
        lab.client.create({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "apps.multiline", "namespace": FLUX_NAMESPACE},
            "involvedObject": {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                               "name": "apps", "namespace": FLUX_NAMESPACE},
            "type": "Warning", "reason": "BuildFailed", "count": 1,
            "message": "kustomize build failed:\n  line one\n\n  line two\n",
            "source": {"component": "kustomize-controller"},
        })
        out = gitops("events", "--for", "Kustomization/apps", env={**os.environ})
        assert out.returncode == 0, out.stderr
        rows = [line for line in out.stdout.splitlines() if "BuildFailed" in line or "line" in line]
        assert len(rows) == 1, out.stdout
        assert rows[0].rstrip().endswith("kustomize build failed: line one line two")
