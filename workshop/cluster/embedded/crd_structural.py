"""A CRD's own version schemas, checked on CRD create and update: structural-schema invariants, patterns
that compile, and CEL rules that compile."""

from __future__ import annotations

import re
from typing import Any

from engine.jsonobj import Obj

from . import cel_rules
from .crd_node import go_regex
from .crd_validate import invalid_cause
from .validation import Cause, go_quote, required


def _rule_repr(rule: Obj) -> str:
    """%#v of an apiextensions.ValidationRule, as the CRD validation prints it."""
    return ("apiextensions.ValidationRule{Rule:" + go_quote(str(rule.get("rule", ""))) + ", Message:"
            + go_quote(str(rule.get("message", ""))) + ", MessageExpression:"
            + go_quote(str(rule.get("messageExpression", ""))) + ", Reason:(*apiextensions.FieldValueErrorReason)"
            "(nil), FieldPath:" + go_quote(str(rule.get("fieldPath", ""))) + ", OptionalOldSelf:(*bool)(nil)}")


def _structural(schema: Any, path: str, level: str, causes: list[Cause]) -> None:
    """The structural-schema invariants a v1 CRD's schemas must meet (validateStructuralInvariants, in part)."""
    if not isinstance(schema, dict):
        return
    type_ = schema.get("type")
    if type_ == "array" and schema.get("items") is None:
        causes.append(required(f"{path}.items", "must be specified"))
    if isinstance(schema.get("items"), dict):
        _structural(schema["items"], f"{path}.items", "item", causes)
    props: Obj = schema["properties"] if isinstance(schema.get("properties"), dict) else {}
    for key, sub in props.items():
        _structural(sub, f"{path}.properties[{key}]", "field", causes)
    addl = schema.get("additionalProperties")
    if addl is not None and addl is not True and addl is not False:
        if level == "root":
            causes.append({"reason": "FieldValueForbidden", "field": f"{path}.additionalProperties",
                           "message": "Forbidden: must not be used at the root"})
        if props:
            causes.append({"reason": "FieldValueForbidden", "field": f"{path}.additionalProperties",
                           "message": "Forbidden: additionalProperties and properties are mutual exclusive"})
        _structural(addl, f"{path}.additionalProperties", "field", causes)
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    if embedded and type_ != "object":
        detail = "must be object if x-kubernetes-embedded-resource is true"
        causes.append(required(f"{path}.type", detail) if not type_ else invalid_cause(f"{path}.type", type_, detail))
    elif not type_ and not schema.get("x-kubernetes-int-or-string") and not schema.get(
            "x-kubernetes-preserve-unknown-fields"):
        detail = {"root": "must not be empty at the root", "item": "must not be empty for specified array items",
                  "field": "must not be empty for specified object fields"}[level]
        causes.append(required(f"{path}.type", detail))
    if level == "root" and type_ and type_ != "object":
        causes.append(invalid_cause(f"{path}.type", type_, "must be object at the root"))
    if isinstance(schema.get("pattern"), str):
        try:
            re.compile(go_regex(schema["pattern"]))
        except re.error as e:
            causes.append(invalid_cause(f"{path}.pattern", schema["pattern"],
                                   f"must be a valid regular expression, but isn't: error parsing regexp: {e}"))
    for i, rule in enumerate(schema.get("x-kubernetes-validations") or []):
        if not isinstance(rule, dict):
            continue
        where = f"{path}.x-kubernetes-validations[{i}]"
        if not str(rule.get("rule") or "").strip():
            causes.append(required(f"{where}.rule", "rule is not specified"))
            continue
        compiled = cel_rules.compile_rules([rule])
        if compiled and compiled[0].compile_error:
            causes.append({"reason": "FieldValueInvalid", "field": f"{where}.rule",
                           "message": f"Invalid value: {_rule_repr(rule)}: compilation failed: "
                                      f"{compiled[0].compile_error}"})


def crd_schema_causes(crd: Obj) -> list[Cause]:
    """Causes for a CRD whose version schemas are not structural or carry rules that do not compile."""
    spec: Obj = crd["spec"] if isinstance(crd.get("spec"), dict) else {}
    causes: list[Cause] = []
    for i, version in enumerate(spec.get("versions") or []):
        schema = ((version or {}).get("schema") or {}).get("openAPIV3Schema") if isinstance(version, dict) else None
        if isinstance(schema, dict):
            found: list[Cause] = []
            _structural(schema, f"spec.versions[{i}].schema.openAPIV3Schema", "root", found)
            causes += sorted(found, key=lambda c: f"{c['field']}: {c['message']}")
    return causes
