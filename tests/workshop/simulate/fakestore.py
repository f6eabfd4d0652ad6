"""An in-memory ObjectStore that behaves like the embedded server's store, for unit-testing the simulation."""

from __future__ import annotations

import builtins
import copy
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from workshop.cluster.embedded.api import GVR, Obj, StoreError, WatchEvent
from workshop.cluster.embedded.defaults import apply_defaults
from workshop.cluster.embedded.validation import format_invalid_message, validate

EVENTS = GVR("", "v1", "events")
KINDS = {"namespaces": "Namespace", "nodes": "Node", "pods": "Pod", "services": "Service",
         "endpoints": "Endpoints", "configmaps": "ConfigMap", "serviceaccounts": "ServiceAccount",
         "persistentvolumeclaims": "PersistentVolumeClaim", "persistentvolumes": "PersistentVolume",
         "deployments": "Deployment", "replicasets": "ReplicaSet", "statefulsets": "StatefulSet",
         "daemonsets": "DaemonSet", "controllerrevisions": "ControllerRevision", "jobs": "Job",
         "cronjobs": "CronJob", "storageclasses": "StorageClass", "events": "Event", "secrets": "Secret",
         "endpointslices": "EndpointSlice"}
CLUSTER_SCOPED = {"namespaces", "nodes", "persistentvolumes", "storageclasses"}
STATUSLESS = {"configmaps", "secrets", "serviceaccounts", "events", "endpoints", "endpointslices",
              "storageclasses", "controllerrevisions"}


def _selector(selector: str | None) -> Callable[[dict[str, str]], bool]:
    if not selector:
        return lambda labels: True
    terms = []
    for term in selector.split(","):
        key, _, value = term.partition("=")
        terms.append((key.strip(), value.strip()))
    return lambda labels: all(labels.get(k) == v for k, v in terms)


def _controller_uid(obj: Obj) -> str | None:
    refs = [r for r in (obj.get("metadata") or {}).get("ownerReferences") or [] if r.get("controller")]
    return refs[0].get("uid") if refs else None


