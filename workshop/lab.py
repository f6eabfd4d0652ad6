"""One object per lesson: a lab cluster, a git remote (`fleet`) and the GitOps engine, wired together.

    lab = Lab.start("06-sample-app", seed_gitops=True)
    lab.apply_flux("apps", "./gitops/apps", prune=True, wait=True)
    lab.sync()
    lab.status()
    lab.stop()

Everything a Lab prints is deterministic: no temporary paths, times or random names, so notebook outputs
compare equal from run to run.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from engine.api import conditions
from engine.manager import Manager, SyncReport
from workshop.cluster import LabCluster, create_cluster
from workshop.registry import LabRegistry
from workshop.repo import LabRepo

__all__ = ["FLUX_NAMESPACE", "KUSTOMIZE_API", "Lab", "REPO_ROOT", "SOURCE_API", "SOURCE_NAME"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
FLUX_NAMESPACE = "flux-system"
SOURCE_NAME = "flux-system"
DB_SECRET = "database-creds"
DB_PASSWORD = "lab-only-password"
#: The date on the image automation's commits, so they get the same SHA on every run.
AUTOMATION_COMMIT_DATE = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)

Obj = dict[str, Any]


class Lab:
    """A running lab: `cluster`, `repo` (the fleet git remote + clone), `manager` (the engine), `client`."""

    def __init__(self, lesson: str, root: Path, cluster: LabCluster, repo: LabRepo, manager: Manager) -> None:
        self.lesson = lesson
        self.root = root
        self.cluster = cluster
        self.repo = repo
        self.manager = manager
        self.client = manager.client
        self.registry: LabRegistry | None = None
        self._previous_kubeconfig: str | None = None
        self._running = True

    # -- lifecycle ---------------------------------------------------------------------------------
    @classmethod
    def start(cls, lesson: str, *, cluster: str = "embedded", root: Path | None = None,
              seed_gitops: bool = False, image_automation: bool = False, quiet: bool = False) -> Lab:
        """Wipe and create the lab folder, start the cluster, create the `fleet` repo, install the CRDs.

        The folder defaults to `notebooks/.labs/<lesson>` in the kit. With seed_gitops, the kit's `gitops/`
        tree is committed to the repo at `gitops/`. With image_automation, the engine also runs the image
        controllers and `lab.registry` is a running lab registry (on the embedded cluster the node pulls
        only the images published there). KUBECONFIG is set so `!kubectl` cells reach the cluster.
        """
        root = Path(root) if root is not None else REPO_ROOT / "notebooks" / ".labs" / lesson
        root = root.resolve()
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        opts: dict[str, Any] = {"workdir": root / "cluster"} if cluster == "embedded" else {}
        lab_cluster = create_cluster(cluster, f"lab-{lesson}", **opts)
        lab_cluster.start()
        registry: LabRegistry | None = None
        try:
            seed = REPO_ROOT / "gitops" if seed_gitops else None
            repo = LabRepo.create(root / "git", "fleet", seed_from=seed, seed_dest="gitops",
                                  message="Add the sample gitops tree")
            manager = Manager(lab_cluster.api_client(), storage_dir=root / "artifacts", health_poll=0.05)
            registry = _start_image_automation(manager, lab_cluster, root) if image_automation else None
            manager.install_crds()
        except BaseException:
            if registry is not None:
                registry.stop()
            lab_cluster.stop()
            raise
        lab = cls(lesson, root, lab_cluster, repo, manager)
        lab.registry = registry
        lab._previous_kubeconfig = os.environ.get("KUBECONFIG")
        os.environ["KUBECONFIG"] = str(lab_cluster.kubeconfig_path)
        if not quiet:
            print(lab.ready_line())
        return lab

    def stop(self) -> None:
        """Stop the cluster, restore KUBECONFIG and delete the lab folder."""
        if not self._running:
            return
        self._running = False
        try:
            if self.registry is not None:
                self.registry.stop()
            self.cluster.stop()
        finally:
            if os.environ.get("KUBECONFIG") == str(self.cluster.kubeconfig_path):
                if self._previous_kubeconfig is None:
                    os.environ.pop("KUBECONFIG", None)
                else:
                    os.environ["KUBECONFIG"] = self._previous_kubeconfig
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def ready_line(self) -> str:
        state = "ready" if self._running else "stopped"
        commits = len(self.repo.log(1000)) if self._running and self.repo.git.head.is_valid() else 0
        registry = ", lab registry" if self.registry is not None else ""
        return (f"lab {self.lesson} {state}: {self.cluster.backend} cluster, "
                f"git repo fleet ({commits} commit(s) on {self.repo.branch}){registry}, engine CRDs installed")

    def __repr__(self) -> str:
        return f"<Lab {self.lesson}: {'running' if self._running else 'stopped'} on {self.cluster.backend}>"

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

    def commit(self, message: str) -> str:
        """Commit and push the working clone; a line naming the commit (or saying nothing changed).

        Commits are named by their position in history (`commit 2`), not by SHA, so output stays the
        same when the seeded tree changes.
        """
        sha = self.repo.commit(message)
        if sha is None:
            return "nothing to commit"
        return f"[{self.repo.branch} commit {len(self.repo.log(1000))}] {message}"

    def create_database_creds(self, password: str = DB_PASSWORD) -> str:
        """The sample app's pre-step: Secret database-creds (key password) in default, kept out of Git."""
        obj = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
               "metadata": {"name": DB_SECRET, "namespace": "default"}, "stringData": {"password": password}}
        if self.client.get("v1", "Secret", DB_SECRET, "default") is not None:
            return f"secret/{DB_SECRET} already exists in default"
        self.client.create(obj)
        return f"secret/{DB_SECRET} created in default"

    # -- reading -----------------------------------------------------------------------------------
    def status_lines(self) -> list[str]:
        """One line per GitRepository and Kustomization: `Kind/namespace/name  Ready  message`, sorted."""
        rows: list[tuple[str, str, str]] = []
        for kind in ("GitRepository", "Kustomization"):
            for obj in self.manager.list(kind):
                meta = obj["metadata"]
                ready, _reason, message = conditions.summary(obj)
                rows.append((f"{kind}/{meta.get('namespace', '')}/{meta['name']}", ready, _clean(message, self)))
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
        """Run kubectl against the lab cluster and return its output (or a message when kubectl is missing)."""
        exe = shutil.which("kubectl")
        if exe is None:
            return ("kubectl is not installed: read the same objects with lab.status() or lab.names(...), "
                    "or install kubectl (https://kubernetes.io/docs/tasks/tools/)")
        env = {**os.environ, "KUBECONFIG": str(self.cluster.kubeconfig_path)}
        proc = subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=60, check=False)
        if check and proc.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed: {proc.stderr.strip()}")
        return _clean(proc.stdout + proc.stderr, self)


def _start_image_automation(manager: Manager, cluster: LabCluster, root: Path) -> LabRegistry:
    """Register the image controllers and start a lab registry the embedded node pulls from."""
    from engine.image.reconcilers import register_image_reconcilers

    register_image_reconcilers(manager, commit_date=AUTOMATION_COMMIT_DATE, workdir=root)
    registry = LabRegistry(kind="embedded").start()
    if hasattr(cluster, "image_available"):
        cluster.image_available = registry.image_available
    return registry


def _clean(text: str, lab: Lab) -> str:
    """Shorten lab paths, and name commits by position, so output does not depend on where the kit lives."""
    text = text.replace(lab.repo.url, "file://<fleet>")
    if "sha1:" in text and lab.repo.git.head.is_valid():
        history = list(reversed(lab.repo.log(1000)))
        for number, info in enumerate(history, start=1):
            text = text.replace(f"sha1:{info.sha}", f"commit {number} ({info.subject})")
    return text.replace(str(lab.root) + "/", "").replace(str(lab.root), "<lab>")
