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


def default_controllers() -> list[Controller]:
    """kube-controller-manager loops, the scheduler and the kubelet."""
    return [NamespaceDefaults(), DeploymentController(), ReplicaSetController(), StatefulSetController(),
            DaemonSetController(), JobController(), CronJobController(), VolumeController(), EndpointsController(), Kubelet(),
            ClusterRoleAggregation(), APIServiceRegistration(), ReplicationControllerController()]
