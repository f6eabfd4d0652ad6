"""Lab clusters: the embedded API server (offline default), kind, or any kubeconfig."""

from workshop.cluster.base import ClusterError, LabCluster
from workshop.cluster.select import (
    BACKENDS,
    DEFAULT_BACKEND,
    available_backends,
    create_cluster,
    unavailable_reason,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "ClusterError",
    "LabCluster",
    "available_backends",
    "create_cluster",
    "unavailable_reason",
]
