"""One cluster of a lab and the engine reconciling it: create Flux objects, sync, read status, run kubectl.

A `Lab` is a LabSite (its first cluster) that also owns the fleet repo and the lab folder; `lab.add_cluster()`
gives more LabSites that reconcile the same repo, as fleets with a staging and a production cluster do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from engine.api import conditions
from engine.manager import Manager, SyncReport
from workshop.cluster import LabCluster
from workshop.repo import LabRepo

__all__ = ["FLUX_NAMESPACE", "KUSTOMIZE_API", "LabSite", "SOURCE_API", "SOURCE_NAME", "clean_output"]

SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
FLUX_NAMESPACE = "flux-system"
SOURCE_NAME = "flux-system"

Obj = dict[str, Any]


class LabSite:
    """A lab cluster (`cluster`, `client`) and its engine (`manager`), reconciling the lab's fleet `repo`."""

    def __init__(self, name: str, root: Path, cluster: LabCluster, repo: LabRepo, manager: Manager) -> None:
        self.name = name
        self.root = root
        self.cluster = cluster
        self.repo = repo
        self.manager = manager
        self.client = manager.client

    def __repr__(self) -> str:
        return f"<LabSite {self.name}: {self.cluster.backend} cluster>"

    # -- Flux objects ------------------------------------------------------------------------------
    def _ensure_namespace(self, name: str) -> None:
        if self.client.get("v1", "Namespace", name, None) is None:
            self.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    def _create_or_update(self, obj: Obj) -> Obj:
        meta = obj["metadata"]
        current = self.client.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        if current is None:
            return self.client.create(obj)
        return self.client.merge_patch(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"),
                                       {"spec": obj["spec"]})

    def git_repository(self, name: str = SOURCE_NAME, **spec: Any) -> Obj:
        """Create (or update) the GitRepository that points at the fleet repo's branch."""
        self._ensure_namespace(FLUX_NAMESPACE)
        body = {"url": self.repo.url, "interval": "1m", "ref": {"branch": self.repo.branch}, **spec}
        return self._create_or_update({"apiVersion": SOURCE_API, "kind": "GitRepository",
                                       "metadata": {"name": name, "namespace": FLUX_NAMESPACE}, "spec": body})

    def kustomization(self, name: str, path: str, *, source: str = SOURCE_NAME, **spec: Any) -> Obj:
        """Create (or update) a Kustomization in flux-system that applies `path` of the source."""
        self._ensure_namespace(FLUX_NAMESPACE)
        body = {"sourceRef": {"kind": "GitRepository", "name": source}, "interval": "10m", "path": path,
                "prune": True, **spec}
        return self._create_or_update({"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
                                       "metadata": {"name": name, "namespace": FLUX_NAMESPACE}, "spec": body})

    def apply_flux(self, name: str, path: str, **spec: Any) -> str:
        """The GitRepository `flux-system` (if missing) plus a Kustomization `name` for `path`; returns a line."""
        if self.client.get(SOURCE_API, "GitRepository", SOURCE_NAME, FLUX_NAMESPACE) is None:
            self.git_repository()
        self.kustomization(name, path, **spec)
        return f"GitRepository {FLUX_NAMESPACE}/{SOURCE_NAME} and Kustomization {FLUX_NAMESPACE}/{name} ({path}) applied"

    # -- running -----------------------------------------------------------------------------------
    def sync(self, timeout: float = 120.0) -> SyncReport:
        """Reconcile everything that is due (sources first), then let the cluster's workloads settle."""
        report = self.manager.sync(timeout=timeout)
        self.cluster.wait_settled()
        return report

    def reconcile(self, name: str, kind: str = "Kustomization", namespace: str = FLUX_NAMESPACE,
                  timeout: float = 120.0) -> SyncReport:
        """Ask for a reconcile now (like `flux reconcile`), even if nothing changed in Git; then sync()."""
        self.manager.request_reconcile(kind, name, namespace)
        return self.sync(timeout)

    # -- reading -----------------------------------------------------------------------------------
    def status_lines(self) -> list[str]:
        """One line per GitRepository and Kustomization: `Kind/namespace/name  Ready  message`, sorted."""
        rows: list[tuple[str, str, str]] = []
        for kind in ("GitRepository", "Kustomization"):
            for obj in self.manager.list(kind):
                meta = obj["metadata"]
                ready, _reason, message = conditions.summary(obj)
                rows.append((f"{kind}/{meta.get('namespace', '')}/{meta['name']}", ready,
                             clean_output(message, self.repo, self.root)))
        rows.sort()
        if not rows:
            return ["no GitRepository or Kustomization yet"]
        width = max(len(r[0]) for r in rows)
        header = f"{'OBJECT':<{width}}  READY  MESSAGE"
        return [header] + [f"{o:<{width}}  {r:<5}  {m}" for o, r, m in rows]

    def status(self) -> None:
        """Print status_lines()."""
        print("\n".join(self.status_lines()))

    def ready(self, name: str, kind: str = "Kustomization", namespace: str = FLUX_NAMESPACE) -> tuple[str, str, str]:
        """(status, reason, message) of an object's Ready condition."""
        obj = self.manager.get(kind, name, namespace)
        return conditions.summary(obj or {})

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = "default") -> Obj | None:
        return self.client.get(api_version, kind, name, namespace)

    def names(self, api_version: str, kind: str, namespace: str | None = "default") -> list[str]:
        """Sorted names of the objects of one kind (in one namespace)."""
        return sorted(o["metadata"]["name"] for o in self.client.list(api_version, kind, namespace))

    def kubectl(self, *args: str, check: bool = False) -> str:
        """Run kubectl against this cluster and return its output (or a message when kubectl is missing)."""
        exe = shutil.which("kubectl")
        if exe is None:
            return ("kubectl is not installed: read the same objects with lab.status() or lab.names(...), "
                    "or install kubectl (https://kubernetes.io/docs/tasks/tools/)")
        env = {**os.environ, "KUBECONFIG": str(self.cluster.kubeconfig_path)}
        proc = subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=60, check=False)
        if check and proc.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed: {proc.stderr.strip()}")
        return clean_output(proc.stdout + proc.stderr, self.repo, self.root)


def clean_output(text: str, repo: LabRepo, root: Path) -> str:
    """Shorten lab paths, and name commits by position, so output does not depend on where the kit lives."""
    text = text.replace(repo.url, "file://<fleet>")
    if "sha1:" in text and repo.git.head.is_valid():
        history = list(reversed(repo.log(1000)))
        for number, info in enumerate(history, start=1):
            text = text.replace(f"sha1:{info.sha}", f"commit {number} ({info.subject})")
    return text.replace(str(root) + "/", "").replace(str(root), "<lab>")
