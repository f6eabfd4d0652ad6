"""The ReplicationController manager: ReplicaSet's controller for the older kind (selector is a plain label map)."""

from __future__ import annotations

from workshop.cluster.embedded.api import GVR

from .replicaset import ReplicaSetController

REPLICATIONCONTROLLERS = GVR("", "v1", "replicationcontrollers")


class ReplicationControllerController(ReplicaSetController):
    name = "replicationcontroller"
    gvr = REPLICATIONCONTROLLERS
    kind = "ReplicationController"
    component = "replication-controller"
