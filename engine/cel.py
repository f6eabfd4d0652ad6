"""CEL expressions as Flux evaluates them (fluxcd/pkg/runtime/cel), on cel-python (`celpy`).

Two users in a Kustomization:
- `spec.healthCheckExprs[]` (RFC 0009): `HealthChecks(exprs)` holds one evaluator per GroupKind (or per group when
  `kind` is empty); an object's status is InProgress while `status.observedGeneration != metadata.generation`,
  then `inProgress` → `failed` → `current` are tried in that order, the first true wins, none true is InProgress.
  The expressions see the object's top-level fields (`status`, `metadata`, `spec` …) as variables.
- `spec.dependsOn[].readyExpr`: `ready_expr(expr, self_obj, dep_obj)` with the variables `self` and `dep` only
  (Flux compiles it, so any other name is an undeclared reference).

An expression that does not parse raises `CELError` (Flux: terminal, `Stalled`/`InvalidCELExpression`); one that
fails while evaluating raises `CELEvaluationError`. Besides CEL's standard functions the kit provides the string
extensions `lowerAscii`, `upperAscii`, `trim`, `split`, `join` and `replace`; other cel-go extensions are not
available.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import celpy
import lark
from celpy import celtypes

from engine import kstatus
from engine.jsonobj import Obj

MACROS = ("all", "exists", "exists_one", "map", "filter")


class CELError(ValueError):
    """The expression (or the list of expressions) is invalid: a configuration error, not worth retrying."""


class CELEvaluationError(RuntimeError):
    """The expression could not be evaluated against the data it was given."""


def _string_functions() -> dict[str, Any]:
    def lower_ascii(s: Any) -> Any:
        return celtypes.StringType(str(s).lower())

    def upper_ascii(s: Any) -> Any:
        return celtypes.StringType(str(s).upper())

    def trim(s: Any) -> Any:
        return celtypes.StringType(str(s).strip())

    def split(s: Any, sep: Any) -> Any:
        return celtypes.ListType([celtypes.StringType(p) for p in str(s).split(str(sep))])

    def join(items: Any, sep: Any = "") -> Any:
        return celtypes.StringType(str(sep).join(str(i) for i in items))

    def replace(s: Any, old: Any, new: Any) -> Any:
        return celtypes.StringType(str(s).replace(str(old), str(new)))

    return {"lowerAscii": lower_ascii, "upperAscii": upper_ascii, "trim": trim, "split": split, "join": join,
            "replace": replace}


_FUNCTIONS = _string_functions()


def _free_identifiers(tree: lark.Tree) -> set[str]:
    """Names the expression reads as variables: every `ident` that is not a macro's bound variable."""
    used: set[str] = set()
    bound: set[str] = set()
    for node in tree.iter_subtrees():
        if node.data == "ident" and node.children:
            used.add(str(node.children[0]))
        if node.data == "member_dot_arg" and len(node.children) >= 3 and str(node.children[1]) in MACROS:
            args = node.children[2]
            first = args.children[0] if isinstance(args, lark.Tree) and args.children else None
            if isinstance(first, lark.Tree):
                idents = [t for t in first.iter_subtrees() if t.data == "ident"]
                if idents:
                    bound.add(str(idents[0].children[0]))
    return used - bound


def _error_text(err: BaseException) -> str:
    text = err.args[0] if err.args and isinstance(err.args[0], str) else str(err)
    return text.split(" (in activation", 1)[0]


class Expression:
    """One parsed CEL expression. `variables` given means Flux's compile mode: only those names may be read."""

    def __init__(self, expr: str, *, variables: Iterable[str] | None = None) -> None:
        self.expr = expr
        self._env = celpy.Environment()
        try:
            tree = self._env.compile(expr)
        except celpy.CELParseError as err:
            line, column = getattr(err, "line", 1) or 1, getattr(err, "column", 0) or 0
            caret = "".join(f"\n | {ln}" for ln in _error_text(err).rstrip("\n").splitlines())
            raise CELError(f"failed to parse the CEL expression '{expr}': "
                           f"ERROR: <input>:{line}:{column}: Syntax error{caret}") from None
        if variables is not None:
            undeclared = sorted(_free_identifiers(tree) - set(variables))
            if undeclared:
                raise CELError(f"failed to parse the CEL expression '{expr}': ERROR: <input>: undeclared "
                               f"reference to '{undeclared[0]}' (in container '')")
        self._program = self._env.program(tree, functions=_FUNCTIONS)

    def __str__(self) -> str:
        return self.expr

    def evaluate(self, data: Obj) -> Any:
        """The value of the expression with `data`'s keys as variables (raises CELEvaluationError)."""
        activation = {str(k): celpy.json_to_cel(v) for k, v in data.items()}
        try:
            result = self._program.evaluate(activation)
        except Exception as err:  # celpy raises its own and Python's errors for bad data: all are evaluation errors
            raise CELEvaluationError(f"failed to evaluate the CEL expression '{self.expr}': {_error_text(err)}") \
                from None
        if isinstance(result, celpy.CELEvalError):
            raise CELEvaluationError(f"failed to evaluate the CEL expression '{self.expr}': {_error_text(result)}")
        return result

    def evaluate_bool(self, data: Obj) -> bool:
        result = self.evaluate(data)
        if not isinstance(result, celtypes.BoolType):
            raise CELEvaluationError(f"failed to evaluate CEL expression as boolean: '{self.expr}'")
        return bool(result)


