"""Kustomization spec fields the API server's schema would reject, checked before anything else runs.

A cluster without schema validation (or an old CRD) can hand the engine `interval: 1 minute`, `spec: []` or a
list where a string belongs. Such a Kustomization fails Stalled (no retry until its spec changes) with a message
naming the field, instead of raising out of a phase.
"""

from __future__ import annotations

from engine import reasons
from engine.api.duration import DurationError, parse_duration
from engine.api.reconcile import ReconcileError
from engine.jsonobj import Obj


def validate_spec(obj: Obj) -> None:
    """Fields the API server's schema would have rejected: fail clearly (Stalled) instead of crashing."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        raise ReconcileError(reasons.RECONCILIATION_FAILED, "invalid spec: expected an object, got "
                             f"{type(spec).__name__}", stalled=True)
    for name in ("interval", "retryInterval", "timeout"):
        value = spec.get(name)
        if value is None:
            continue
        try:
            parse_duration(value)
        except DurationError as err:
            raise ReconcileError(reasons.RECONCILIATION_FAILED, f"invalid spec.{name}: {err}",
                                 stalled=True) from None
    for name in ("path", "targetNamespace", "namePrefix", "nameSuffix", "serviceAccountName"):
        if spec.get(name) is not None and not isinstance(spec[name], str):
            raise ReconcileError(reasons.RECONCILIATION_FAILED, f"invalid spec.{name}: expected a string, got "
                                 f"{type(spec[name]).__name__}", stalled=True)
    ref = spec.get("sourceRef")
    if not isinstance(ref, dict) or not isinstance(ref.get("name"), str) or not ref.get("name"):
        raise ReconcileError(reasons.RECONCILIATION_FAILED, "invalid spec.sourceRef: a kind and a name are "
                             "required", stalled=True)
    for dep in spec.get("dependsOn") or []:
        if not isinstance(dep, dict) or not isinstance(dep.get("name"), str):
            raise ReconcileError(reasons.RECONCILIATION_FAILED, "invalid spec.dependsOn: every entry needs a name",
                                 stalled=True)
    for check in spec.get("healthChecks") or []:
        if not isinstance(check, dict) or not check.get("kind") or not check.get("name"):
            raise ReconcileError(reasons.RECONCILIATION_FAILED, "invalid spec.healthChecks: every entry needs a "
                                 "kind and a name", stalled=True)
