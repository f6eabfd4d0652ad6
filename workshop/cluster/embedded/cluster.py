"""EmbeddedCluster: the offline lab cluster — an in-process Kubernetes API server with simulated workloads."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from workshop.cluster.base import ClusterError, LabCluster

from . import persistence
from .rest import ApiServer
from .server import HttpServer
from .simulate import Simulation
from .store import Store
from .tls import LabPKI

if TYPE_CHECKING:
    import http.client
    import ssl

    import requests


def kubeconfig_document(name: str, url: str, pki: LabPKI | None = None) -> dict:
    """A kubeconfig with one cluster/context/user named `name`, namespace default; with a PKI, like kind's (the
    cluster CA, and the client certificate of kubernetes-admin in system:masters), else plain http."""
    cluster: dict = {"server": url}
    user: dict = {}
    if pki is not None:
        cluster = {**pki.kubeconfig_cluster(), **cluster}
        user = pki.kubeconfig_user()
    return {"apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": name, "cluster": cluster}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}}],
            "current-context": name, "users": [{"name": name, "user": user}]}


def write_kubeconfig(path: Path, name: str, url: str, pki: LabPKI | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(kubeconfig_document(name, url, pki), sort_keys=False))
    tmp.replace(path)


def _env_flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).lower() in ("1", "true", "yes", "on")


def tls_default() -> bool:
    """Whether lab clusters serve HTTPS unless told otherwise: yes, as kind's do; $WORKSHOP_EMBEDDED_TLS=0 (or
    EmbeddedCluster(tls=False), `--no-tls`) serves plain HTTP without credentials instead."""
    return _env_flag("WORKSHOP_EMBEDDED_TLS", "1")


class EmbeddedCluster(LabCluster):
    """A Kubernetes API on 127.0.0.1 served from this process, with simulated controllers and kubelet."""

    backend = "embedded"
    in_process = True

    def __init__(self, name: str = "lab", *, workdir: Path | None = None, state_dir: Path | None = None,
                 port: int = 0, image_available: Callable[[str], bool] | None = None,
                 kubeconfig: Path | None = None, tls: bool | None = None,
                 system_pods: bool | None = None) -> None:
        super().__init__(name)
        #: run kind's kube-system workloads (coredns, etcd, kube-apiserver, …, kindnet, local-path-provisioner);
        #: on unless $WORKSHOP_EMBEDDED_SYSTEM_PODS=0
        self.system_pods = _env_flag("WORKSHOP_EMBEDDED_SYSTEM_PODS", "1") if system_pods is None else system_pods
        #: serve HTTPS with the lab's CA and a client-certificate admin user (kind's way); plain HTTP otherwise
        self.tls = tls_default() if tls is None else tls
        self.pki: LabPKI | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"embedded-{name}-")
            workdir = Path(self._tmp.name)
        self.workdir = Path(workdir)
        self.state_dir = Path(state_dir) if state_dir else None
        self.port = port
        self._image_available = image_available
        self._kubeconfig = Path(kubeconfig) if kubeconfig else self.workdir / "kubeconfig"
        self._store: Store | None = None
        self._http: HttpServer | None = None
        self._simulation: Simulation | None = None
        self._saver: persistence.Saver | None = None

    # ------------------------------------------------------------------ properties
    @property
    def image_available(self) -> Callable[[str], bool] | None:
        """Which images the simulated node can pull (None: every valid reference); settable while running."""
        return self._image_available

    @image_available.setter
    def image_available(self, oracle: Callable[[str], bool] | None) -> None:
        self._image_available = oracle
        if self._simulation is not None:
            self._simulation.image_available = oracle

    @property
    def kubeconfig_path(self) -> Path:
        return self._kubeconfig

    @property
    def url(self) -> str:
        if self._http is None:
            raise ClusterError(f"embedded cluster {self.name!r} is not running: call start() first")
        return f"{'https' if self.pki is not None else 'http'}://127.0.0.1:{self._http.port}"

    @property
    def port_number(self) -> int:
        """The TCP port the API server listens on."""
        if self._http is None:
            raise ClusterError(f"embedded cluster {self.name!r} is not running: call start() first")
        return self._http.port

    @property
    def store(self) -> Store:
        if self._store is None:
            raise ClusterError(f"embedded cluster {self.name!r} is not running: call start() first")
        return self._store

    @property
    def simulation(self) -> Simulation | None:
        return self._simulation

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        from .simulate import bootstrap

        if self._http is not None:
            return
        store = Store(uid_seed=self.name)
        restored = False
        if self.state_dir is not None:
            try:
                restored = persistence.load(store, self.state_dir)
            except RuntimeError as e:
                raise ClusterError(str(e)) from e
        pki = LabPKI(self.workdir / "pki").ensure() if self.tls else None
        try:
            http = HttpServer(ApiServer(store), self.port, ssl_context=pki.server_context() if pki else None)
        except OSError as e:
            raise ClusterError(f"cannot listen on 127.0.0.1:{self.port} ({e.strerror}): pick another port or "
                               "stop the process that uses it") from e
        http.api.server_address = f"127.0.0.1:{http.port}"
        if pki is not None:
            http.api.auth.use_pki(pki)
        self.pki = pki
        self._store, self._http = store, http
        controllers = None
        ca_bundle = pki.ca_cert.read_text() if pki is not None else None  # what kube-root-ca.crt publishes
        if pki is not None:
            from .simulate.controllers import default_controllers
            from .simulate.csr_signer import CSRSigner

            controllers = [*default_controllers(ca_bundle), CSRSigner(pki)]
        simulation = Simulation(store, image_available=self.image_available, controllers=controllers)
        simulation.give_way = http.api.activity.wait_quiet  # in-process controllers yield to API requests
        self._simulation = simulation
        if not restored:
            bootstrap(store, system_workloads=self.system_pods, ca_bundle=ca_bundle)
        simulation.start()
        if not restored and self.system_pods:
            self.wait_settled(30)  # kube-system up before the first request: a fresh lab starts the same way
        http.start_background()
        if self.state_dir is not None:
            self._saver = persistence.Saver(store, self.state_dir)
            self._saver.start()
        self.workdir.mkdir(parents=True, exist_ok=True)
        write_kubeconfig(self._kubeconfig, self.name, self.url, pki)

    def http_session(self, client_certificate: bool = True) -> requests.Session:
        """A requests Session for raw calls to this cluster: trusts its CA and presents the lab user's
        certificate when it serves TLS (plain HTTP otherwise). Without the certificate a request is anonymous
        unless it carries a bearer token."""
        import requests

        session = requests.Session()
        if self.pki is not None:
            session.trust_env = False  # else $REQUESTS_CA_BUNDLE would replace the lab CA
            session.verify = str(self.pki.ca_cert)
            if client_certificate:
                session.cert = (str(self.pki.admin_cert), str(self.pki.admin_key))
        return session

    def ssl_context(self, client_certificate: bool = True) -> ssl.SSLContext | None:
        """The client TLS context for raw sockets, urllib or http.client (None when the cluster serves HTTP)."""
        return None if self.pki is None else self.pki.client_context(client_certificate)

    def http_connection(self, timeout: float = 10.0, client_certificate: bool = True) -> http.client.HTTPConnection:
        """An http.client connection to this cluster (HTTPS with the lab CA when it serves TLS)."""
        import http.client

        if self.pki is None:
            return http.client.HTTPConnection("127.0.0.1", self.port_number, timeout=timeout)
        return http.client.HTTPSConnection("127.0.0.1", self.port_number, timeout=timeout,
                                           context=self.pki.client_context(client_certificate))

    def wait_settled(self, timeout: float = 30.0) -> None:
        """Wait until every change has reached the simulation and it has nothing left to do now."""
        if self._store is None or self._simulation is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = max(0.0, deadline - time.monotonic())
            if (self._store.dispatch_idle(left) and self._simulation.wait_idle(max(0.0, deadline - time.monotonic()))
                    and self._store.dispatch_idle(0) and not self._simulation.pending()):
                return
        raise ClusterError(f"the embedded cluster did not settle within {timeout:.0f}s")

    def stop(self) -> None:
        if self._simulation is not None:
            self._simulation.stop()
            self._simulation = None
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._store is not None:
            self._store.stop()
        if self._saver is not None:
            self._saver.stop()
            self._saver = None
        self._store = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __repr__(self) -> str:
        state = self.url if self._http is not None else "stopped"
        return f"EmbeddedCluster(name={self.name!r}, {state})"
