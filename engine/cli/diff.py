"""`gitops diff kustomization`: server-side dry-run against the cluster, reported as flux does (dyff-like).

Secret values are never printed: a changed value shows as `*** (before)` / `*** (after)`, an unchanged one as
`***` (fluxcd/pkg/ssa); a Secret whose values `build` masked as SOPS data is compared by its keys only, which
print as `*****` (flux2 internal/build). Objects excluded by `kustomize.toolkit.fluxcd.io/reconcile: disabled` or
`kustomize.toolkit.fluxcd.io/ssa: ignore` are reported `skipped`."""

from __future__ import annotations

from typing import Any

import yaml

from engine.cli.session import Session
from engine.cli.spinner import DRY_RUN, Spinner
from engine.client import ApiError
from engine.jsonobj import Obj


def _subject(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj['kind']}/{ns}/{meta['name']}" if ns else f"{obj['kind']}/{meta['name']}"


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    if items and all(isinstance(i, dict) and "name" in i for i in items):
        return {str(i["name"]): i for i in items}
    return None


def changes(old: Any, new: Any, path: str = "") -> list[str]:
    """Leaf differences as dyff prints them: path, `± value change`, `- old`, `+ new`."""
    if isinstance(old, list) and isinstance(new, list):
        ko, kn = _keyed(old), _keyed(new)
        if ko is not None and kn is not None:
            old, new = ko, kn
        else:
            old, new = {str(i): v for i, v in enumerate(old)}, {str(i): v for i, v in enumerate(new)}
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        added = {k: v for k, v in new.items() if k not in old}
        removed = {k: v for k, v in old.items() if k not in new}
        if added:
            out += [path or "(root level)", f"  + {_count(added)} added:"] + _indent(added)
        if removed:
            out += [path or "(root level)", f"  - {_count(removed)} removed:"] + _indent(removed)
        for k in old:
            if k in new:
                out += changes(old[k], new[k], f"{path}.{k}" if path else str(k))
        return out
    if old == new:
        return []
    return [path, "  ± value change", f"    - {_scalar(old)}", f"    + {_scalar(new)}"]


def _count(d: dict[str, Any]) -> str:
    return "one map entry" if len(d) == 1 else f"{len(d)} map entries"


def _indent(d: dict[str, Any]) -> list[str]:
    return ["    " + ln for ln in yaml.safe_dump(d, sort_keys=False).splitlines()]


def _scalar(v: Any) -> str:
    if isinstance(v, str) and "\n" not in v:
        return v  # dyff prints strings as they are
    return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()


# -- Secret values never reach the terminal ---------------------------------------------------------------
MASK, MASK_BEFORE, MASK_AFTER = "***", "*** (before)", "*** (after)"  # fluxcd/pkg/ssa sanitize.go
SOPS_KEYS_MASK = "*****"  # flux2 internal/build diff.go, SOPS-masked Secrets compared by keys
SOPS_MASK = "**SOPS**"
EXCLUDED = {"kustomize.toolkit.fluxcd.io/reconcile": "disabled", "kustomize.toolkit.fluxcd.io/ssa": "ignore"}


def sanitize_secret_data(before: Obj, after: Obj) -> None:
    """ssa.SanitizeUnstructuredData: equal values become `***`, changed ones `*** (before)`/`*** (after)`."""
    old, new = before.get("data"), after.get("data")
    old = dict(old) if isinstance(old, dict) else None
    new = dict(new) if isinstance(new, dict) else None
    for key in list(old or {}):
        assert old is not None
        if new is not None and key in new:
            if old[key] != new[key]:
                old[key], new[key] = MASK_BEFORE, MASK_AFTER
                continue
            new[key] = MASK
        old[key] = MASK
    for key in list(new or {}):
        assert new is not None
        if old is None or key not in old:
            new[key] = MASK
    if old is not None:
        before["data"] = old
    if new is not None:
        after["data"] = new


