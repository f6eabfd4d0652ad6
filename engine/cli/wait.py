"""Request a reconcile and wait for it, flux-style; in this kit the engine's controllers run in-process.

`flux reconcile` annotates `reconcile.fluxcd.io/requestedAt` and polls until `status.lastHandledReconcileAt`
matches. Here, when no `gitops run` manager holds the lease, the CLI runs `Manager.sync` itself.
"""

from __future__ import annotations

import datetime as dt
import time

from engine.api import conditions
from engine.api.kinds import kind_info
from engine.api.types import REQUESTED_AT
from engine.cli.output import CLIError
from engine.cli.session import Session
from engine.jsonobj import Obj

FIELD_MANAGER = "flux-client-side-apply"


def not_found(kind: str, name: str) -> CLIError:
    info = kind_info(kind)
    return CLIError(f'{info.plural}.{info.group} "{name}" not found')


def get_object(s: Session, kind: str, name: str) -> Obj:
    info = kind_info(kind)
    obj = s.client.get(info.api_version, kind, name, s.namespace)
    if obj is None:
        raise not_found(kind, name)
    return obj


def apply_object(s: Session, obj: Obj) -> bool:
    """Create or update; True when it was created."""
    meta = obj["metadata"]
    existed = s.client.get(obj["apiVersion"], obj["kind"], meta["name"], meta["namespace"]) is not None
    if not existed and s.client.get("v1", "Namespace", meta["namespace"]) is None:
        raise CLIError(f'namespaces "{meta["namespace"]}" not found')
    s.client.apply(obj, field_manager=FIELD_MANAGER)
    return not existed


def annotate(s: Session, kind: str, name: str, *, also: tuple[str, ...] = ()) -> str:
    """Set requestedAt (and each annotation in `also`, e.g. forceAt, to the same token); returns the token."""
    info = kind_info(kind)
    value = dt.datetime.now().astimezone().isoformat()
    s.client.merge_patch(info.api_version, kind, name, s.namespace,
                         {"metadata": {"annotations": {REQUESTED_AT: value, **{key: value for key in also}}}})
    return value


def manager_running(s: Session) -> bool:
    """A `gitops run` in the foreground renews a Lease; a fresh one means the CLI only has to wait."""
    from engine.cli.run import lease_is_fresh

    return lease_is_fresh(s)


def reconcile_and_wait(s: Session, kind: str, name: str, *, requested: str | None = None,
                       quote: bool = False, bare: bool = False) -> Obj:
    """Drive (or wait for) the reconcile, then judge the result as flux's CLI does; returns the live object.

    A Ready≠True object fails with `<Kind> reconciliation failed: <message>` (`quote`: message in quotes), or
    with the message alone when `bare` (flux's notification commands)."""
    from engine.cli.controllers import register_installed

    info = kind_info(kind)
    deadline = time.monotonic() + s.timeout
    if not manager_running(s):
        register_installed(s)
        for _ in range(3):  # further passes pick up objects the first one created (child Kustomizations)
            report = s.manager.sync(timeout=max(deadline - time.monotonic(), 1.0), sources=False)
            if report.pending:
                raise CLIError(f"timeout waiting for {kind} reconciliation: context deadline exceeded")
            if not report.outcomes:
                break
        obj = get_object(s, kind, name)
    else:
        obj = _poll(s, kind, name, requested, deadline)
    stalled = conditions.get_condition(obj, conditions.STALLED)
    if stalled and stalled.get("status") == conditions.TRUE:
        raise CLIError(stalled.get("message", ""))
    ready = conditions.get_condition(obj, conditions.READY)
    if ready is None:
        raise CLIError("status can't be determined")
    if ready.get("status") != conditions.TRUE:
        message = ready.get("message", "")
        if bare:
            raise CLIError(message)
        raise CLIError(f"{info.kind} reconciliation failed: " + (f"'{message}'" if quote else message))
    return obj


def _poll(s: Session, kind: str, name: str, requested: str | None, deadline: float) -> Obj:
    """Wait for a running manager: until the request is handled and kstatus is Current (or Stalled)."""
    while True:
        obj = get_object(s, kind, name)
        status = obj.get("status") or {}
        handled = requested is None or status.get("lastHandledReconcileAt") == requested
        current = status.get("observedGeneration") == (obj.get("metadata") or {}).get("generation") \
            and not conditions.is_true(obj, conditions.RECONCILING)
        if conditions.is_true(obj, conditions.STALLED) or (handled and current):
            return obj
        if time.monotonic() > deadline:
            raise CLIError(f"timeout waiting for {kind} reconciliation: context deadline exceeded")
        time.sleep(0.2)
