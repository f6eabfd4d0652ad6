"""Choose a lab cluster backend by name: embedded (offline default), kind, or kubeconfig."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workshop.cluster.base import ClusterError, LabCluster

BACKENDS = ("embedded", "kind", "kubeconfig")
DEFAULT_BACKEND = "embedded"


def _embedded(name: str, **opts: Any) -> LabCluster:
    from workshop.cluster.embedded import EmbeddedCluster

    return EmbeddedCluster(name, **opts)  # type: ignore[no-any-return]


def _kind(name: str, **opts: Any) -> LabCluster:
    from workshop.cluster.kind import KindLabCluster

    return KindLabCluster(name, **opts)


def _kubeconfig(name: str, **opts: Any) -> LabCluster:
    from workshop.cluster.kubeconfig import KubeconfigCluster

    return KubeconfigCluster(name, **opts)


_FACTORIES: dict[str, Callable[..., LabCluster]] = {
    "embedded": _embedded,
    "kind": _kind,
    "kubeconfig": _kubeconfig,
}


def create_cluster(backend: str, name: str, **opts: Any) -> LabCluster:
    """A not-yet-started lab cluster of the given backend; opts go to that backend's constructor."""
    factory = _FACTORIES.get(backend)
    if factory is None:
        raise ClusterError(f"unknown cluster backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    try:
        return factory(name, **opts)
    except TypeError as exc:
        raise ClusterError(f"bad options for the {backend} backend: {exc}") from exc


def unavailable_reason(backend: str) -> str | None:
    """Why a backend cannot run on this machine, or None if it can (kubeconfig is checked at start)."""
    if backend not in _FACTORIES:
        return f"unknown cluster backend {backend!r}: choose one of {', '.join(BACKENDS)}"
    if backend == "kind":
        from workshop.cluster.kind import kind_unavailable_reason

        return kind_unavailable_reason()
    return None


def available_backends() -> list[str]:
    """The backends that can start here without a user-supplied cluster: embedded always, kind with Docker."""
    return [b for b in ("embedded", "kind") if unavailable_reason(b) is None]
