"""A lab cluster on kind (Kubernetes in Docker), driven through pytest-kind's KindCluster.

Uses the `kind` and `kubectl` binaries already on PATH (never downloads one: pytest-kind's downloads are
amd64-only) and a pinned node image (Kubernetes 1.33, as flux 2.9 requires; kubectl 1.32 is within its skew).

A cluster of the same name left over from an earlier run (a crashed kernel, a killed test session,
`--keep-kind-cluster`) is found with `kind get clusters` and either adopted — a fresh kubeconfig from
`kind get kubeconfig`, then the lab's namespaces deleted so a lesson starts from its first state — or deleted
and created anew (`on_existing="recreate"`). `notice` says which happened.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import kubernetes.client
import kubernetes.config
from kubernetes.client.exceptions import ApiException

from workshop.cluster.base import ClusterError, LabCluster

KIND_VERSION = "v0.29.0"
KIND_NODE_IMAGE = "kindest/node:v1.33.1@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f"
KIND_INSTALL_HINT = (
    f"install kind {KIND_VERSION} for your CPU (amd64 or arm64): "
    "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
)


def kind_unavailable_reason(kind_bin: str | None = None, docker_bin: str | None = None) -> str | None:
    """Why a kind cluster cannot be created here (missing kind, Docker client or engine), or None if it can."""
    kind = kind_bin or shutil.which("kind")
    if not kind or not Path(kind).exists():
        return f"no `kind` binary on PATH: {KIND_INSTALL_HINT}"
    docker = docker_bin or shutil.which("docker")
    if not docker:
        return "no `docker` on PATH: kind runs its nodes as Docker containers; install Docker and start it"
    try:
        probe = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True, text=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`docker info` failed ({exc}); start the Docker engine and retry"
    if probe.returncode != 0:
        detail = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        return f"the Docker engine is not reachable ({detail}); start Docker (or docker-in-docker) and retry"
    return None


#: Namespaces a fresh kind cluster has; every other namespace belongs to an earlier lab and is deleted on adopt.
KIND_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease", "local-path-storage"})
ON_EXISTING = ("adopt", "recreate")


def existing_clusters(kind_bin: str | Path) -> list[str]:
    """The kind clusters that exist on this Docker engine (`kind get clusters`)."""
    try:
        out = subprocess.run([str(kind_bin), "get", "clusters"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"`kind get clusters` failed ({exc}); is Docker running?") from exc
    if out.returncode != 0:
        detail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise ClusterError(f"`kind get clusters` failed with exit code {out.returncode} ({detail}); is Docker running?")
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


#: Every lab's kind cluster is named `lab-<lesson>` (plus `-<cluster>` for a lab's further clusters).
LAB_CLUSTER_PREFIX = "lab-"


def orphaned_lab_clusters(labs: Path, lesson: str | None = None) -> list[str]:
    """Kind clusters of labs no running kernel holds (a crash, a killed session), for `workshop down`/`reset`.

    `labs` is the folder of the lessons' lab folders (`notebooks/.labs`); with `lesson`, only that lesson's.
    Nothing when kind or Docker is not there."""
    from workshop.labfolder import holder_of

    if kind_unavailable_reason() is not None:
        return []
    wanted = f"{LAB_CLUSTER_PREFIX}{lesson}" if lesson else LAB_CLUSTER_PREFIX
    held = [f"{LAB_CLUSTER_PREFIX}{d.name}" for d in (sorted(labs.iterdir()) if labs.is_dir() else [])
            if d.is_dir() and holder_of(d) is not None]
    return [name for name in existing_clusters(shutil.which("kind") or "kind")
            if (name == wanted or name.startswith(wanted if not lesson else f"{wanted}-"))
            and not any(name == h or name.startswith(f"{h}-") for h in held)]


def delete_kind_cluster(name: str) -> None:
    """`kind delete cluster --name NAME`, with a message saying how to do it by hand if it fails."""
    done = subprocess.run([shutil.which("kind") or "kind", "delete", "cluster", "--name", name],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise ClusterError(f"`kind delete cluster --name {name}` failed ({done.stderr.strip()[-200:]}); "
                           f"remove it by hand with `kind delete cluster --name {name}`")


def _pytest_kind_cluster_class() -> type:
    try:
        from pytest_kind.cluster import KindCluster
    except ImportError as exc:
        raise ClusterError(
            "the kind backend needs pytest-kind: run `.venv/bin/pip install -e '.[kind]'` (or `make setup`)"
        ) from exc
    return KindCluster


def _make_kind_cluster(name: str, workdir: Path, image: str, kind_bin: Path, kubectl_bin: Path) -> Any:
    """A pytest-kind KindCluster that keeps its files in workdir and never downloads binaries."""
    base = _pytest_kind_cluster_class()

    class _LocalKindCluster(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:  # noqa: D107 - deliberately skips the base's download paths
            self.name = name
            self.image = image
            self.path = workdir
            self.kubeconfig_path = workdir / "kubeconfig"
            self.kind_path = kind_bin
            self.kubectl_path = kubectl_bin
            self.platform = "linux"

        def ensure_kind(self) -> None:
            if not self.kind_path.exists():
                raise ClusterError(f"kind binary {self.kind_path} vanished: {KIND_INSTALL_HINT}")

        def ensure_kubectl(self) -> None:
            if not self.kubectl_path.exists():
                raise ClusterError(f"kubectl binary {self.kubectl_path} vanished: install kubectl 1.32")

    return _LocalKindCluster()


class KindLabCluster(LabCluster):
    """A real single-node Kubernetes cluster in Docker, created with `kind` (kept or deleted on stop)."""

    backend = "kind"

    def __init__(
        self,
        name: str,
        *,
        workdir: Path | str | None = None,
        image: str = KIND_NODE_IMAGE,
        kind_bin: str | None = None,
        kubectl_bin: str | None = None,
        docker_bin: str | None = None,
        keep: bool = False,
        ready_timeout: float = 180.0,
        on_existing: str = "adopt",
    ) -> None:
        super().__init__(name)
        if on_existing not in ON_EXISTING:
            raise ClusterError(f"on_existing must be one of {', '.join(ON_EXISTING)}, not {on_existing!r}")
        self.on_existing = on_existing
        self.workdir = Path(workdir) if workdir else Path.cwd() / ".lab" / "kind" / name
        self.image = image
        self.kind_bin = kind_bin
        self.kubectl_bin = kubectl_bin
        self.docker_bin = docker_bin
        self.keep = keep
        self.ready_timeout = ready_timeout
        self._kind: Any = None

    @property
    def kubeconfig_path(self) -> Path:
        return self.workdir / "kubeconfig"

    @property
    def context(self) -> str:
        """The kubeconfig context kind writes for this cluster."""
        return f"kind-{self.name}"

    def start(self) -> None:
        reason = kind_unavailable_reason(self.kind_bin, self.docker_bin)
        if reason:
            raise ClusterError(f"cannot start kind cluster {self.name!r}: {reason}")
        kind = Path(self.kind_bin or shutil.which("kind") or "kind")
        kubectl = self.kubectl_bin or shutil.which("kubectl")
        if not kubectl:
            raise ClusterError("no `kubectl` on PATH: install kubectl 1.32 (the kind backend uses it)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._kind = _make_kind_cluster(self.name, self.workdir, self.image, kind, Path(kubectl))
        adopted = self._take_over_existing(kind)
        try:
            self._kind.create()
        except subprocess.CalledProcessError as exc:
            raise ClusterError(
                f"`kind create cluster --name {self.name}` failed with exit code {exc.returncode}; "
                "see kind's output above (is Docker running, is the image pullable?)"
            ) from exc
        self._wait_ready()
        if adopted:
            self.clean_lab_namespaces()

    def _take_over_existing(self, kind: Path) -> bool:
        """Adopt (fresh kubeconfig) or delete a leftover cluster of this name; True when it was adopted."""
        if self.name not in existing_clusters(kind):
            return False
        if self.on_existing == "recreate":
            self.delete()
            self._kind = _make_kind_cluster(self.name, self.workdir, self.image, kind,
                                            Path(self.kubectl_bin or shutil.which("kubectl") or "kubectl"))
            self.notice = f"kind cluster {self.name!r} already existed: deleted it and created a new one"
            return False
        out = subprocess.run([str(kind), "get", "kubeconfig", "--name", self.name], capture_output=True, text=True,
                             timeout=60)
        if out.returncode != 0 or not out.stdout.strip():
            detail = (out.stderr.strip().splitlines() or ["an empty kubeconfig"])[-1]
            raise ClusterError(
                f"kind cluster {self.name!r} exists but `kind get kubeconfig --name {self.name}` failed ({detail}); "
                f"delete it with `kind delete cluster --name {self.name}` (or `workshop down`) and start again"
            )
        self.kubeconfig_path.write_text(out.stdout)
        self.kubeconfig_path.chmod(0o600)
        self.notice = (f"kind cluster {self.name!r} already existed: adopted it with a fresh kubeconfig and "
                       "deleted the namespaces an earlier lab left")
        return True

    def clean_lab_namespaces(self, timeout: float | None = None) -> list[str]:
        """Delete every namespace a fresh kind cluster does not have, and wait until they are gone."""
        api = kubernetes.config.new_client_from_config(config_file=str(self.kubeconfig_path))
        with api:
            core = kubernetes.client.CoreV1Api(api)
            leftovers = sorted(_namespace_names(core) - KIND_NAMESPACES)
            for name in leftovers:
                try:
                    core.delete_namespace(name)
                except ApiException as exc:
                    if exc.status != 404:
                        raise
            deadline = time.monotonic() + (self.ready_timeout if timeout is None else timeout)
            while leftovers and time.monotonic() < deadline:
                if not _namespace_names(core) & set(leftovers):
                    break
                time.sleep(1)
            else:
                if leftovers:
                    raise ClusterError(f"namespaces {', '.join(leftovers)} of an earlier lab on kind cluster "
                                       f"{self.name!r} are still terminating; wait, or recreate the cluster "
                                       f"with `kind delete cluster --name {self.name}`")
        return leftovers

    def _wait_ready(self) -> None:
        """Wait until the API answers, the node is Ready and the default ServiceAccount exists."""
        deadline = time.monotonic() + self.ready_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            try:
                client = kubernetes.config.new_client_from_config(config_file=str(self.kubeconfig_path))
                with client:
                    core = kubernetes.client.CoreV1Api(client)
                    core.read_namespaced_service_account("default", "default", _request_timeout=5)
                    not_ready = [str(node.metadata.name if node.metadata else "?")
                                 for node in core.list_node(_request_timeout=5).items if not _node_ready(node)]
                if not not_ready:
                    return
                last_error = f"node {', '.join(not_ready)} is not Ready yet"
            except (ApiException, OSError, kubernetes.config.ConfigException) as exc:
                last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            except Exception as exc:  # urllib3 connection errors while the node boots
                last_error = f"{type(exc).__name__}: {exc}"
            time.sleep(1)
        raise ClusterError(
            f"kind cluster {self.name!r} did not become ready in {self.ready_timeout:.0f}s ({last_error}); "
            f"check `kind get clusters` and `docker ps`"
        )

    def stop(self) -> None:
        if self._kind is None or self.keep:
            return
        self.delete()

    def delete(self) -> None:
        """Delete the kind cluster (also one created by an earlier process, e.g. `workshop up`)."""
        kind = Path(self.kind_bin or shutil.which("kind") or "")
        if not kind.name:
            raise ClusterError(f"no `kind` binary on PATH to delete cluster {self.name!r}: {KIND_INSTALL_HINT}")
        cluster = self._kind or _make_kind_cluster(
            self.name, self.workdir, self.image, kind, Path(self.kubectl_bin or shutil.which("kubectl") or "kubectl")
        )
        try:
            cluster.delete()
        except subprocess.CalledProcessError as exc:
            raise ClusterError(
                f"`kind delete cluster --name {self.name}` failed (exit {exc.returncode}); "
                f"remove it by hand with `kind delete cluster --name {self.name}`"
            ) from exc
        finally:
            self._kind = None

    def kubectl(self, *args: str) -> str:
        """Run kubectl against this cluster and return its output."""
        if self._kind is None:
            raise ClusterError(f"kind cluster {self.name!r} is not started: call start() first")
        return str(self._kind.kubectl(*args))

    def load_docker_image(self, image: str) -> None:
        """Copy a local Docker image into the cluster's node (`kind load docker-image`)."""
        if self._kind is None:
            raise ClusterError(f"kind cluster {self.name!r} is not started: call start() first")
        self._kind.load_docker_image(image)


def _node_ready(node: Any) -> bool:
    conditions = (node.status.conditions if node.status else None) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def _namespace_names(core: Any) -> set[str]:
    return {str(ns.metadata.name) for ns in core.list_namespace().items if ns.metadata}