# -- dependsOn[].readyExpr ---------------------------------------------------------------------------
def ready_expression(expr: str, dep_name: str) -> Expression:
    """The readyExpr compiled with `self` and `dep`; invalid → CELError with Flux's message."""
    try:
        return Expression(expr, variables=("self", "dep"))
    except CELError as err:
        raise CELError(f"failed to evaluate dependency {dep_name}: {err}") from None


def ready_expr(expr: str, self_obj: Obj, dep_obj: Obj) -> bool:
    """Is the dependency ready according to `expr`? (CELError: invalid; CELEvaluationError: failed to evaluate)."""
    name = str((dep_obj.get("metadata") or {}).get("name", ""))
    return ready_expression(expr, name).evaluate_bool({"self": self_obj, "dep": dep_obj})


# -- healthCheckExprs --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatusEvaluator:
    """One `healthCheckExprs[]` entry: `current` (required), `inProgress`, `failed`."""

    current: Expression
    failed: Expression | None = None
    in_progress: Expression | None = None

    @classmethod
    def parse(cls, exprs: Obj) -> StatusEvaluator:
        if not exprs.get("current"):
            raise CELError("expression Current not specified")
        parsed: dict[str, Expression | None] = {}
        for key, label in (("current", "Current"), ("failed", "Failed"), ("inProgress", "InProgress")):
            text = exprs.get(key)
            if not text:
                parsed[key] = None
                continue
            if not isinstance(text, str):
                raise CELError(f"failed to parse the expression {label}: expected a string, got {type(text).__name__}")
            try:
                parsed[key] = Expression(text)
            except CELError as err:
                raise CELError(f"failed to parse the expression {label}: {err}") from None
        current = parsed["current"]
        assert current is not None
        return cls(current, parsed["failed"], parsed["inProgress"])

    def evaluate(self, obj: Obj) -> kstatus.Status:
        """The object's kstatus by RFC 0009's rules (raises CELEvaluationError)."""
        meta, status = obj.get("metadata") or {}, obj.get("status") or {}
        observed, generation = status.get("observedGeneration"), meta.get("generation")
        if isinstance(observed, int) and isinstance(generation, int) and observed != generation:
            kind = obj.get("kind", "")
            return kstatus.Status(kstatus.IN_PROGRESS,
                                  f"{kind} generation is {generation}, but latest observed generation is {observed}")
        for expr, result in ((self.in_progress, kstatus.IN_PROGRESS), (self.failed, kstatus.FAILED),
                             (self.current, kstatus.CURRENT)):
            if expr is not None and expr.evaluate_bool(obj):
                return kstatus.Status(result, f"custom health check: {expr} is true")
        return kstatus.Status(kstatus.IN_PROGRESS, "custom health check: no expression is true")


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


class HealthChecks:
    """`spec.healthCheckExprs` parsed (CELError on the first invalid entry, with Flux's message)."""

    def __init__(self, entries: list[Obj] | None) -> None:
        self._by_key: dict[tuple[str, str], StatusEvaluator] = {}
        for i, entry in enumerate(entries or []):
            if not isinstance(entry, dict):
                raise CELError(f"failed to create custom status evaluator for healthchecks[{i}]: "
                               "expected an object with apiVersion, kind and current")
            key = (group_of(str(entry.get("apiVersion", ""))), str(entry.get("kind") or ""))
            if key in self._by_key:
                gk = f"{key[1]}.{key[0]}" if key[0] else key[1]
                raise CELError(f"duplicate custom health check for GroupKind {gk} at healthchecks[{i}]")
            try:
                self._by_key[key] = StatusEvaluator.parse(entry)
            except CELError as err:
                raise CELError(f"failed to create custom status evaluator for healthchecks[{i}]: {err}") from None

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def evaluator_for(self, api_version: str, kind: str) -> StatusEvaluator | None:
        group = group_of(api_version)
        return self._by_key.get((group, kind)) or self._by_key.get((group, ""))

    def status(self, obj: Obj) -> kstatus.Status | None:
        """The object's status by its custom check, None when no entry covers its GroupKind. An expression
        that fails to evaluate gives Unknown with the error (kstatus's generic reader does the same)."""
        evaluator = self.evaluator_for(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        if evaluator is None:
            return None
        try:
            return evaluator.evaluate(obj)
        except CELEvaluationError as err:
            return kstatus.Status(kstatus.UNKNOWN, str(err))
