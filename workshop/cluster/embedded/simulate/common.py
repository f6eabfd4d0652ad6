"""Shared pieces of the simulated controllers: resources, owner references, conditions, stable hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from workshop.cluster.embedded.api import GVR, Obj, ObjectStore
from workshop.cluster.embedded.defaults import NAME_ALPHABET
from workshop.cluster.embedded.discovery import SERVER_VERSION
from workshop.cluster.embedded.objects import clone
from workshop.cluster.embedded.validation import selector_matches

#: the node (kubelet, kube-proxy, control-plane images) runs the version the API server reports
KUBERNETES_VERSION = SERVER_VERSION["gitVersion"].split("-", 1)[0]

NAMESPACES = GVR("", "v1", "namespaces")
NODES = GVR("", "v1", "nodes")
PODS = GVR("", "v1", "pods")
SERVICES = GVR("", "v1", "services")
ENDPOINTS = GVR("", "v1", "endpoints")
CONFIGMAPS = GVR("", "v1", "configmaps")
SECRETS = GVR("", "v1", "secrets")
SERVICEACCOUNTS = GVR("", "v1", "serviceaccounts")
PVCS = GVR("", "v1", "persistentvolumeclaims")
PVS = GVR("", "v1", "persistentvolumes")
DEPLOYMENTS = GVR("apps", "v1", "deployments")
REPLICASETS = GVR("apps", "v1", "replicasets")
STATEFULSETS = GVR("apps", "v1", "statefulsets")
DAEMONSETS = GVR("apps", "v1", "daemonsets")
CONTROLLERREVISIONS = GVR("apps", "v1", "controllerrevisions")
JOBS = GVR("batch", "v1", "jobs")
STORAGECLASSES = GVR("storage.k8s.io", "v1", "storageclasses")

NODE_NAME = "lab-control-plane"
NODE_IP = "172.18.0.2"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"

__all__ = ["selector_matches"]


def timestamp(moment: datetime) -> str:
    """RFC 3339 with second precision, as metav1.Time serialises."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def meta(obj: Obj) -> dict[str, Any]:
    return obj.setdefault("metadata", {})


def key_of(obj: Obj) -> tuple[str | None, str]:
    m = obj.get("metadata") or {}
    return m.get("namespace"), m.get("name", "")


def owner_reference(owner: Obj, *, block: bool = True) -> dict[str, Any]:
    """A controller ownerReference to owner, as controllers write it."""
    ref = {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
           "uid": owner["metadata"]["uid"], "controller": True}
    if block:
        ref["blockOwnerDeletion"] = True
    return ref


def controller_of(obj: Obj) -> dict[str, Any] | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def owned_by(obj: Obj, owner: Obj) -> bool:
    ref = controller_of(obj)
    return ref is not None and ref.get("uid") == owner["metadata"].get("uid")


def owned(store: ObjectStore, gvr: GVR, owner: Obj) -> list[Obj]:
    """The objects of a resource that are owned_by(owner) in its namespace, looked up by the store's owner index."""
    return store.list(gvr, owner["metadata"].get("namespace"), controller_uid=owner["metadata"]["uid"])


def deleting(obj: Obj) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def condition(obj: Obj, type_: str) -> dict[str, Any] | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_:
            return cond
    return None


def pod_ready(pod: Obj) -> bool:
    cond = condition(pod, "Ready")
    return bool(cond and cond.get("status") == "True") and not deleting(pod)


def available_since(pod: Obj, min_ready_seconds: int) -> datetime | None:
    """When a ready pod counts as available (ready for minReadySeconds); None while it is not ready."""
    if not pod_ready(pod):
        return None
    cond = condition(pod, "Ready") or {}
    since = parse_timestamp(cond.get("lastTransitionTime"))
    if since is None or not min_ready_seconds:
        return since or datetime.min.replace(tzinfo=UTC)
    return since + timedelta(seconds=min_ready_seconds)


def pod_active(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed") and not deleting(pod)


def stable_hash(*parts: Any) -> bytes:
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).digest()


def stable_name_suffix(*parts: Any, length: int = 5) -> str:
    """A generateName-style suffix from Kubernetes' alphabet, derived from parts."""
    return "".join(NAME_ALPHABET[b % len(NAME_ALPHABET)] for b in stable_hash(*parts)[:length])


def safe_encode(text: str) -> str:
    """rand.SafeEncodeString: map each byte onto the consonant/digit alphabet."""
    return "".join(NAME_ALPHABET[ord(ch) % len(NAME_ALPHABET)] for ch in text)


def fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def strip_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_none(v) for v in value]
    return value


def deep(obj: Obj) -> Obj:
    """A deep copy of an API object (JSON data)."""
    return clone(obj)


def set_condition(conditions: list[dict[str, Any]], new: dict[str, Any], now: str,
                  *, keep_transition_if_same_status: bool = True) -> list[dict[str, Any]]:
    """Replace or add a condition the way Kubernetes controllers do (lastTransitionTime kept while status holds)."""
    result = []
    old = None
    for cond in conditions:
        if cond.get("type") == new["type"]:
            old = cond
        else:
            result.append(cond)
    entry = dict(new)
    if old is not None and old.get("status") == new.get("status") and keep_transition_if_same_status:
        entry["lastTransitionTime"] = old.get("lastTransitionTime", now)
    else:
        entry.setdefault("lastTransitionTime", now)
    if old is not None and all(old.get(k) == entry.get(k) for k in entry if k not in ("lastUpdateTime",
                                                                                          "lastTransitionTime",
                                                                                          "lastProbeTime")):
        entry = old
        return [entry if c is old else c for c in conditions]
    result.append(entry)
    return result


def matching(items: list[Obj], selector: dict[str, Any] | None) -> Iterator[Obj]:
    for item in items:
        if selector_matches(selector, (item.get("metadata") or {}).get("labels")):
            yield item