def _sops_masked(obj: Obj) -> bool:
    """Does the built Secret carry `flux build`'s SOPS mask (its real values are unknown here)?"""
    import base64

    for value in (obj.get("data") or {}).values():
        try:
            if SOPS_MASK.encode() in base64.b64decode(str(value)):
                return True
        except ValueError:
            continue
    return False


def _keys_only(obj: Obj) -> Obj:
    return {**obj, "data": {k: SOPS_KEYS_MASK for k in sorted(obj.get("data") or {})}}


def _child_lines(s: Session, ks: Obj, obj: Obj, sources: dict[str, str], build_child: Any,
                 progress: Spinner | None) -> list[str]:
    """flux diff -r for one Kustomization of the build: its own diff under `📁 … changed`, or why not."""
    from engine.cli.buildflags import child_path

    meta, parent = obj.get("metadata") or {}, ks.get("metadata") or {}
    if (meta.get("name"), meta.get("namespace")) == (parent.get("name"), parent.get("namespace")):
        return []
    if (obj.get("spec") or {}).get("kubeConfig") is not None:
        return [f"⚠️ {_subject(obj)} skipped: diff not supported for remote clusters"]
    if progress is not None:
        progress.suffix = f" {DRY_RUN} in {meta.get('name', '')}"
    child_ks, child_objects = build_child(obj, child_path(obj, sources))
    sub = diff_objects(s, child_ks, child_objects, recursive=True, sources=sources, build_child=build_child,
                       progress=progress)
    if progress is not None:  # finished with the child's diff
        progress.suffix = f" {DRY_RUN}"
    return [f"📁 {_subject(obj)} changed"] + sub if sub else []


def diff_objects(s: Session, ks: Obj, objects: list[Obj], *, recursive: bool = False,
                 sources: dict[str, str] | None = None, build_child: Any = None,
                 progress: Spinner | None = None) -> list[str]:
    """flux diff kustomization's lines for the built `objects` against the cluster (with `recursive`, the child
    Kustomizations' diffs too, each built from its source's local path in `sources` by `build_child(obj, path)`);
    `progress` (--progress-bar) says what is being dry-run."""
    from engine.kustomization.apply import FIELD_MANAGER, _comparable
    from engine.kustomization.inventory import ObjMeta

    lines: list[str] = []
    built: set[str] = set()
    for obj in objects:
        meta = obj["metadata"]
        if not meta.get("namespace"):
            try:
                if s.client.is_namespaced(obj["apiVersion"], obj["kind"]):
                    meta["namespace"] = "default"
            except ApiError:
                pass
        built.add(ObjMeta.of(obj).id)
        annotations = {**(meta.get("labels") or {}), **(meta.get("annotations") or {})}
        if any(annotations.get(k) == v for k, v in EXCLUDED.items()):
            lines.append(f"► {_subject(obj)} skipped")
            continue
        existing = s.client.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        if existing is None:
            lines.append(f"► {_subject(obj)} created")
            continue
        if recursive and build_child is not None and obj.get("kind") == "Kustomization" and \
                str(obj.get("apiVersion", "")).startswith("kustomize.toolkit.fluxcd.io/"):
            child = _child_lines(s, ks, obj, sources or {}, build_child, progress)
        else:
            child = []
        dry = s.client.apply(obj, field_manager=FIELD_MANAGER, dry_run=True)
        before, after = _comparable(existing), _comparable(dry)
        if before == after:
            lines += child
            continue
        if obj.get("kind") == "Secret":
            if _sops_masked(obj):  # values unknown: drifted only when the keys differ
                before, after = _keys_only(before), _keys_only(after)
                if before.get("data") == after.get("data"):
                    continue
            else:
                sanitize_secret_data(before, after)
        lines += [f"► {_subject(obj)} drifted", ""] + changes(before, after) + [""] + child
    if progress is not None:
        progress.suffix = " processing inventory"
    if (ks.get("spec") or {}).get("prune"):
        for entry in ((ks.get("status") or {}).get("inventory") or {}).get("entries") or []:
            if entry["id"] not in built:
                lines.append(f"► {ObjMeta.parse(entry).subject} deleted")
    return lines
