"""Reconcilers for Provider, Alert (v1beta3) and Receiver (v1), on engine.api's phased pattern.

Provider and Alert only validate and report Ready (`Initialized`, as the v1beta2 controllers did; v1beta3 Flux
keeps them status-less). The Receiver reconciler reads the token and publishes `status.webhookPath`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from engine import reasons
from engine.api import conditions as c
from engine.api.duration import format_duration, spec_interval
from engine.api.reconcile import PhasedReconciler, ReconcileError, Result, Run
from engine.api.types import View
from engine.client import ApiError
from engine.jsonobj import Obj
from engine.notify.dispatch import DELIVERED_TYPES, ProviderError, provider_settings, secret_data
from engine.notify.kinds import ALERT, PROVIDER, PROVIDER_TYPES, RECEIVER, RECEIVER_TYPES

CONTROLLER = "notification-controller"
INITIALIZED = reasons.INITIALIZED
TOKEN_NOT_FOUND = reasons.TOKEN_NOT_FOUND
VALIDATION_FAILED = reasons.VALIDATION_FAILED
PROVIDER_NOT_SUPPORTED = reasons.PROVIDER_NOT_SUPPORTED


def webhook_path(token: str, name: str, namespace: str) -> str:
    """`/hook/` + hex sha256(token + name + namespace), as notification-controller computes it."""
    return "/hook/" + hashlib.sha256(f"{token}{name}{namespace}".encode()).hexdigest()




class _NotifyReconciler(PhasedReconciler[Run]):
    """Shared by Provider, Alert and Receiver: Warning events only when the Ready message changes."""

    controller = CONTROLLER
    run_type = Run

    def phase_start(self, run: Run) -> Result | None:
        """Finish a deletion, add the finalizer, stop if suspended, mark Reconciling."""
        return self.open_reconcile(run, generation_message=False)

    @staticmethod
    def error(reason: str, message: str, *, stalled: bool = False, retry: float | None = 60.0) -> ReconcileError:
        return ReconcileError(reason, message, stalled=stalled, requeue_after=retry)

    def default_requeue(self, run: Run) -> float | None:
        return 60.0

    def fail(self, run: Run, err: ReconcileError, *, logged: bool = False) -> Result:
        previous = c.get_condition({"status": run.old_status}, c.READY)
        err.event = err.event and (previous is None or previous.get("message") != err.message
                                   or previous.get("status") != c.FALSE)
        return super().fail(run, err, logged=logged)

    def done(self, run: Run, reason: str, message: str, requeue: float | None,
             event_message: str | None = None) -> Result:
        run.did(message)
        return self.succeed(run, reason, message, requeue, event_message=event_message)

    def finish_status(self, run: Run) -> None:
        if run.suspended:
            return
        c.delete_condition(run.obj, c.RECONCILING)
        run.status["observedGeneration"] = View(run.obj).generation


class ProviderReconciler(_NotifyReconciler):
    """Validates type, secret and address; only generic/generic-hmac are deliverable offline."""

    kind = PROVIDER

    def phases(self) -> list[tuple[str, Any]]:
        return [("start", self.phase_start), ("validate", self.phase_validate)]

    def phase_validate(self, run: Run) -> Result | None:
        """Check the provider type, its Secret and its address (only generic/generic-hmac deliver offline)."""
        ptype = str((run.obj.get("spec") or {}).get("type") or "")
        if ptype not in PROVIDER_TYPES:
            raise self.error(VALIDATION_FAILED, f"unsupported provider type '{ptype}'", stalled=True)
        if ptype not in DELIVERED_TYPES:
            raise self.error(PROVIDER_NOT_SUPPORTED, f"provider type '{ptype}' is not supported offline in "
                             "this workshop: only generic and generic-hmac deliver events", stalled=True)
        try:
            settings = provider_settings(self.client, run.obj)
        except ProviderError as err:
            raise self.error(VALIDATION_FAILED, f"failed to read secret: {err}", retry=30.0) from None
        if not settings["address"]:
            raise self.error(VALIDATION_FAILED, "no address found in 'spec.address' nor in "
                             "'spec.secretRef'", retry=30.0)
        if ptype == "generic-hmac" and not settings["token"]:
            raise self.error(VALIDATION_FAILED, "generic-hmac provider requires the key 'token' in "
                             "'spec.secretRef'", retry=30.0)
        return self.done(run, c.SUCCEEDED, INITIALIZED, None)

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        return False


class AlertReconciler(_NotifyReconciler):
    """Checks that the referenced Provider exists (same namespace)."""

    kind = ALERT

    def phases(self) -> list[tuple[str, Any]]:
        return [("start", self.phase_start), ("validate", self.phase_validate)]

    def phase_validate(self, run: Run) -> Result | None:
        """Check that the referenced Provider exists in the Alert's namespace."""
        ref = ((run.obj.get("spec") or {}).get("providerRef") or {}).get("name", "")
        ns = run.obj["metadata"].get("namespace", "default")
        provider = self.client.get(PROVIDER.api_version, PROVIDER.kind, ref, ns)
        if provider is None:
            raise self.error(reasons.PROVIDER_NOT_FOUND, f"failed to get provider {ns}/{ref}: "
                             f"providers.notification.toolkit.fluxcd.io \"{ref}\" not found", retry=30.0)
        return self.done(run, c.SUCCEEDED, INITIALIZED, None)

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        if changed.get("kind") != "Provider":
            return False
        ref = ((obj.get("spec") or {}).get("providerRef") or {}).get("name")
        return ref == changed["metadata"]["name"] and \
            obj["metadata"].get("namespace") == changed["metadata"].get("namespace")


class ReceiverReconciler(_NotifyReconciler):
    """Reads the token and publishes `status.webhookPath`; Ready: `Receiver initialized for path: …`."""

    kind = RECEIVER

    def phases(self) -> list[tuple[str, Any]]:
        return [("start", self.phase_start), ("token", self.phase_token)]

    def phase_token(self, run: Run) -> Result | None:
        """Read the token Secret and publish status.webhookPath (sha256 of token, name and namespace)."""
        spec, meta = run.obj.get("spec") or {}, run.obj["metadata"]
        ns, name = meta.get("namespace", "default"), meta["name"]
        interval = spec_interval(run.obj, 600.0)
        rtype = str(spec.get("type") or "")
        if rtype not in RECEIVER_TYPES:
            raise self.error(VALIDATION_FAILED, f"unsupported receiver type '{rtype}'", stalled=True)
        secret_name = (spec.get("secretRef") or {}).get("name", "")
        try:
            token = secret_data(self.client, secret_name, ns).get("token", "")
        except (ProviderError, ApiError) as err:
            raise self.error(TOKEN_NOT_FOUND, f"unable to read token from secret '{ns}/{secret_name}' "
                             f"error: {err}", retry=interval) from None
        if not token:
            raise self.error(TOKEN_NOT_FOUND, f"unable to read token from secret '{ns}/{secret_name}' "
                             "error: invalid 'token' secret data: required field 'token'", retry=interval)
        path = webhook_path(token, name, ns)
        run.status["webhookPath"] = path
        return self.done(run, c.SUCCEEDED, f"Receiver initialized for path: {path}", interval,
                            event_message=f"Reconciliation finished, next run in {format_duration(interval)}")

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        return False
