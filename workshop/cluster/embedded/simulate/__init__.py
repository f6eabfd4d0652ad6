"""Simulated kube-controller-manager, scheduler and kubelet for the embedded API server."""

from .bootstrap import bootstrap
from .core import Clock, Simulation

__all__ = ["Clock", "Simulation", "bootstrap"]
