"""pytest plugin: fixtures that give each test a lab cluster, the way pytest-kind does for kind.

* `embedded_cluster`: a fresh embedded API server per test (fast, no Docker).
* `kind_cluster`: one kind cluster per session (marker `kind`; skipped with the reason when Docker or
  kind is missing). Options: --kind-cluster-name, --kind-image, --keep-kind-cluster.
* `lab_cluster`: parametrized over every backend (embedded always, kind where it can run), for tests
  that must hold on any cluster. A test marked `embedded_only(reason)` skips its kind param with the reason.
* `lab_namespaces`: the namespaces one test owns on its `lab_cluster`, named from the test id (so tests
  sharing the kind cluster never see each other) and deleted when the test ends.
* `chart_repository` / `chart_registry`: the lab's Helm charts served over HTTP on 127.0.0.1, and pushed as OCI
  charts to an embedded lab registry.
* `fake_apiserver`: a stand-in API answering only /version and the default ServiceAccount, for tests of
  the providers and the CLI that must not depend on a real server.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from workshop.cluster.base import LabCluster

LAB_BACKENDS = ("embedded", "kind")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("workshop", "lab clusters")
    group.addoption("--kind-cluster-name", default="workshop-test", help="name of the kind cluster for tests")
    group.addoption("--kind-image", default=None, help="kind node image (default: the kit's pinned 1.32 image)")
    group.addoption("--keep-kind-cluster", action="store_true", help="do not delete the kind cluster afterwards")


def _new_embedded(workdir: Path) -> Any:
    from workshop.cluster.embedded import EmbeddedCluster

    return EmbeddedCluster(name="test", workdir=workdir)


@pytest.fixture
def embedded_cluster(tmp_path: Path) -> Iterator[Any]:
    """A fresh embedded Kubernetes API server for one test (fast: no Docker)."""
    cluster = _new_embedded(tmp_path / "cluster")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def kind_cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    """A real kind cluster shared by the session; skips with the reason when Docker or kind is missing."""
    from workshop.cluster.kind import KIND_NODE_IMAGE, KindLabCluster, kind_unavailable_reason

    reason = kind_unavailable_reason()
    if reason:
        pytest.skip(f"kind cluster unavailable: {reason}")
    config = request.config
    cluster = KindLabCluster(
        config.getoption("kind_cluster_name"),
        workdir=tmp_path_factory.mktemp("kind"),
        image=config.getoption("kind_image") or KIND_NODE_IMAGE,
        keep=config.getoption("keep_kind_cluster"),
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=[
    pytest.param("embedded", id="embedded"),
    pytest.param("kind", id="kind", marks=pytest.mark.kind),
])
def lab_cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LabCluster]:
    """Each available lab cluster backend in turn: a fresh embedded server, or the session's kind cluster."""
    if request.param == "kind":
        only = request.node.get_closest_marker("embedded_only")
        if only is not None:
            why = only.args[0] if only.args else only.kwargs.get("reason", "")
            if not why:
                raise pytest.UsageError(f"{request.node.nodeid}: embedded_only needs a reason, e.g. "
                                        "@pytest.mark.embedded_only('uses the simulated kubelet')")
            pytest.skip(f"embedded only: {why}")
        yield request.getfixturevalue("kind_cluster")
        return
    cluster = _new_embedded(tmp_path / "cluster")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


NAMESPACE_SLUG_MAX = 36


