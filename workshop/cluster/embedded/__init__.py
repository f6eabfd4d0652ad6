"""The embedded Kubernetes API server: store, REST/HTTP front end, watch, tables, OpenAPI, simulated workloads."""

from .cluster import EmbeddedCluster

__all__ = ["EmbeddedCluster"]
