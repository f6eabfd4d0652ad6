"""engine.cel: healthCheckExprs (RFC 0009 order) and dependsOn readyExpr, with Flux's error messages."""

from __future__ import annotations

import pytest

from engine import kstatus
from engine.cel import CELError, CELEvaluationError, Expression, HealthChecks, ready_expr, ready_expression

READY = "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')"
NOT_READY = "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'False')"
CERT = {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "current": READY, "failed": NOT_READY}


def cert(ready: str | None, *, generation: int = 1, observed: int = 1) -> dict:
    status: dict = {"observedGeneration": observed}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": ready}]
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": "c", "generation": generation}, "status": status}


def test_health_check_order_current_failed_and_in_progress() -> None:
    checks = HealthChecks([CERT])
    assert checks.status(cert("True")).status == kstatus.CURRENT
    assert checks.status(cert("False")).status == kstatus.FAILED
    assert checks.status(cert("Unknown")).status == kstatus.IN_PROGRESS  # none true
    assert checks.status(cert("True", generation=2)).status == kstatus.IN_PROGRESS  # observedGeneration first


def test_in_progress_is_evaluated_before_failed() -> None:
    entry = {**CERT, "inProgress": "has(status.progressing)", "failed": "true"}
    checks = HealthChecks([entry])
    progressing = cert("True")
    progressing["status"]["progressing"] = True
    assert checks.status(progressing).status == kstatus.IN_PROGRESS
    assert checks.status(cert("True")).status == kstatus.FAILED


def test_group_only_entry_covers_every_kind_of_the_group_and_other_groups_are_not_covered() -> None:
    checks = HealthChecks([{"apiVersion": "cert-manager.io/v1", "current": READY}])
    issuer = {**cert("True"), "kind": "Issuer"}
    assert checks.status(issuer).status == kstatus.CURRENT
    assert checks.status({"apiVersion": "apps/v1", "kind": "Deployment"}) is None


def test_evaluation_error_is_unknown_with_the_error() -> None:
    status = HealthChecks([CERT]).status(cert(None))
    assert status is not None and status.status == kstatus.UNKNOWN
    assert status.message.startswith("failed to evaluate the CEL expression")


@pytest.mark.parametrize(("entries", "message"), [
    ([{"apiVersion": "v1", "kind": "X", "current": "status.("}],
     "failed to create custom status evaluator for healthchecks[0]: failed to parse the expression Current: "
     "failed to parse the CEL expression 'status.(': ERROR: <input>:1:"),
    ([{"apiVersion": "v1", "kind": "X"}],
     "failed to create custom status evaluator for healthchecks[0]: expression Current not specified"),
    ([CERT, {**CERT, "failed": ""}], "duplicate custom health check for GroupKind Certificate.cert-manager.io at "
                                    "healthchecks[1]"),
    ([{"apiVersion": "v1", "kind": "X", "current": "true", "inProgress": "a &&"}],
     "failed to create custom status evaluator for healthchecks[0]: failed to parse the expression InProgress:"),
])
def test_invalid_health_check_exprs_name_the_entry(entries: list, message: str) -> None:
    with pytest.raises(CELError) as err:
        HealthChecks(entries)
    assert str(err.value).startswith(message)


def test_ready_expr_sees_self_and_dep() -> None:
    me = {"metadata": {"name": "apps", "annotations": {"want": "v2"}}}
    dep = {"metadata": {"name": "infra"}, "status": {"lastAppliedRevision": "v2@sha1:abc"}}
    expr = "dep.status.lastAppliedRevision.startsWith(self.metadata.annotations['want'])"
    assert ready_expr(expr, me, dep) is True
    assert ready_expr(expr, me, {**dep, "status": {"lastAppliedRevision": "v1@sha1:abc"}}) is False


def test_ready_expr_undeclared_name_and_syntax_error_are_invalid() -> None:
    with pytest.raises(CELError, match="failed to evaluate dependency infra: failed to parse the CEL expression "
                                       "'other.ready': ERROR: <input>: undeclared reference to 'other'"):
        ready_expression("other.ready", "infra")
    with pytest.raises(CELError, match="failed to evaluate dependency infra: failed to parse"):
        ready_expression("dep.status ==", "infra")
    ready_expression("dep.status.conditions.exists(c, c.type == 'Ready')", "infra")  # bound name is not free


def test_non_boolean_result_and_missing_field_are_evaluation_errors() -> None:
    with pytest.raises(CELEvaluationError, match="failed to evaluate CEL expression as boolean: 'dep.metadata'"):
        ready_expr("dep.metadata", {}, {"metadata": {"name": "x"}})
    with pytest.raises(CELEvaluationError, match="failed to evaluate the CEL expression 'dep.status.x'"):
        ready_expr("dep.status.x", {}, {"metadata": {"name": "x"}, "status": {}})


def test_string_extensions() -> None:
    assert Expression("'AbC'.lowerAscii() == 'abc' && ' x '.trim() == 'x'").evaluate_bool({})
    assert Expression("'a,b'.split(',') == ['a', 'b']").evaluate_bool({})
