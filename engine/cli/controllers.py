"""Give the CLI's in-process manager the notification and image controllers whose CRDs `gitops install` put in."""

from __future__ import annotations

from typing import Any

from engine.api.kinds import KindInfo
from engine.cli.session import Session

CRD_API = "apiextensions.k8s.io/v1"


def crd_installed(s: Session, info: KindInfo) -> bool:
    return s.client.get(CRD_API, "CustomResourceDefinition", info.crd_name) is not None


def register_installed(s: Session) -> Any:
    """Register the Provider/Alert/Receiver and image reconcilers on `s.manager` when their CRDs are served
    (idempotent; no webhook server is started). Returns the manager."""
    from engine.image.kinds import IMAGE_REPOSITORY
    from engine.image.reconcilers import register_image_reconcilers
    from engine.notify import PROVIDER, register_notification

    manager = s.manager
    if PROVIDER.kind not in manager.reconcilers and crd_installed(s, PROVIDER):
        register_notification(manager, receiver_port=None)
    if IMAGE_REPOSITORY.kind not in manager.reconcilers and crd_installed(s, IMAGE_REPOSITORY):
        register_image_reconcilers(manager)
    return manager