def namespace_for(nodeid: str, name: str) -> str:
    """A namespace name for one test: a readable slug of `name` plus a hash of the full test id (DNS-1123)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().removeprefix("test_")).strip("-")[:NAMESPACE_SLUG_MAX]
    digest = hashlib.sha256(nodeid.encode()).hexdigest()[:6]
    return f"{slug.rstrip('-')}-{digest}" if slug else f"t-{digest}"


class LabNamespaces:
    """The namespaces one test owns on a cluster: `base`, and `base-<suffix>` for each further one."""

    def __init__(self, cluster: LabCluster, base: str) -> None:
        self.base = base
        self.api = kubernetes.client.CoreV1Api(cluster.api_client())
        self.owned: list[str] = []

    def name(self, suffix: str = "") -> str:
        """The namespace name for `suffix` (owned: deleted at the end of the test, whoever creates it)."""
        name = f"{self.base}-{suffix}" if suffix else self.base
        if name not in self.owned:
            self.owned.append(name)
        return name

    def create(self, suffix: str = "", timeout: float = 60.0) -> str:
        """Create and own the namespace for `suffix` (an Active one is reused; a Terminating one, left by the
        same test in an earlier run on a kept cluster, is waited for); returns its name."""
        name = self.name(suffix)
        body = kubernetes.client.V1Namespace(metadata=kubernetes.client.V1ObjectMeta(name=name))
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.api.create_namespace(body)
                return name
            except ApiException as exc:
                if exc.status != 409:
                    raise
            if self._phase(name) == "Active":
                return name
            if time.monotonic() > deadline:
                raise TimeoutError(f"namespace {name} is still terminating after {timeout:.0f}s; "
                                   f"check `kubectl get namespace {name} -o yaml` for finalizers")
            time.sleep(0.5)

    def _phase(self, name: str) -> str | None:
        try:
            status = self.api.read_namespace(name).status
            return status.phase if status else None
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def delete_all(self) -> None:
        """Delete every owned namespace (the cluster removes their contents; no waiting)."""
        for name in reversed(self.owned):
            try:
                self.api.delete_namespace(name)
            except ApiException as exc:
                if exc.status != 404:
                    raise
        self.owned.clear()
        self.api.api_client.close()


@pytest.fixture
def lab_namespaces(lab_cluster: LabCluster, request: pytest.FixtureRequest) -> Iterator[LabNamespaces]:
    """Namespaces named from the test id on `lab_cluster`; every one handed out is deleted afterwards."""
    node = request.node
    namespaces = LabNamespaces(lab_cluster, namespace_for(node.nodeid, getattr(node, "originalname", node.name)))
    try:
        yield namespaces
    finally:
        namespaces.delete_all()


@pytest.fixture
def chart_repository() -> Iterator[Any]:
    """The lab's HTTP chart repository (web, ingress-nginx) on 127.0.0.1 for one test."""
    from workshop.chart_repo import LabChartRepository

    with LabChartRepository() as repo:
        yield repo


@pytest.fixture
def chart_registry(chart_repository: Any) -> Iterator[Any]:
    """An embedded lab registry holding the lab charts as OCI artifacts (`oci://<host>/charts/<chart>`)."""
    from workshop.registry import LabRegistry

    with LabRegistry(kind="embedded") as registry:
        chart_repository.push_oci(registry)
        yield registry


_FAKE_ANSWERS = {
    "/version": {
        "major": "1", "minor": "32", "gitVersion": "v1.32.2", "gitCommit": "fake", "gitTreeState": "clean",
        "buildDate": "2025-02-12T00:00:00Z", "goVersion": "go1.23", "compiler": "gc", "platform": "linux/amd64",
    },
    "/api/v1/namespaces/default/serviceaccounts/default": {
        "kind": "ServiceAccount", "apiVersion": "v1", "metadata": {"name": "default", "namespace": "default"},
    },
    "/api/v1/namespaces": {
        "kind": "NamespaceList", "apiVersion": "v1", "metadata": {},
        "items": [{"metadata": {"name": n}} for n in ("default", "kube-node-lease", "kube-public", "kube-system")],
    },
    "/api/v1/nodes": {
        "kind": "NodeList", "apiVersion": "v1", "metadata": {},
        "items": [{"metadata": {"name": "lab-control-plane"},
                   "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}],
    },
}


class _FakeHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0].rstrip("/")
        body = _FAKE_ANSWERS.get(path)
        data = json.dumps(body or {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                                   "reason": "NotFound", "message": f"{path} not found"}).encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


class FakeApiServer:
    """Serves /version, the default ServiceAccount and one Ready node on 127.0.0.1:<random port> until close()."""

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _FakeHandler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def write_kubeconfig(path: Path, contexts: dict[str, str], current: str) -> Path:
    """Write a kubeconfig with one context (and cluster of the same name) per name -> server URL."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": url}} for n, url in contexts.items()],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "u"}} for n in contexts],
        "users": [{"name": "u", "user": {}}],
        "current-context": current,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def fake_apiserver() -> Iterator[FakeApiServer]:
    """A stand-in Kubernetes API that only answers /version, the default ServiceAccount and the node list."""
    server = FakeApiServer()
    try:
        yield server
    finally:
        server.close()
