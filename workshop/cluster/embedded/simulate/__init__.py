"""Simulated kube-controller-manager, scheduler and kubelet for the embedded API server."""

from .bootstrap import bootstrap
from .core import Clock
from .runner import Simulation

__all__ = ["Clock", "Simulation", "bootstrap"]
