"""One object per lesson: a lab cluster, a git remote (`fleet`) and the GitOps engine, wired together.

    lab = Lab.start("06-sample-app", seed_gitops=True)
    lab.apply_flux("apps", "./gitops/apps", prune=True, wait=True)
    lab.sync()
    lab.status()
    lab.stop()

A lab can run more clusters that reconcile the same repo (`Lab.start(..., clusters=("staging", "production"))`
or `lab.add_cluster("production")`); each is a LabSite, the Lab itself being the first.

Everything a Lab prints is deterministic: no temporary paths, times or random names, so notebook outputs
compare equal from run to run.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from engine.manager import Manager, new_manager
from engine.notify import Notification
from workshop.chart_repo import LabChartRepository
from workshop.cluster import ClusterError, LabCluster, create_cluster
from workshop.lab_site import FLUX_NAMESPACE, KUSTOMIZE_API, SOURCE_API, SOURCE_NAME, LabSite
from workshop.labfolder import ENV_FILE, LabInUseError, LabLock, LabStoppedError, env_script
from workshop.registry import LabRegistry
from workshop.repo import LabRepo

__all__ = ["FLUX_NAMESPACE", "KUSTOMIZE_API", "Lab", "LabInUseError", "LabSite", "LabStoppedError", "REPO_ROOT",
           "SOURCE_API", "SOURCE_NAME"]

REPO_ROOT = Path(__file__).resolve().parents[1]
DB_SECRET = "database-creds"
DB_PASSWORD = "lab-only-password"
#: The date on the image automation's commits, so they get the same SHA on every run.
AUTOMATION_COMMIT_DATE = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
#: The name of a lab's first cluster when the lesson does not name its clusters.
DEFAULT_SITE = "lab"
#: Set to `kind` (or `kubeconfig`) before starting JupyterLab to run every lesson's lab on that backend.
CLUSTER_ENV = "WORKSHOP_CLUSTER"
#: The labs this process runs, by folder: starting a lab again in its folder stops the earlier one first.
_RUNNING: dict[Path, Lab] = {}


class Lab(LabSite):
    """A running lab: `cluster`, `repo` (the fleet git remote + clone), `manager` (the engine), `client`.

    `sites` maps each cluster's name to its LabSite; the Lab is the first of them.
    """

    def __init__(self, lesson: str, root: Path, cluster: LabCluster, repo: LabRepo, manager: Manager,
                 name: str = DEFAULT_SITE) -> None:
        self._running = True
        super().__init__(name, root, cluster, repo, manager)
        self.lesson = lesson
        self.registry: LabRegistry | None = None
        self.charts: LabChartRepository | None = None
        self.notification: Notification | None = None
        self.sites: dict[str, LabSite] = {name: self}
        self._env_before: dict[str, str | None] = {}
        self._env_set: dict[str, str] = {}
        self._lock: LabLock | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    @classmethod
    def start(cls, lesson: str, *, cluster: str | None = None, root: Path | None = None,
              seed_gitops: bool = False, image_automation: bool = False, quiet: bool = False,
              clusters: Sequence[str] = (), helm: bool = False) -> Lab:
        """Wipe and create the lab folder, start the cluster, create the `fleet` repo, install the CRDs.

        The folder defaults to `notebooks/.labs/<lesson>` in the kit. With seed_gitops, the kit's `gitops/`
        tree is committed to the repo at `gitops/`. With image_automation, the engine also runs the image
        controllers and `lab.registry` is a running lab registry (on the embedded cluster the node pulls
        only the images published there). With helm, `lab.charts` is the lab chart repository (the kit's
        charts served on http://127.0.0.1:<port>/) and the same charts are in `lab.registry` as OCI charts
        (`oci://<registry>/charts/<chart>`). With clusters (names, e.g. ("staging", "production")), the lab
        runs one cluster per name, the Lab being the first, and `!kubectl --context <name>` reaches each.
        KUBECONFIG is set so `!kubectl` cells reach the (first) cluster, FLEET names the repo's working clone,
        and the kit's bin folder (`gitops`,
        and `kubectl` when `make setup` installed it there) is put on PATH; `<folder>/env.sh` does the same
        for a terminal, and the ready line says how to use it. The backend is `cluster`, else
        $WORKSHOP_CLUSTER, else the embedded API server.

        One lab per folder: starting again in the same kernel stops the earlier lab first; a lab of another
        process in the folder raises LabInUseError naming that process.
        """
        cluster = cluster or os.environ.get(CLUSTER_ENV) or "embedded"
        _put_kit_bin_on_path()
        names = list(clusters) or [DEFAULT_SITE]
        if len(set(names)) != len(names):
            raise ValueError(f"Lab.start(clusters={tuple(names)!r}): give each cluster a different name")
        root = Path(root) if root is not None else REPO_ROOT / "notebooks" / ".labs" / lesson
        root = root.resolve()
        previous = _RUNNING.get(root)
        if previous is not None:
            previous.stop()
            if not quiet:
                print(f"stopped the lab {previous.lesson} this kernel ran in {root.name}/, to start afresh")
        lock = LabLock(root, lesson).acquire()
        try:
            shutil.rmtree(root, ignore_errors=True)
            if root.exists():
                raise LabInUseError(f"cannot empty the lab folder {root} (files of another user?): remove it, "
                                    f"or start this lab in a folder of your own: Lab.start({lesson!r}, root=...)")
            try:
                root.mkdir(parents=True)
            except PermissionError as err:
                raise LabInUseError(f"cannot create the lab folder {root} ({err.strerror}: {err.filename} belongs "
                                    f"to another user?): start this lab in a folder of your own: "
                                    f"Lab.start({lesson!r}, root=...)") from None
        except BaseException:
            lock.release()
            raise
        try:
            lab = cls._start_in(lesson, root, cluster, names, seed_gitops, image_automation, helm)
        except BaseException:
            lock.release()
            raise
        lab._lock = lock
        _RUNNING[root] = lab
        lab._write_env_file()
        if not quiet:
            print(lab.ready_line())
            print(lab.terminal_line())
        return lab

    @classmethod
    def _start_in(cls, lesson: str, root: Path, cluster: str, names: list[str], seed_gitops: bool,
                  image_automation: bool, helm: bool = False) -> Lab:
        """Start the cluster(s), repo and engine in the (locked, empty) lab folder."""
        if cluster == "kind" and (image_automation or helm):
            raise ClusterError(
                f"lesson {lesson} serves its registry and chart repository on 127.0.0.1 of this machine, which a kind "
                "node cannot pull from: run this lesson on the embedded cluster (unset WORKSHOP_CLUSTER)")
        opts: dict[str, Any] = {"workdir": root / "cluster"} if cluster == "embedded" else {}
        lab_cluster = create_cluster(cluster, f"lab-{lesson}", **opts)
        lab_cluster.start()
        if lab_cluster.notice:
            print(lab_cluster.notice)
        registry: LabRegistry | None = None
        charts: LabChartRepository | None = None
        try:
            seed = REPO_ROOT / "gitops" if seed_gitops else None
            repo = LabRepo.create(root / "git", "fleet", seed_from=seed, seed_dest="gitops",
                                  message="Add the sample gitops tree")
            manager = _new_manager(lab_cluster, root)
            registry = _start_image_automation(manager, lab_cluster, root) if image_automation else None
            if helm:
                registry = registry or LabRegistry(kind="embedded").start()
                charts = LabChartRepository().start()
                charts.push_oci(registry)
            manager.install_crds()
        except BaseException:
            if charts is not None:
                charts.stop()
            if registry is not None:
                registry.stop()
            lab_cluster.stop()
            raise
        lab = cls(lesson, root, lab_cluster, repo, manager, name=names[0])
        lab.registry = registry
        lab.charts = charts
        lab._set_env("KUBECONFIG", str(lab_cluster.kubeconfig_path))
        lab._set_env("GITOPS_DATA_DIR", str(root))  # `!gitops` cells share the lab engine's artifacts and logs
        lab._set_env("FLEET", str(repo.path))  # shell cells and terminals: "$FLEET" is the lab repo's clone
        try:
            for name in names[1:]:
                lab.add_cluster(name)
        except BaseException:
            lab.stop()
            raise
        return lab

    def enable_notifications(self) -> Notification:
        """Run the notification controller too: Alerts to Providers, and Receivers' webhooks on 127.0.0.1."""
        if self.notification is None:
            from engine.notify import register_notification

            self.notification = register_notification(self.manager, receiver_port=0)
            self.manager.install_crds()
        return self.notification

    def add_cluster(self, name: str) -> LabSite:
        """Start one more cluster (same backend) with its own engine, reconciling the same fleet repo.

        KUBECONFIG then names every cluster as a context (`kubectl --context <name>`), the first one current.
        """
        if not self._running:
            raise ClusterError(f"lab {self.lesson} is stopped: start a new lab with Lab.start(...)")
        if name in self.sites:
            raise ValueError(f"lab {self.lesson} already has a cluster named {name!r}: use lab.site({name!r})")
        if self.cluster.backend == "kubeconfig":
            raise ClusterError("a second lab cluster needs the embedded or kind backend: a kubeconfig lab "
                               "has only the cluster you gave it")
        workdir = self.root / f"cluster-{name}"
        cluster = create_cluster(self.cluster.backend, f"lab-{self.lesson}-{name}", workdir=workdir)
        cluster.start()
        try:
            manager = _new_manager(cluster, self.root, workdir / "artifacts")
            manager.install_crds()
        except BaseException:
            cluster.stop()
            raise
        site = LabSite(name, self.root, cluster, self.repo, manager, lab=self)
        self.sites[name] = site
        self._set_env("KUBECONFIG", str(self._write_contexts()))
        if self._lock is not None:
            self._write_env_file()
        return site

    def site(self, name: str) -> LabSite:
        """The cluster called `name` (the Lab itself for the first one)."""
        if name not in self.sites:
            raise KeyError(f"lab {self.lesson} has no cluster {name!r}: it has {', '.join(self.sites)}")
        return self.sites[name]

    def _write_contexts(self) -> Path:
        """A kubeconfig with one context per cluster, named as the cluster; the first is the current one."""
        doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [],
                               "users": [], "current-context": self.name, "preferences": {}}
        for name, site in self.sites.items():
            single = yaml.safe_load(site.cluster.kubeconfig_path.read_text())
            ctx = next(c["context"] for c in single["contexts"] if c["name"] == single["current-context"])
            cluster = next(c["cluster"] for c in single["clusters"] if c["name"] == ctx["cluster"])
            user: dict[str, Any] = next((u["user"] for u in single.get("users") or [] if u["name"] == ctx.get("user")), {})
            doc["clusters"].append({"name": name, "cluster": cluster})
            doc["users"].append({"name": name, "user": user})
            doc["contexts"].append({"name": name, "context": {**ctx, "cluster": name, "user": name}})
        path = self.root / "kubeconfig"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    def _set_env(self, name: str, value: str) -> None:
        """Set an environment variable for the lab's lifetime (stop() restores what was there before)."""
        self._env_before.setdefault(name, os.environ.get(name))
        self._env_set[name] = value
        os.environ[name] = value

    def _restore_env(self) -> None:
        for name, value in self._env_set.items():
            if os.environ.get(name) != value:
                continue
            before = self._env_before.get(name)
            if before is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = before

    def stop(self) -> None:
        """Stop the clusters, restore KUBECONFIG and GITOPS_DATA_DIR, delete the lab folder, free its lock."""
        if not self._running:
            return
        self._running = False
        if _RUNNING.get(self.root) is self:
            del _RUNNING[self.root]
        try:
            if self.charts is not None:
                self.charts.stop()
            if self.registry is not None:
                self.registry.stop()
            if self.notification is not None:
                self.notification.stop()
            for site in reversed(list(self.sites.values())[1:]):
                try:
                    site.cluster.stop()
                except ClusterError as exc:
                    print(f"warning: cluster {site.name} did not stop cleanly: {exc}")
            self.cluster.stop()
        finally:
            self._restore_env()
            shutil.rmtree(self.root, ignore_errors=True)
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def ready_line(self) -> str:
        state = "ready" if self._running else "stopped"
        commits = len(self._repo.log(1000)) if self._running and self._repo.git.head.is_valid() else 0
        registry = ", lab registry" if self.registry is not None else ""
        if self.charts is not None:
            registry += ", lab chart repository"
        clusters = f"{self.cluster.backend} cluster"
        if len(self.sites) > 1:
            clusters = f"{len(self.sites)} {self.cluster.backend} clusters ({', '.join(self.sites)})"
        return (f"lab {self.lesson} {state}: {clusters}, "
                f"git repo fleet ({commits} commit(s) on {self._repo.branch}){registry}, engine CRDs installed")

    def terminal_line(self) -> str:
        """The one line that points a terminal (JupyterLab's File > New > Terminal) at this lab."""
        number = re.match(r"(\d\d)-", self.lesson)
        if number and self.root.name == self.lesson:
            return f'terminal: eval "$(workshop env {number.group(1)})"   (kubectl, gitops and git on this lab)'
        return f"terminal: source {self.root / ENV_FILE}   (kubectl, gitops and git on this lab)"

    def _write_env_file(self) -> None:
        """<lab folder>/env.sh: the environment the lab set for this kernel, for a terminal to source."""
        script = env_script(self.lesson, kubeconfig=Path(self._env_set["KUBECONFIG"]), data_dir=self.root,
                            kit_bin=Path(sys.executable).parent, fleet=self._repo.path)
        (self.root / ENV_FILE).write_text(script)

    def __repr__(self) -> str:
        return f"<Lab {self.lesson}: {'running' if self._running else 'stopped'} on {self.cluster.backend}>"

    # -- the fleet repo ----------------------------------------------------------------------------
    def commit(self, message: str) -> str:
        """Commit and push the working clone; git's line naming the commit, `[main 1a2b3c4] message`.

        The revision the sources then report is `main@sha1:1a2b3c4…` (lab.status() shows its subject too).
        """
        sha = self.repo.commit(message)
        if sha is None:
            return "nothing to commit"
        return f"[{self.repo.branch} {sha[:7]}] {message.splitlines()[0] if message else message}"

    def create_database_creds(self, password: str = DB_PASSWORD) -> str:
        """The sample app's pre-step: Secret database-creds (key password) in default, kept out of Git."""
        obj = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
               "metadata": {"name": DB_SECRET, "namespace": "default"}, "stringData": {"password": password}}
        if self.client.get("v1", "Secret", DB_SECRET, "default") is not None:
            return f"secret/{DB_SECRET} already exists in default"
        self.client.create(obj)
        return f"secret/{DB_SECRET} created in default"


