"""The /scale subresource: an autoscaling/v1 Scale view of a workload's replicas."""

from __future__ import annotations

from typing import Any

from engine.jsonobj import Obj

from .errors import bad_request, invalid
from .jsonpath import first
from .resources import ResourceInfo


def _paths(info: ResourceInfo) -> tuple[str, str, str | None]:
    v = info.crd_version
    if v is not None:
        s = (v.get("subresources") or {}).get("scale") or {}
        return (s.get("specReplicasPath", ".spec.replicas"), s.get("statusReplicasPath", ".status.replicas"),
                s.get("labelSelectorPath"))
    return ".spec.replicas", ".status.replicas", None


def _selector_string(selector: Any) -> str:
    if not isinstance(selector, dict):
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for e in selector.get("matchExpressions") or []:
        op, key, values = e.get("operator"), e.get("key"), sorted(e.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def read_scale(info: ResourceInfo, obj: Obj) -> Obj:
    spec_path, status_path, selector_path = _paths(info)
    m = obj["metadata"]
    status: Obj = {"replicas": int(first(obj, status_path) or 0)}
    if selector_path:
        sel = first(obj, selector_path)
        if sel:
            status["selector"] = sel
    elif info.crd is None:
        sel = _selector_string((obj.get("spec") or {}).get("selector"))
        if sel:
            status["selector"] = sel
    scale_meta = {k: m[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in m}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": scale_meta,
            "spec": {"replicas": int(first(obj, spec_path) or 0)}, "status": status}


def write_scale(info: ResourceInfo, obj: Obj, scale: Obj) -> Obj:
    """obj (a private copy) with spec replicas taken from the Scale; 422 on a negative or missing count."""
    replicas = (scale.get("spec") or {}).get("replicas")
    if replicas is None:
        replicas = 0
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise bad_request('Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal into Go '
                          'struct field ScaleSpec.spec.replicas of type int32')
    if replicas < 0:
        raise invalid("Scale", "autoscaling", obj["metadata"]["name"], [{"reason": "FieldValueInvalid",
                      "message": f"Invalid value: {replicas}: must be greater than or equal to 0",
                      "field": "spec.replicas"}])
    spec_path = _paths(info)[0]
    cur = obj
    parts = [p for p in spec_path.split(".") if p]
    for p in parts[:-1]:
        nxt = cur.get(p)
        if not isinstance(nxt, dict):
            nxt = {}
        cur[p] = dict(nxt)
        cur = cur[p]
    cur[parts[-1]] = replicas
    obj["metadata"] = dict(obj["metadata"])
    return obj
