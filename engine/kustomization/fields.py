"""Kustomization fields that change who, where and how the reconciler checks: `healthCheckExprs`,
`dependsOn[].readyExpr`, `kubeConfig`, `serviceAccountName` — each turned into what the reconciler needs, or into
the `ReconcileError` kustomize-controller reports for it.

- An invalid CEL expression is a configuration error: Ready=False and Stalled=True with reason
  `InvalidCELExpression` and `Reconciliation failed terminally due to configuration error: …`.
- A readyExpr that evaluates to false keeps the Kustomization waiting (`DependencyNotReady`); one that is true
  replaces the built-in readiness check of that dependency (Flux's default, AdditiveCELDependencyCheck off).
- A kubeConfig/serviceAccountName client that cannot be built: Ready=False `ReconciliationFailed`.
"""

from __future__ import annotations

from collections.abc import Callable

from engine import kstatus, reasons
from engine.api.reconcile import ReconcileError
from engine.cel import CELError, CELEvaluationError, HealthChecks, ready_expr
from engine.client import Client
from engine.jsonobj import Obj
from engine.kustomization.remote import TargetClientError, target_client

TERMINAL_ERROR_MESSAGE = "Reconciliation failed terminally due to configuration error"


def invalid_cel(err: CELError) -> ReconcileError:
    return ReconcileError(reasons.INVALID_CEL_EXPRESSION, f"{TERMINAL_ERROR_MESSAGE}: {err}", stalled=True)


def health_checks(obj: Obj) -> HealthChecks:
    """`spec.healthCheckExprs` parsed (raises the terminal InvalidCELExpression error)."""
    try:
        return HealthChecks((obj.get("spec") or {}).get("healthCheckExprs"))
    except CELError as err:
        raise invalid_cel(err) from None


def status_reader(checks: HealthChecks) -> Callable[[Obj | None], kstatus.Status]:
    """kstatus for each live object, a healthCheckExprs entry taking over for the GroupKinds it covers."""
    def read(obj: Obj | None) -> kstatus.Status:
        custom = checks.status(obj) if obj is not None and checks else None
        return custom if custom is not None else kstatus.compute(obj)
    return read


def ready_expr_of(obj: Obj, name: str, namespace: str) -> str:
    """The readyExpr of the dependsOn entry naming `namespace/name` ("" when it has none)."""
    own_ns = (obj.get("metadata") or {}).get("namespace", "")
    for entry in (obj.get("spec") or {}).get("dependsOn") or []:
        if isinstance(entry, dict) and entry.get("name") == name and (entry.get("namespace") or own_ns) == namespace:
            return str(entry.get("readyExpr") or "")
    return ""


def ready_by_expr(expr: str, obj: Obj, dep: Obj, dep_key: str) -> str | None:
    """None when `dep` is ready by `expr`, else why not (DependencyNotReady); invalid → terminal error."""
    try:
        if ready_expr(expr, obj, dep):
            return None
    except CELError as err:
        raise invalid_cel(err) from None
    except CELEvaluationError as err:
        return str(err)
    return f"dependency '{dep_key}' is not ready according to readyExpr eval"


def apply_client(client: Client, obj: Obj) -> Client:
    """The client for applying, pruning and health checks (kubeConfig / serviceAccountName), or the error."""
    try:
        return target_client(client, obj)
    except TargetClientError as err:
        raise ReconcileError(reasons.RECONCILIATION_FAILED, str(err)) from None
