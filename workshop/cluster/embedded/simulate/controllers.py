"""The set of simulated control loops a lab cluster runs."""

from __future__ import annotations

from .apiservices import APIServiceRegistration
from .core import Controller
from .cronjob import CronJobController
from .daemonset import DaemonSetController
from .deployment import DeploymentController
from .endpoints import EndpointsController
from .job import JobController
from .kubelet import Kubelet
from .namespaces import NamespaceDefaults
from .rbac import ClusterRoleAggregation
from .replicaset import ReplicaSetController
from .replicationcontroller import ReplicationControllerController
from .statefulset import StatefulSetController
from .volumes import VolumeController


def default_controllers(ca_bundle: str | None = None) -> list[Controller]:
    """kube-controller-manager loops, the scheduler and the kubelet (`ca_bundle`: the CA kube-root-ca.crt holds)."""
    return [NamespaceDefaults(ca_bundle), DeploymentController(), ReplicaSetController(), StatefulSetController(),
            DaemonSetController(), JobController(), CronJobController(), VolumeController(), EndpointsController(), Kubelet(),
            ClusterRoleAggregation(), APIServiceRegistration(), ReplicationControllerController()]
