"""Status conditions the way Flux's runtime writes them (fluxcd/pkg/runtime/conditions).

`Ready` has positive polarity; `Reconciling` and `Stalled` are negative and only present while True.
`set_condition` keeps `lastTransitionTime` while the condition's state (status, reason, message, observed
generation) stays the same, and keeps the list in Flux's order: Stalled, Reconciling, Ready, then by type.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.reasons import (  # noqa: F401  (re-exported: callers read the shared reasons from here too)
    DEPENDENCY_NOT_READY,
    FAILED,
    PROGRESSING,
    PROGRESSING_WITH_RETRY,
    SUCCEEDED,
)

READY = "Ready"
RECONCILING = "Reconciling"
STALLED = "Stalled"
HEALTHY = "Healthy"
ARTIFACT_IN_STORAGE = "ArtifactInStorage"
ARTIFACT_OUTDATED = "ArtifactOutdated"
FETCH_FAILED = "FetchFailed"
STORAGE_OPERATION_FAILED = "StorageOperationFailed"
INCLUDE_UNAVAILABLE = "IncludeUnavailable"
SOURCE_VERIFIED = "SourceVerified"

TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"

# Reasons shared by the toolkit (fluxcd/pkg/apis/meta) are re-exported from engine.reasons (imported above).

Condition = dict[str, Any]


def now_rfc3339() -> str:
    """The current UTC time as Kubernetes writes metav1.Time (second precision, `Z`)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def conditions_of(obj: dict[str, Any]) -> list[Condition]:
    """The live list `status.conditions` of an object, created if missing."""
    status = obj.setdefault("status", {})
    if not isinstance(status.get("conditions"), list):
        status["conditions"] = []
    return status["conditions"]


def get_condition(obj: dict[str, Any], type_: str) -> Condition | None:
    """The condition of this type; None also when status or its conditions are malformed (not a dict/list)."""
    status = obj.get("status")
    conds = status.get("conditions") if isinstance(status, dict) else None
    for cond in conds if isinstance(conds, list) else []:
        if isinstance(cond, dict) and cond.get("type") == type_:
            return cond
    return None


def is_true(obj: dict[str, Any], type_: str) -> bool:
    cond = get_condition(obj, type_)
    return bool(cond and cond.get("status") == TRUE)


def is_ready(obj: dict[str, Any]) -> bool:
    return is_true(obj, READY)


def set_condition(obj: dict[str, Any], type_: str, status: str, reason: str, message: str) -> Condition:
    """Add or update a condition; `lastTransitionTime` changes when its state (status, reason, message or
    observed generation) changes, as Flux's `conditions.Set` does."""
    conds = conditions_of(obj)
    generation = (obj.get("metadata") or {}).get("generation")
    for cond in conds:
        if cond.get("type") == type_:
            new_state = (status, reason, message, generation if generation is not None else
                         cond.get("observedGeneration"))
            old_state = (cond.get("status"), cond.get("reason"), cond.get("message"), cond.get("observedGeneration"))
            if new_state != old_state:
                cond["lastTransitionTime"] = now_rfc3339()
            cond.update(status=status, reason=reason, message=message)
            if generation is not None:
                cond["observedGeneration"] = generation
            _sort(conds)
            return cond
    cond = {"type": type_, "status": status}
    if generation is not None:
        cond["observedGeneration"] = generation
    cond.update(lastTransitionTime=now_rfc3339(), message=message, reason=reason)
    conds.append(cond)
    _sort(conds)
    return cond


def mark_true(obj: dict[str, Any], type_: str, reason: str, message: str) -> Condition:
    return set_condition(obj, type_, TRUE, reason, message)


def mark_false(obj: dict[str, Any], type_: str, reason: str, message: str) -> Condition:
    return set_condition(obj, type_, FALSE, reason, message)


def mark_unknown(obj: dict[str, Any], type_: str, reason: str, message: str) -> Condition:
    return set_condition(obj, type_, UNKNOWN, reason, message)


def delete_condition(obj: dict[str, Any], type_: str) -> None:
    status = obj.get("status") or {}
    conds = status.get("conditions")
    if isinstance(conds, list):
        status["conditions"] = [c for c in conds if c.get("type") != type_]


def mark_reconciling(obj: dict[str, Any], reason: str, message: str) -> None:
    """Reconciling=True (negative polarity) and Stalled removed, as Flux's `MarkReconciling`."""
    delete_condition(obj, STALLED)
    mark_true(obj, RECONCILING, reason, message)


def mark_stalled(obj: dict[str, Any], reason: str, message: str) -> None:
    """Stalled=True and Reconciling removed, as Flux's `MarkStalled`."""
    delete_condition(obj, RECONCILING)
    mark_true(obj, STALLED, reason, message)


_WEIGHT = {STALLED: 0, RECONCILING: 1, READY: 2}


def _sort(conds: list[Condition]) -> None:
    """Flux's order (fluxcd/pkg/runtime/conditions): Stalled, Reconciling, Ready, then alphabetical by type."""
    conds.sort(key=lambda c: (_WEIGHT.get(c.get("type", ""), 3), str(c.get("type", ""))))


def summary(obj: dict[str, Any]) -> tuple[str, str, str]:
    """(status, reason, message) of Ready, or ('False', '', 'waiting to be reconciled') like `flux get`."""
    cond = get_condition(obj, READY)
    if cond is None:
        return FALSE, "", "waiting to be reconciled"
    return str(cond.get("status", UNKNOWN)), str(cond.get("reason", "")), str(cond.get("message", ""))
