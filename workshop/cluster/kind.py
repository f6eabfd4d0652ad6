"""A lab cluster on kind (Kubernetes in Docker), driven through pytest-kind's KindCluster.

Uses the `kind` and `kubectl` binaries already on PATH (never downloads one: pytest-kind's downloads are
amd64-only) and a pinned node image that matches kubectl 1.32.
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

KIND_VERSION = "v0.27.0"
KIND_NODE_IMAGE = "kindest/node:v1.32.2@sha256:f226345927d7e348497136874b6d207e0b32cc52154ad8323129352923a3142f"
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
    ) -> None:
        super().__init__(name)
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
        try:
            self._kind.create()
        except subprocess.CalledProcessError as exc:
            raise ClusterError(
                f"`kind create cluster --name {self.name}` failed with exit code {exc.returncode}; "
                "see kind's output above (is Docker running, is the image pullable?)"
            ) from exc
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Wait until the API answers and the default ServiceAccount exists (pods can be created then)."""
        deadline = time.monotonic() + self.ready_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            try:
                client = kubernetes.config.new_client_from_config(config_file=str(self.kubeconfig_path))
                with client:
                    kubernetes.client.CoreV1Api(client).read_namespaced_service_account(
                        "default", "default", _request_timeout=5
                    )
                return
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
