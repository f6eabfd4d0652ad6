"""Notification controller: Provider/Alert (v1beta3) dispatch and the Receiver (v1) webhook server.

`register_notification(manager)` adds the three reconcilers (call before `manager.install_crds()`), hooks the
Alert dispatcher onto the manager's EventRecorder and starts the webhook receiver on 127.0.0.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.notify.dispatch import AlertDispatcher, sign
from engine.notify.kinds import ALERT, PROVIDER, RECEIVER
from engine.notify.receiver import ReceiverServer
from engine.notify.reconcilers import AlertReconciler, ProviderReconciler, ReceiverReconciler, webhook_path

__all__ = ["ALERT", "PROVIDER", "RECEIVER", "AlertDispatcher", "Notification", "ReceiverServer",
           "register_notification", "sign", "webhook_path"]


@dataclass
class Notification:
    """What `register_notification` wired: the dispatcher (an EventRecorder sink) and the receiver server."""

    dispatcher: AlertDispatcher
    receiver: ReceiverServer | None

    @property
    def receiver_url(self) -> str:
        return self.receiver.url if self.receiver else ""

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.stop()


def register_notification(manager: Any, *, receiver_port: int | None = 0, receiver_host: str = "127.0.0.1",
                          rate_limit: float = 300.0) -> Notification:
    """Register Provider/Alert/Receiver reconcilers, the Alert sink and (unless `receiver_port` is None) the
    webhook server (`0`: a random free port)."""
    for reconciler in (ProviderReconciler, AlertReconciler, ReceiverReconciler):
        manager.register(reconciler(manager.client, manager.recorder, manager.logger))
    dispatcher = AlertDispatcher(manager.client, manager.logger, rate_limit=rate_limit,
                                 recorder=manager.recorder)
    manager.recorder.add_sink(dispatcher)
    server = None
    if receiver_port is not None:
        server = ReceiverServer(manager.client, manager.logger, host=receiver_host, port=receiver_port).start()
    return Notification(dispatcher, server)
