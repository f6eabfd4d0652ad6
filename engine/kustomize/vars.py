"""Legacy `vars`: $(NAME) references in a fixed set of fields, filled from fields of objects in the build."""

from __future__ import annotations

import re
from typing import Any

from .errors import KustomizeError
from .fieldspec import FieldSpec, visit
from .resid import Gvk, split_api_version
from .resmap import ResMap
from .resource import Resource


def _objref_gvk(ref: dict[str, Any]) -> Gvk:
    group, version = split_api_version(ref.get("apiVersion"))
    return Gvk(ref.get("group") or group, ref.get("version") or version, ref.get("kind") or "")


def var_repr(var: dict[str, Any], *, defaulted: bool, default_path: bool | None = None) -> str:
    """A var as kustomize prints it in errors: {NAME GVK {FIELDPATH}}; `defaulted` reads the version from
    apiVersion and (unless `default_path` is False) fills the field path with metadata.name."""
    ref = var.get("objref") or {}
    gvk = (
        _objref_gvk(ref)
        if defaulted
        else Gvk(ref.get("group") or "", ref.get("version") or "", ref.get("kind") or "")
    )
    fill = defaulted if default_path is None else default_path
    path = (var.get("fieldref") or {}).get("fieldpath") or ("metadata.name" if fill else "")
    return f"{{{var.get('name') or ''} {gvk} {{{path}}}}}"


def merge_vars(
    into: list[dict[str, Any]],
    incoming: list[dict[str, Any]],
    resmap: ResMap,
    *,
    from_kustomization: bool = True,
) -> None:
    """Add vars; a name seen before or an ambiguous object reference is an error."""
    for var in incoming:
        name = var.get("name") or ""
        if any(v.get("name") == name for v in into):
            if from_kustomization:
                listed = " ".join(var_repr(v, defaulted=False) for v in incoming)
                raise KustomizeError(f"merging vars [{listed}]: var '{name}' already encountered")
            raise KustomizeError(f"var '{name}' already encountered")
        if from_kustomization:
            # The declaring kustomization picks the object (among what it sees) and tags it with the var.
            targets = _targets(var, resmap)
            if len(targets) > 1:
                listed = " ".join(var_repr(v, defaulted=False) for v in incoming)
                raise KustomizeError(
                    f"merging vars [{listed}]: found {len(targets)} resId matches for var "
                    f"{var_repr(var, defaulted=True, default_path=False)} (unable to disambiguate)"
                )
            if targets:
                targets[0].ref_vars.append(name)
        into.append(var)


def _targets(var: dict[str, Any], resmap: ResMap) -> list[Resource]:
    ref = var.get("objref") or {}
    gvk, name, ns = _objref_gvk(ref), ref.get("name") or "", ref.get("namespace") or ""
    return resmap.by_any_id(
        lambda i: (
            i.name == name
            and i.gvk.is_selected_by(gvk)
            and (not ns or i.namespace == ns or i.effective_namespace == ns)
        )
    )


_SEGMENT = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


def field_value(obj: Any, path: str) -> Any:
    """The value at a dotted field path (`spec.ports[0].port`, `spec.containers[name=app].image`)."""
    cur = obj
    for m in _SEGMENT.finditer(path):
        key, bracket = m.group(1), m.group(2)
        if key is not None:
            if not isinstance(cur, dict) or key not in cur:
                raise KeyError(path)
            cur = cur[key]
        elif "=" in bracket:
            k, v = bracket.split("=", 1)
            found = (
                [i for i in cur if isinstance(i, dict) and str(i.get(k)) == v]
                if isinstance(cur, list)
                else []
            )
            if not found:
                raise KeyError(path)
            cur = found[0]
        else:
            if not isinstance(cur, list) or not bracket.isdigit() or int(bracket) >= len(cur):
                raise KeyError(path)
            cur = cur[int(bracket)]
    return cur


def _go_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def expand(text: str, values: dict[str, Any], used: set[str]) -> Any:
    """Kubernetes $(VAR) expansion; `$$` escapes; a string that is one reference keeps the value's type."""
    whole = re.fullmatch(r"\$\(([^)]*)\)", text)
    if whole and whole.group(1) in values:
        used.add(whole.group(1))
        return values[whole.group(1)]
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "$" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                close = text.find(")", i + 2)
                if close >= 0:
                    name = text[i + 2 : close]
                    if name in values:
                        used.add(name)
                        out.append(_go_string(values[name]))
                    else:
                        out.append(f"$({name})")
                    i = close + 1
                    continue
                out.append("$(")
                i += 2
                continue
            out.append("$" + nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def resolve_vars(resmap: ResMap, variables: list[dict[str, Any]], specs: list[FieldSpec]) -> None:
    """Replace $(VAR) in the varReference fields of every object."""
    if not variables:
        return
    values: dict[str, Any] = {}
    for var in sorted(variables, key=lambda v: v.get("name") or ""):
        name = var.get("name") or ""
        targets = [r for r in resmap.resources() if name in r.ref_vars][:1]
        if not targets:
            raise KustomizeError(
                f"var '{var_repr(var, defaulted=True)}' cannot be mapped to a field in the set of known resources"
            )
        path = (var.get("fieldref") or {}).get("fieldpath") or "metadata.name"
        try:
            values[name] = field_value(targets[0].obj, path)
        except KeyError:
            raise KustomizeError(
                f"field specified in var '{var_repr(var, defaulted=True)}' not found in corresponding resource"
            ) from None
    used: set[str] = set()

    def setter(parent: Any, key: Any) -> None:
        value = parent[key]
        if isinstance(value, str):
            parent[key] = expand(value, values, used)
        elif isinstance(value, list):
            parent[key] = [expand(v, values, used) if isinstance(v, str) else v for v in value]
        elif isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, str):
                    value[k] = expand(v, values, used)

    for r in resmap.resources():
        gvk = r.gvk
        for fs in specs:
            if fs.applies_to(gvk):
                visit(r.obj, fs.parts, setter, create=False)
