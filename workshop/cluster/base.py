"""The one interface every lab cluster offers, whatever runs it (embedded API server, kind, a kubeconfig)."""

from __future__ import annotations

import abc
from pathlib import Path

import kubernetes.client
import kubernetes.config


class ClusterError(RuntimeError):
    """A lab cluster could not be started, reached or stopped; the message says what to do."""


class LabCluster(abc.ABC):
    """A Kubernetes API a lab talks to. Subclasses: EmbeddedCluster, KindLabCluster, KubeconfigCluster."""

    backend: str = ""
    #: the API server runs in this Python process (and shares its interpreter lock)
    in_process: bool = False

    def __init__(self, name: str) -> None:
        self.name = name
        #: what start() found and did that a learner should hear about (e.g. a leftover kind cluster adopted)
        self.notice = ""

    @property
    @abc.abstractmethod
    def kubeconfig_path(self) -> Path:
        """A kubeconfig file that kubectl, the engine and the Python client can use."""

    @abc.abstractmethod
    def start(self) -> None:
        """Start (or connect to) the cluster; returns when the API answers."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the cluster (or disconnect) and clean up what start() created."""

    def api_client(self) -> kubernetes.client.ApiClient:
        """A fresh official-client ApiClient configured from this cluster's kubeconfig."""
        return kubernetes.config.new_client_from_config(config_file=str(self.kubeconfig_path))

    def wait_settled(self, timeout: float = 30.0) -> None:  # noqa: B027 - optional hook
        """Wait until simulated workloads stop changing (embedded); real clusters need no wait."""

    def __enter__(self) -> LabCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
