"""The set of simulated control loops a lab cluster runs."""

from __future__ import annotations

from .core import Controller
from .deployment import DeploymentController
from .kubelet import Kubelet
from .namespaces import NamespaceDefaults
from .replicaset import ReplicaSetController


def default_controllers() -> list[Controller]:
    """kube-controller-manager loops, the scheduler and the kubelet, in the order they are consulted."""
    return [NamespaceDefaults(), DeploymentController(), ReplicaSetController(), Kubelet()]
