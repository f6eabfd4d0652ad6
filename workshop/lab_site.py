"""One cluster of a lab and the engine reconciling it: create Flux objects, sync, read status, run kubectl.

A `Lab` is a LabSite (its first cluster) that also owns the fleet repo and the lab folder; `lab.add_cluster()`
gives more LabSites that reconcile the same repo, as fleets with a staging and a production cluster do.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from engine.api import conditions
from engine.jsonobj import Obj
from engine.manager import Manager, SyncReport
from workshop.cluster import LabCluster
from workshop.labfolder import LabStoppedError
from workshop.repo import LabRepo

__all__ = ["FLUX_NAMESPACE", "KUSTOMIZE_API", "LabSite", "SOURCE_API", "SOURCE_NAME", "clean_output"]

SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
FLUX_NAMESPACE = "flux-system"
SOURCE_NAME = "flux-system"

F = TypeVar("F", bound=Callable[..., Any])

#: Public methods that work on a stopped lab too (everything else says the lab is stopped).
WORK_WHEN_STOPPED = frozenset({"stop", "ready_line", "terminal_line", "site"})


def _while_running(method: F) -> F:
    """Run `method` only while the lab runs; on a stopped lab raise LabStoppedError saying how to restart."""

    @functools.wraps(method)
    def guarded(self: LabSite, *args: Any, **kwargs: Any) -> Any:
        self._require_running(f"{method.__name__}()")
        return method(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]


def _guard_public_methods(cls: type) -> None:
    for name, value in list(vars(cls).items()):
        if isinstance(value, (classmethod, staticmethod, property)) or not callable(value):
            continue
        if not name.startswith("_") and name not in WORK_WHEN_STOPPED:
            setattr(cls, name, _while_running(value))


class LabSite:
    """A lab cluster (`cluster`, `client`) and its engine (`manager`), reconciling the lab's fleet `repo`.

    Once the lab is stopped, its methods and `repo`, `client` and `manager` raise LabStoppedError, whose
    message says how to start the lesson's lab again.
    """

    def __init__(self, name: str, root: Path, cluster: LabCluster, repo: LabRepo, manager: Manager,
                 lab: Any = None) -> None:
        self.name = name
        self.root = root
        self.cluster = cluster
        self._repo = repo
        self._manager = manager
        self._client = manager.client
        self._lab = lab if lab is not None else self

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _guard_public_methods(cls)

    def __repr__(self) -> str:
        return f"<LabSite {self.name}: {self.cluster.backend} cluster>"

    @property
    def running(self) -> bool:
        """False once lab.stop() ran."""
        return bool(getattr(self._lab, "_running", True))

    def _require_running(self, what: str) -> None:
        if self.running:
            return
        lesson = getattr(self._lab, "lesson", self.name)
        raise LabStoppedError(
            f"lab {lesson} is stopped (lab.stop() ran, e.g. in the clean-up cell), so lab.{what} has no cluster "
            f"or repo to work on. Start it again: run the set-up cell at the top of the notebook "
            f"(Lab.start({lesson!r}, ...)), then the cells from there."
        )

    @property
    def repo(self) -> LabRepo:
        """The fleet repo: the bare remote the sources fetch and the working clone you edit."""
        self._require_running("repo")
        return self._repo

    @property
    def manager(self) -> Manager:
        """The engine reconciling this cluster."""
        self._require_running("manager")
        return self._manager

    @property
    def client(self) -> Any:
        """The engine's client of this cluster (get, list, create, merge_patch, delete)."""
        self._require_running("client")
        return self._client

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


_guard_public_methods(LabSite)

#: Digits of a commit SHA shown after `sha1:` (as `flux get` shows them).
SHORT_SHA = 8


def clean_output(text: str, repo: LabRepo, root: Path) -> str:
    """Shorten lab paths, and the fleet repo's revisions to Flux's short form with the commit's subject.

    `main@sha1:<40 hex>` becomes `main@sha1:<8 hex> (<subject>)`: the revision as `flux get` shows it, and
    which commit that is. Output then does not depend on where the kit lives.
    """
    text = text.replace(repo.url, "file://<fleet>")
    if "sha1:" in text and repo.git.head.is_valid():
        for info in repo.log(1000):
            text = text.replace(f"sha1:{info.sha}", f"sha1:{info.sha[:SHORT_SHA]} ({info.subject})")
    return text.replace(str(root) + "/", "").replace(str(root), "<lab>")
