"""Reconcilers for Provider, Alert (v1beta3) and Receiver (v1), on engine.api's phased pattern.

Provider and Alert only validate and report Ready (`Initialized`, as the v1beta2 controllers did; v1beta3 Flux
keeps them status-less). The Receiver reconciler reads the token and publishes `status.webhookPath`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from engine.api import conditions as c
from engine.api.duration import format_duration, spec_interval
from engine.api.reconcile import Context, Phase, PhasedReconciler, Result
from engine.api.types import View
from engine.client import ApiError
from engine.events import NORMAL, WARNING
from engine.notify.dispatch import DELIVERED_TYPES, ProviderError, provider_settings, secret_data
from engine.notify.kinds import ALERT, PROVIDER, PROVIDER_TYPES, RECEIVER, RECEIVER_TYPES

Obj = dict[str, Any]
CONTROLLER = "notification-controller"
INITIALIZED = "Initialized"
TOKEN_NOT_FOUND = "TokenNotFound"
VALIDATION_FAILED = "ValidationFailed"
PROVIDER_NOT_SUPPORTED = "ProviderNotSupported"


def webhook_path(token: str, name: str, namespace: str) -> str:
    """`/hook/` + hex sha256(token + name + namespace), as notification-controller computes it."""
    return "/hook/" + hashlib.sha256(f"{token}{name}{namespace}".encode()).hexdigest()




class _NotifyReconciler(PhasedReconciler):
    controller = CONTROLLER

    def phase_start(self, ctx: Context) -> Result | None:
        return self.open_reconcile(ctx, generation_message=False)

    def fail(self, ctx: Context, reason: str, message: str, *, stalled: bool = False,
             retry: float | None = 60.0) -> Result:
        previous = c.get_condition(ctx.obj, c.READY)
        c.mark_false(ctx.obj, c.READY, reason, message)
        if stalled:
            c.mark_stalled(ctx.obj, reason, message)
        if previous is None or previous.get("message") != message or previous.get("status") != c.FALSE:
            self.event(ctx, WARNING, reason, message)
        return Result(requeue_after=None if stalled else retry, error=message, reason=reason)

    def succeed(self, ctx: Context, reason: str, message: str, requeue: float | None,
                event_message: str | None = None) -> Result:
        previous = c.get_condition(ctx.obj, c.READY)
        c.mark_true(ctx.obj, c.READY, reason, message)
        c.delete_condition(ctx.obj, c.STALLED)
        if event_message and (previous is None or previous.get("message") != message
                              or previous.get("status") != c.TRUE):
            self.event(ctx, NORMAL, c.SUCCEEDED, event_message)
        return Result(requeue_after=requeue)

    def finish_status(self, ctx: Context) -> None:
        if ctx.values.get("suspended"):
            return
        c.delete_condition(ctx.obj, c.RECONCILING)
        ctx.status["observedGeneration"] = View(ctx.obj).generation


class ProviderReconciler(_NotifyReconciler):
    """Validates type, secret and address; only generic/generic-hmac are deliverable offline."""

    kind = PROVIDER

    def phases(self) -> list[tuple[str, Phase]]:
        return [("start", self.phase_start), ("validate", self.phase_validate)]

    def phase_validate(self, ctx: Context) -> Result | None:
        ptype = str((ctx.obj.get("spec") or {}).get("type") or "")
        if ptype not in PROVIDER_TYPES:
            return self.fail(ctx, VALIDATION_FAILED, f"unsupported provider type '{ptype}'", stalled=True)
        if ptype not in DELIVERED_TYPES:
            return self.fail(ctx, PROVIDER_NOT_SUPPORTED, f"provider type '{ptype}' is not supported offline in "
                             "this workshop: only generic and generic-hmac deliver events", stalled=True)
        try:
            settings = provider_settings(self.client, ctx.obj)
        except ProviderError as err:
            return self.fail(ctx, VALIDATION_FAILED, f"failed to read secret: {err}", retry=30.0)
        if not settings["address"]:
            return self.fail(ctx, VALIDATION_FAILED, "no address found in 'spec.address' nor in "
                             "'spec.secretRef'", retry=30.0)
        if ptype == "generic-hmac" and not settings["token"]:
            return self.fail(ctx, VALIDATION_FAILED, "generic-hmac provider requires the key 'token' in "
                             "'spec.secretRef'", retry=30.0)
        return self.succeed(ctx, c.SUCCEEDED, INITIALIZED, None)

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        return False


class AlertReconciler(_NotifyReconciler):
    """Checks that the referenced Provider exists (same namespace)."""

    kind = ALERT

    def phases(self) -> list[tuple[str, Phase]]:
        return [("start", self.phase_start), ("validate", self.phase_validate)]

    def phase_validate(self, ctx: Context) -> Result | None:
        ref = ((ctx.obj.get("spec") or {}).get("providerRef") or {}).get("name", "")
        ns = ctx.obj["metadata"].get("namespace", "default")
        provider = self.client.get(PROVIDER.api_version, PROVIDER.kind, ref, ns)
        if provider is None:
            return self.fail(ctx, "ProviderNotFound", f"failed to get provider {ns}/{ref}: "
                             f"providers.notification.toolkit.fluxcd.io \"{ref}\" not found", retry=30.0)
        return self.succeed(ctx, c.SUCCEEDED, INITIALIZED, None)

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        if changed.get("kind") != "Provider":
            return False
        ref = ((obj.get("spec") or {}).get("providerRef") or {}).get("name")
        return ref == changed["metadata"]["name"] and \
            obj["metadata"].get("namespace") == changed["metadata"].get("namespace")


class ReceiverReconciler(_NotifyReconciler):
    """Reads the token and publishes `status.webhookPath`; Ready: `Receiver initialized for path: …`."""

    kind = RECEIVER

    def phases(self) -> list[tuple[str, Phase]]:
        return [("start", self.phase_start), ("token", self.phase_token)]

    def phase_token(self, ctx: Context) -> Result | None:
        spec, meta = ctx.obj.get("spec") or {}, ctx.obj["metadata"]
        ns, name = meta.get("namespace", "default"), meta["name"]
        interval = spec_interval(ctx.obj, 600.0)
        rtype = str(spec.get("type") or "")
        if rtype not in RECEIVER_TYPES:
            return self.fail(ctx, VALIDATION_FAILED, f"unsupported receiver type '{rtype}'", stalled=True)
        secret_name = (spec.get("secretRef") or {}).get("name", "")
        try:
            token = secret_data(self.client, secret_name, ns).get("token", "")
        except (ProviderError, ApiError) as err:
            return self.fail(ctx, TOKEN_NOT_FOUND, f"unable to read token from secret '{ns}/{secret_name}' "
                             f"error: {err}", retry=interval)
        if not token:
            return self.fail(ctx, TOKEN_NOT_FOUND, f"unable to read token from secret '{ns}/{secret_name}' "
                             "error: invalid 'token' secret data: required field 'token'", retry=interval)
        path = webhook_path(token, name, ns)
        ctx.status["webhookPath"] = path
        return self.succeed(ctx, c.SUCCEEDED, f"Receiver initialized for path: {path}", interval,
                            event_message=f"Reconciliation finished, next run in {format_duration(interval)}")

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        return False
