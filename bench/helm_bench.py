"""Helm benchmark: a HelmRelease of a 20-object chart (from a GitRepository) installed through Helm v4's SDK, a
no-op re-reconcile of it, and commit-to-upgraded latency with the manager running in the background (as
`gitops run` does), on the embedded cluster.

Run alone with `python -m bench.helm_bench` or through `python -m bench`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

SOURCE_API = "source.toolkit.fluxcd.io/v1"
KS_API = "kustomize.toolkit.fluxcd.io/v1"
HELM_API = "helm.toolkit.fluxcd.io/v2"

CHART_YAML = "apiVersion: v2\nname: bench\nversion: 1.0.0\nappVersion: \"1.0\"\n"
VALUES_YAML = "configmaps: 10\nservices: 5\ndeployments: 5\nround: 0\n"
TEMPLATE = """\
{{- range $i := until (int .Values.configmaps) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $.Release.Name }}-cm-{{ $i }}
data:
  round: {{ $.Values.round | quote }}
{{- end }}
{{- range $i := until (int .Values.services) }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $.Release.Name }}-svc-{{ $i }}
spec:
  selector:
    app: {{ $.Release.Name }}-{{ $i }}
  ports:
  - port: 80
{{- end }}
{{- range $i := until (int .Values.deployments) }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $.Release.Name }}-{{ $i }}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {{ $.Release.Name }}-{{ $i }}
  template:
    metadata:
      labels:
        app: {{ $.Release.Name }}-{{ $i }}
    spec:
      containers:
      - name: app
        image: nginx:1.27
{{- end }}
"""


def release_yaml(round_: int) -> str:
    return (f"apiVersion: {HELM_API}\nkind: HelmRelease\nmetadata:\n  name: bench\n  namespace: default\nspec:\n"
            "  interval: 10m\n  chart:\n    spec:\n      chart: ./charts/bench\n      sourceRef:\n"
            "        kind: GitRepository\n        name: fleet\n"
            f"  values:\n    round: {round_}\n")


def _history_version(manager: Any) -> int:
    obj = manager.get("HelmRelease", "bench", "default") or {}
    history = (obj.get("status") or {}).get("history") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                for c in (obj.get("status") or {}).get("conditions") or [])
    return int(history[0]["version"]) if history and ready else 0


def _latency(manager: Any, repo: Any, rounds: int) -> list[float]:
    """Seconds from `git push` of new values to the HelmRelease Ready at the next Helm revision."""
    samples = []
    for i in range(1, rounds + 1):
        want = _history_version(manager) + 1
        repo.write("releases/bench.yaml", release_yaml(i))
        started = time.monotonic()
        repo.commit(f"round {i}")
        manager.request_reconcile("GitRepository", "fleet")  # what a Receiver webhook does
        deadline = started + 120
        while _history_version(manager) < want:
            if time.monotonic() > deadline:
                raise TimeoutError(f"round {i}: the HelmRelease did not reach revision {want} within 120s")
            time.sleep(0.01)
        samples.append(time.monotonic() - started)
    return samples


def run() -> list[dict[str, Any]]:
    from engine.events import Logger
    from engine.manager import Manager
    from workshop.cluster.embedded import EmbeddedCluster
    from workshop.repo import LabRepo

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="helm-bench-") as tmp:
        root = Path(tmp)
        cluster = EmbeddedCluster(name="bench", workdir=root / "cluster")
        cluster.start()
        try:
            repo = LabRepo.create(root / "git")
            repo.write("charts/bench/Chart.yaml", CHART_YAML)
            repo.write("charts/bench/values.yaml", VALUES_YAML)
            repo.write("charts/bench/templates/objects.yaml", TEMPLATE)
            repo.write("releases/bench.yaml", release_yaml(0))
            repo.commit("A 20-object chart and its HelmRelease")
            manager = Manager(cluster.api_client(), storage_dir=root / "artifacts", logger=Logger(),
                              poll_interval=0.02)
            manager.install_crds()
            manager.client.create({"apiVersion": SOURCE_API, "kind": "GitRepository",
                                   "metadata": {"name": "fleet", "namespace": "default"},
                                   "spec": {"url": repo.url, "interval": "10m", "ref": {"branch": "main"}}})
            manager.client.create({"apiVersion": KS_API, "kind": "Kustomization",
                                   "metadata": {"name": "releases", "namespace": "default"},
                                   "spec": {"sourceRef": {"kind": "GitRepository", "name": "fleet"},
                                            "path": "./releases", "interval": "10m", "prune": True}})
            started = time.monotonic()
            report = manager.sync(timeout=300)
            first = time.monotonic() - started
            obj = manager.get("HelmRelease", "bench", "default") or {}
            inventory = len(((obj.get("status") or {}).get("inventory") or {}).get("entries") or [])
            if _history_version(manager) != 1 or inventory != 20:
                raise RuntimeError(f"install failed ({inventory} objects in the inventory):\n{report}")
            results.append({"name": "install of a 20-object chart through a HelmRelease (sync: fetch, chart "
                                    "package, Helm install and wait)", "value": first, "unit": "s"})
            cluster.wait_settled(timeout=120)
            noop = []
            for _ in range(3):
                started = time.monotonic()
                manager.reconcile("HelmRelease", "bench", "default")
                noop.append(time.monotonic() - started)
            if _history_version(manager) != 1:
                raise RuntimeError("the no-op re-reconcile made a new Helm revision")
            results.append({"name": "no-op re-reconcile of the 20-object HelmRelease (median of 3)",
                            "value": sorted(noop)[1], "unit": "s"})
            manager.start()
            try:
                latency = sorted(_latency(manager, repo, 3))
            finally:
                manager.stop()
            results.append({"name": "commit-to-upgraded, 20-object HelmRelease, manager running (median of 3)",
                            "value": latency[1], "unit": "s"})
        finally:
            cluster.stop()
    return results


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']:.3f} {row['unit']}")