class FakeStore:
    """Faithful enough: rv per write, no-op writes ignored, generation on spec change, 422s, synchronous watch."""

    def __init__(self, served: set[str] | None = None) -> None:
        self._objects: dict[tuple[GVR, str | None, str], Obj] = {}
        self._rv = 0
        self._uids = 0
        self._lock = threading.RLock()
        self._subscribers: list[Callable[[WatchEvent], None]] = []
        self.served = served
        self.log: list[WatchEvent] = []

    # ------------------------------------------------------------ helpers
    def _check_served(self, gvr: GVR) -> None:
        if self.served is not None and gvr.resource not in self.served:
            raise StoreError(404, "NotFound", "the server could not find the requested resource")

    def _key(self, gvr: GVR, obj: Obj) -> tuple[GVR, str | None, str]:
        meta = obj.get("metadata") or {}
        ns = None if gvr.resource in CLUSTER_SCOPED else meta.get("namespace") or "default"
        return gvr, ns, meta.get("name", "")

    def _emit(self, event: WatchEvent) -> None:
        self.log.append(event)
        for callback in list(self._subscribers):
            callback(WatchEvent(event.type, event.gvr, copy.deepcopy(event.obj)))

    def _validate(self, gvr: GVR, obj: Obj, old: Obj | None) -> None:
        causes = validate(gvr, obj, old)
        if causes:
            kind = KINDS.get(gvr.resource, gvr.resource)
            raise StoreError(422, "Invalid", format_invalid_message(kind, gvr.group, obj["metadata"].get("name", ""),
                                                                    causes))

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    # ------------------------------------------------------------ protocol
    def get(self, gvr: GVR, namespace: str | None, name: str) -> Obj | None:
        with self._lock:
            obj = self._objects.get((gvr, namespace if gvr.resource not in CLUSTER_SCOPED else None, name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, gvr: GVR, namespace: str | None = None, label_selector: str | None = None, *,
             where: Callable[[Obj], bool] | None = None, controller_uid: str | None = None) -> list[Obj]:
        match = _selector(label_selector)
        with self._lock:
            items = [copy.deepcopy(o) for (g, ns, _), o in sorted(self._objects.items(), key=lambda kv: kv[0][1:]
                                                                    if kv[0][1] else ("", kv[0][2]))
                     if g == gvr and (namespace is None or ns == namespace)
                     and match((o.get("metadata") or {}).get("labels") or {}) and (where is None or where(o))
                     and (controller_uid is None or _controller_uid(o) == controller_uid)]
        return items

    def create(self, gvr: GVR, obj: Obj) -> Obj:
        self._check_served(gvr)
        with self._lock:
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            if gvr.resource not in CLUSTER_SCOPED:
                meta.setdefault("namespace", "default")
                ns = self._objects.get((GVR("", "v1", "namespaces"), None, meta["namespace"]))
                if ns is None:
                    raise StoreError(404, "NotFound", f'namespaces "{meta["namespace"]}" not found')
            key = self._key(gvr, obj)
            if key in self._objects:
                raise StoreError(409, "AlreadyExists",
                                 f'{gvr.resource} "{meta.get("name")}" already exists')
            self._uids += 1
            meta["uid"] = str(uuid.UUID(int=self._uids))
            meta["creationTimestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            meta["generation"] = 1
            obj.setdefault("apiVersion", gvr.api_version)
            obj.setdefault("kind", KINDS.get(gvr.resource, gvr.resource))
            if gvr.resource not in STATUSLESS and gvr.resource not in ("pods", "namespaces", "services",
                                                                         "persistentvolumeclaims",
                                                                         "persistentvolumes"):
                obj.pop("status", None)
            apply_defaults(gvr, obj)
            self._validate(gvr, obj, None)
            meta["resourceVersion"] = self._next_rv()
            self._objects[key] = obj
            result = copy.deepcopy(obj)
        self._emit(WatchEvent("ADDED", gvr, result))
        return copy.deepcopy(result)

    def update(self, gvr: GVR, obj: Obj, *, subresource: str | None = None) -> Obj:
        with self._lock:
            obj = copy.deepcopy(obj)
            key = self._key(gvr, obj)
            old = self._objects.get(key)
            if old is None:
                raise StoreError(404, "NotFound", f'{gvr.resource} "{key[2]}" not found')
            rv = obj["metadata"].get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise StoreError(409, "Conflict", f'Operation cannot be fulfilled on {gvr.resource} "{key[2]}": '
                                 "the object has been modified; please apply your changes to the latest version "
                                 "and try again")
            if subresource == "status":
                new = copy.deepcopy(old)
                new["status"] = obj.get("status")
                if new["status"] is None:
                    new.pop("status")
            else:
                new = obj
                for field in ("uid", "creationTimestamp", "generation", "namespace"):
                    if field in old["metadata"]:
                        new["metadata"][field] = old["metadata"][field]
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                apply_defaults(gvr, new)
                self._validate(gvr, new, old)
                if new.get("spec") != old.get("spec"):
                    new["metadata"]["generation"] = old["metadata"]["generation"] + 1
            new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            if new == old:
                return copy.deepcopy(old)
            if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
                del self._objects[key]
                result = copy.deepcopy(new)
                kind = "DELETED"
            else:
                new["metadata"]["resourceVersion"] = self._next_rv()
                self._objects[key] = new
                result = copy.deepcopy(new)
                kind = "MODIFIED"
        self._emit(WatchEvent(kind, gvr, result))
        return copy.deepcopy(result)

    def delete(self, gvr: GVR, namespace: str | None, name: str, *, propagation: str = "Background") -> None:
        with self._lock:
            key = (gvr, None if gvr.resource in CLUSTER_SCOPED else namespace, name)
            obj = self._objects.get(key)
            if obj is None:
                raise StoreError(404, "NotFound", f'{gvr.resource} "{name}" not found')
            if obj["metadata"].get("finalizers"):
                obj["metadata"]["deletionTimestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                obj["metadata"]["resourceVersion"] = self._next_rv()
                event = WatchEvent("MODIFIED", gvr, copy.deepcopy(obj))
            else:
                del self._objects[key]
                event = WatchEvent("DELETED", gvr, copy.deepcopy(obj))
            dependents = []
            if propagation != "Orphan":
                uid = obj["metadata"].get("uid")
                dependents = [k for k, o in self._objects.items()
                              if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])]
        self._emit(event)
        for dep in dependents:
            try:
                self.delete(dep[0], dep[1], dep[2], propagation=propagation)
            except StoreError:
                pass

    def subscribe(self, callback: Callable[[WatchEvent], None]) -> None:
        self._subscribers.append(callback)

    def record_event(self, involved: Obj, reason: str, message: str, *, type_: str = "Normal",
                     component: str = "") -> None:
        meta = involved.get("metadata") or {}
        with self._lock:
            self._uids += 1
            serial = self._uids
        self.create(EVENTS, {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta.get('name')}.{serial:016x}", "namespace": meta.get("namespace") or "default"},
            "involvedObject": {"apiVersion": involved.get("apiVersion"), "kind": involved.get("kind"),
                               "name": meta.get("name"), "namespace": meta.get("namespace"),
                               "uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion")},
            "reason": reason, "message": message, "type": type_, "source": {"component": component},
            "count": 1})

    # ------------------------------------------------------------ test helpers
    def events(self, name: str | None = None) -> builtins.list[tuple[str, str, str]]:
        """(type, reason, message) of recorded Events, optionally only those about `name`."""
        return [(e["type"], e["reason"], e["message"]) for e in self.list(EVENTS)
                if name is None or e["involvedObject"]["name"] == name]

    def all_events(self) -> builtins.list[Any]:
        return self.list(EVENTS)