def _new_manager(cluster: LabCluster, root: Path, storage: Path | None = None) -> Manager:
    """The engine for one lab cluster; it logs where `gitops logs` looks (GITOPS_DATA_DIR is the lab folder)."""
    from engine.paths import artifacts_root, log_file

    api = cluster.api_client()
    # an API server in this process shares its interpreter lock: dry-runs in flight at once would only wait for it
    return new_manager(api, storage_dir=storage or artifacts_root(root),
                       log_file=log_file(api.configuration.host, root),
                       concurrent_ssa=1 if cluster.in_process else None)


def _put_kit_bin_on_path() -> None:
    """Let `!gitops` / `!kubectl` cells find the kit's console scripts (the kernel's bin folder)."""
    kit_bin = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if kit_bin not in path.split(os.pathsep):
        os.environ["PATH"] = f"{kit_bin}{os.pathsep}{path}" if path else kit_bin


def _start_image_automation(manager: Manager, cluster: LabCluster, root: Path) -> LabRegistry:
    """Register the image controllers and start a lab registry the embedded node pulls from."""
    from engine.image.reconcilers import register_image_reconcilers

    register_image_reconcilers(manager, commit_date=AUTOMATION_COMMIT_DATE, workdir=root)
    registry = LabRegistry(kind="embedded").start()
    if hasattr(cluster, "image_available"):
        cluster.image_available = registry.image_available
    return registry
