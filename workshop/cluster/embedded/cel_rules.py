"""`x-kubernetes-validations`: CEL rules of a CRD schema, compiled once and evaluated on writes with the
wording of a v1.32 API server (`spec: Invalid value: "object": failed rule: self.a > 0`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import celpy
from celpy import celtypes

from .validation import Cause, go_value

if TYPE_CHECKING:
    from .crd_node import Node

_ENV: celpy.Environment | None = None
_OLD_SELF = re.compile(r"\boldSelf\b")
_REASONS = {"FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate"}


def _env() -> celpy.Environment:
    global _ENV
    if _ENV is None:
        _ENV = celpy.Environment()
    return _ENV


@dataclass(frozen=True)
class Rule:
    """One compiled validation rule."""

    rule: str
    message: str
    message_expression: Any
    reason: str
    field_path: str
    program: Any
    compile_error: str
    uses_old_self: bool
    optional_old_self: bool

    @property
    def error_string(self) -> str:
        """ruleErrorString: the message when given, else the rule."""
        return self.message or self.rule

    @property
    def default_detail(self) -> str:
        return self.message or f"failed rule: {self.rule}"


def _s(value: Any) -> celtypes.StringType:
    return celtypes.StringType(str(value))


def _index_of(target: Any, item: Any, *start: Any) -> celtypes.IntType:
    if isinstance(target, list):
        return celtypes.IntType(target.index(item) if item in target else -1)
    return celtypes.IntType(str(target).find(str(item), *(int(x) for x in start)))


def _last_index_of(target: Any, item: Any) -> celtypes.IntType:
    if isinstance(target, list):
        return celtypes.IntType(len(target) - 1 - target[::-1].index(item) if item in target else -1)
    return celtypes.IntType(str(target).rfind(str(item)))


def _split(text: Any, sep: Any, *limit: Any) -> celtypes.ListType:
    parts = str(text).split(str(sep), int(limit[0]) - 1) if limit and int(limit[0]) > 0 else str(text).split(str(sep))
    return celtypes.ListType([_s(p) for p in parts])


#: The Kubernetes CEL library functions (strings, lists extensions) a CRD rule commonly calls.
K8S_FUNCTIONS: dict[str, Any] = {
    "lowerAscii": lambda t: _s(str(t).lower()),
    "upperAscii": lambda t: _s(str(t).upper()),
    "trim": lambda t: _s(str(t).strip()),
    "replace": lambda t, old, new, *n: _s(str(t).replace(str(old), str(new), *(int(x) for x in n))),
    "split": _split,
    "join": lambda items, *sep: _s((str(sep[0]) if sep else "").join(str(x) for x in items)),
    "substring": lambda t, start, *end: _s(str(t)[int(start):int(end[0])] if end else str(t)[int(start):]),
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "isSorted": lambda items: celtypes.BoolType(list(items) == sorted(items)),
    "sum": lambda items: sum(items, celtypes.IntType(0)) if all(isinstance(x, int) for x in items)
    else sum(items, celtypes.DoubleType(0)),
    "min": lambda items: min(items),
    "max": lambda items: max(items),
}


def _compile(source: str) -> tuple[Any, str]:
    try:
        env = _env()
        return env.program(env.compile(source), functions=K8S_FUNCTIONS), ""
    except celpy.CELParseError as e:  # worded like cel-go's parser errors
        where = f"<input>:{getattr(e, 'line', 1) or 1}:{(getattr(e, 'column', 0) or 0) + 1}"
        return None, f"ERROR: {where}: Syntax error: unexpected input\n | {source}"
    except Exception as e:  # noqa: BLE001 - celpy raises several error types; each becomes a rule error
        return None, str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def compile_rules(rules: Any) -> tuple[Rule, ...]:
    """Compile a schema node's x-kubernetes-validations list (malformed entries are skipped)."""
    if not isinstance(rules, list):
        return ()
    out = []
    for entry in rules:
        if not isinstance(entry, dict) or not isinstance(entry.get("rule"), str) or not entry["rule"].strip():
            continue
        source = entry["rule"].strip()
        program, error = _compile(source)
        msg_expr = None
        if isinstance(entry.get("messageExpression"), str) and entry["messageExpression"].strip():
            msg_expr, _ = _compile(entry["messageExpression"])
        reason = entry.get("reason") if entry.get("reason") in _REASONS else "FieldValueInvalid"
        out.append(Rule(source, str(entry.get("message") or "").strip(), msg_expr, str(reason),
                        str(entry.get("fieldPath") or "").lstrip("."), program, error,
                        bool(_OLD_SELF.search(source)), bool(entry.get("optionalOldSelf"))))
    return tuple(out)


