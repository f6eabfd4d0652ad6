"""CustomResourceDefinition rules: name checks and the status a real apiextensions server writes."""

from __future__ import annotations

from engine.jsonobj import Obj

from .objects import now, rfc3339

CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
CRD_GROUP_RESOURCE = ("apiextensions.k8s.io", "customresourcedefinitions")


def crd_causes(crd: Obj) -> list[Obj]:
    """Validation causes for a CRD (name/plural/group/versions/scope)."""
    spec: Obj = crd["spec"] if isinstance(crd.get("spec"), dict) else {}
    names: Obj = spec["names"] if isinstance(spec.get("names"), dict) else {}
    causes: list[Obj] = []
    group, plural, kind = spec.get("group") or "", names.get("plural") or "", names.get("kind") or ""
    name = (crd.get("metadata") or {}).get("name", "")
    if not group:
        causes.append({"reason": "FieldValueRequired", "message": "Required value", "field": "spec.group"})
    elif "." not in group:
        causes.append({"reason": "FieldValueInvalid", "field": "spec.group",
                       "message": f'Invalid value: "{group}": should be a domain with at least one dot'})
    if not plural:
        causes.append({"reason": "FieldValueRequired", "message": "Required value", "field": "spec.names.plural"})
    if not kind:
        causes.append({"reason": "FieldValueRequired", "message": "Required value", "field": "spec.names.kind"})
    if group and plural and name != f"{plural}.{group}":
        causes.append({"reason": "FieldValueInvalid", "field": "metadata.name",
                       "message": f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group'})
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append({"reason": "FieldValueNotSupported", "field": "spec.scope",
                       "message": f'Unsupported value: "{spec.get("scope") or ""}": supported values: '
                                  '"Cluster", "Namespaced"'})
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        causes.append({"reason": "FieldValueRequired", "message": "Required value: must have exactly one version "
                       "marked as storage version", "field": "spec.versions"})
    else:
        storage = [v for v in versions if isinstance(v, dict) and v.get("storage")]
        if len(storage) != 1:
            causes.append({"reason": "FieldValueInvalid", "field": "spec.versions",
                           "message": "Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: "
                                      "must have exactly one version marked as storage version"})
        for i, v in enumerate(versions):
            if not isinstance(v, dict) or not v.get("name"):
                causes.append({"reason": "FieldValueRequired", "message": "Required value",
                               "field": f"spec.versions[{i}].name"})
            elif not (v.get("schema") or {}).get("openAPIV3Schema"):
                causes.append({"reason": "FieldValueRequired", "message": "Required value: schemas are required",
                               "field": f"spec.versions[{i}].schema.openAPIV3Schema"})
    return causes


def _condition(type_: str, status: str, reason: str, message: str, at: str) -> Obj:
    return {"type": type_, "status": status, "lastTransitionTime": at, "reason": reason, "message": message}


def established_status(crd: Obj, old_status: Obj | None) -> Obj:
    """Status after the names are accepted: NamesAccepted and Established True, acceptedNames, storedVersions."""
    spec = crd.get("spec", {})
    at = rfc3339(now())
    old_conditions = {c.get("type"): c for c in (old_status or {}).get("conditions") or []}

    def keep(c: Obj) -> Obj:
        prev = old_conditions.get(c["type"])
        return prev if prev and prev.get("status") == c["status"] and prev.get("reason") == c["reason"] else c

    names = dict(spec.get("names", {}))
    names.setdefault("singular", str(names.get("kind", "")).lower())
    names.setdefault("listKind", f"{names.get('kind', '')}List")
    stored = list((old_status or {}).get("storedVersions") or [])
    for v in spec.get("versions", []):
        if v.get("storage") and v.get("name") not in stored:
            stored.append(v["name"])
    return {
        "conditions": [
            keep(_condition("NamesAccepted", "True", "NoConflicts", "no conflicts found", at)),
            keep(_condition("Established", "True", "InitialNamesAccepted", "the initial names have been accepted",
                            at)),
        ],
        "acceptedNames": names,
        "storedVersions": stored,
    }


def terminating_status(status: Obj) -> Obj:
    at = rfc3339(now())
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != "Terminating"]
    conditions.append(_condition("Terminating", "True", "InstanceDeletionInProgress",
                                 "CustomResource deletion is in progress", at))
    return {**status, "conditions": conditions}