def _field_error(path: str, reason: str, value: Any, detail: str) -> Cause:
    if reason == "FieldValueForbidden":
        return {"reason": reason, "message": f"Forbidden: {detail}", "field": path}
    if reason == "FieldValueRequired":
        return {"reason": reason, "message": f"Required value: {detail}", "field": path}
    if reason == "FieldValueDuplicate":
        return {"reason": reason, "message": f"Duplicate value: {go_value(value)}", "field": path}
    return {"reason": "FieldValueInvalid", "message": f"Invalid value: {go_value(value)}: {detail}", "field": path}


def _eval_error(error: Any) -> str:
    """A CEL evaluation error worded as cel-go words it (`no such key: x`, `division by zero`)."""
    args = getattr(error, "args", ())
    text = str(args[0]) if args else str(error)
    m = re.match(r"no such member in mapping: '(.*)'", text)
    if m:
        return f"no such key: {m.group(1)}"
    if "divide by zero" in text:
        return "division by zero"
    return text.split(" (in activation", 1)[0]


def _run(program: Any, activation: dict[str, Any]) -> tuple[Any, str]:
    try:
        result = program.evaluate(activation)
    except Exception as e:  # noqa: BLE001 - evaluation errors are rule failures, as in cel-go
        return None, _eval_error(e)
    if isinstance(result, celpy.CELEvalError):
        return None, _eval_error(result)
    return result, ""


def _check(value: Any, old: Any, has_old: bool, node: Node, path: str) -> list[Cause]:
    type_name = node.type_name or "object"
    causes: list[Cause] = []
    self_val = celpy.json_to_cel(value)
    for rule in node.rules:
        if rule.compile_error:
            causes.append(_field_error(path, "FieldValueInvalid", type_name,
                                       f"rule compile error: {rule.compile_error}"))
            continue
        if rule.uses_old_self and not has_old:
            continue
        activation: dict[str, Any] = {"self": self_val}
        if rule.uses_old_self:
            activation["oldSelf"] = celpy.json_to_cel(old)
        result, error = _run(rule.program, activation)
        if error:
            causes.append(_field_error(path, "FieldValueInvalid", type_name,
                                       f"{error} evaluating rule: {rule.error_string}"))
            continue
        if result is True or (isinstance(result, celpy.celtypes.BoolType) and bool(result)):
            continue
        detail = rule.default_detail
        if rule.message_expression is not None:
            text, msg_error = _run(rule.message_expression, activation)
            if not msg_error and isinstance(text, str) and text.strip() and "\n" not in text:
                detail = str(text).strip()
        where = f"{path}.{rule.field_path}" if rule.field_path and path else (rule.field_path or path)
        causes.append(_field_error(where, rule.reason, type_name, detail))
    return causes


def evaluate(value: Any, old: Any, node: Node, path: str, *, has_old: bool | None = None) -> list[Cause]:
    """Causes from every rule at or below node; transition rules (oldSelf) run only where an old value exists."""
    if value is None or not node.has_rules_below:
        return []
    has_old = old is not None if has_old is None else has_old
    causes = _check(value, old, has_old, node, path) if node.rules else []
    for sub in node.all_of:
        causes += evaluate(value, old, sub, path, has_old=has_old)
    if isinstance(value, dict):
        for key, child_value in value.items():
            child = node.properties.get(key)
            where = f"{path}.{key}" if path else key
            if child is None and not isinstance(node.additional, bool) and node.additional is not None:
                child = node.additional
                where = f"{path}[{key}]"
            if child is None or not child.has_rules_below:
                continue
            old_child = old.get(key) if isinstance(old, dict) else None
            causes += evaluate(child_value, old_child, child, where,
                               has_old=isinstance(old, dict) and key in old)
    elif isinstance(value, list) and node.items is not None and node.items.has_rules_below:
        for i, item in enumerate(value):
            causes += evaluate(item, None, node.items, f"{path}[{i}]", has_old=False)
    return causes
