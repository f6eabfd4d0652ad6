"""The embedded API server's object store: one lock, a global resourceVersion, a change log for watches.

Objects are kept as plain JSON dicts that are never mutated after they are stored, so readers may serialise
them without copying. Every write goes through the same pipeline (defaults, validation, metadata rules,
generation, no-op detection) whether it comes over HTTP or from the simulation.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from engine.jsonobj import Obj

from . import crd_schema, crds, defaults, validation
from .api import GVR, StoreError, WatchEvent
from .errors import ApiError, already_exists, bad_request, conflict, expired, forbidden, invalid, not_found
from .objects import clone, deterministic_uid, meta, name_suffix, now, rfc3339
from .resources import Registry, ResourceInfo
from .selectors import Predicate, parse_label_selector
from .views import storage_of, view_of

GR = tuple[str, str]
Key = tuple[str, str]

NS_GR: GR = ("", "namespaces")
EVENTS_GR: GR = ("", "events")
LOG_SIZE = 20000
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"

#: Kinds a real API server stores without metadata.generation.
NO_GENERATION: frozenset[GR] = frozenset({
    ("", "configmaps"), ("", "secrets"), ("", "events"), ("", "endpoints"), ("", "serviceaccounts"),
    ("", "namespaces"), ("", "nodes"), ("", "pods"), ("", "services"), ("", "limitranges"),
    ("", "resourcequotas"), ("", "podtemplates"), ("", "persistentvolumeclaims"), ("", "persistentvolumes"),
    ("events.k8s.io", "events"), ("coordination.k8s.io", "leases"), ("apps", "controllerrevisions"),
    ("storage.k8s.io", "storageclasses"), ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "rolebindings"), ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
})

_SERVER_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
                "selfLink")


@dataclass(frozen=True)
class Change:
    """One committed write: the object after it (for DELETED: its last state) and before it."""

    rv: int
    type: str
    gr: GR
    obj: Obj
    old: Obj | None


ChangeList = list[Change]


class Watcher:
    """A watch's inbox; the store pushes every change of its group-resource into it."""

    def __init__(self, gr: GR | None) -> None:
        self.gr = gr
        self.inbox: queue.SimpleQueue[Change | None] = queue.SimpleQueue()


class Store:
    """Thread-safe storage of all API objects; implements the `ObjectStore` protocol of api.py."""

    def __init__(self, registry: Registry | None = None, *, uid_seed: str = "embedded") -> None:
        self.registry = registry or Registry()
        self.lock = threading.RLock()
        self._data: dict[GR, dict[Key, Obj]] = {}
        self._uids: dict[str, tuple[GR, Key]] = {}
        self._dependents: dict[str, set[tuple[GR, Key]]] = {}
        self._rv = 1
        self._uid_n = 0
        self._name_n = 0
        self._uid_seed = uid_seed
        self._log: deque[Change] = deque(maxlen=LOG_SIZE)
        self._log_floor = 1
        self._watchers: set[Watcher] = set()
        self._subscribers: list[Callable[[WatchEvent], None]] = []
        self._dispatch: queue.Queue[Change | None] = queue.Queue()
        self._dispatcher: threading.Thread | None = None
        self.write_listeners: list[Callable[[], None]] = []
        #: called with each committed Change, under the lock, before the write is answered (the journal)
        self.change_listeners: list[Callable[[Change], None]] = []

    # ------------------------------------------------------------------ identity and reading

    @property
    def resource_version(self) -> int:
        return self._rv

    @property
    def uid_counter(self) -> int:
        return self._uid_n

    @property
    def name_counter(self) -> int:
        return self._name_n

    def info(self, gvr: GVR) -> ResourceInfo:
        info = self.registry.get(gvr)
        if info is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return info

    def read(self, info: ResourceInfo, namespace: str | None, name: str) -> Obj:
        """The stored object (do not mutate it); 404 NotFound when absent."""
        obj = self._data.get(storage_of(info.group_resource), {}).get(
            (namespace or "" if info.namespaced else "", name))
        if obj is None:
            raise not_found(info.plural, info.group, name)
        return obj

    def find(self, info: ResourceInfo, namespace: str | None, name: str) -> Obj | None:
        return self._data.get(storage_of(info.group_resource), {}).get(
            (namespace or "" if info.namespaced else "", name))

    def select(self, info: ResourceInfo, namespace: str | None = None, pred: Predicate | None = None) -> tuple[
            list[Obj], int]:
        """Stored objects of a resource (sorted by namespace, name) and the current resourceVersion."""
        with self.lock:
            bucket = self._data.get(storage_of(info.group_resource), {})
            if namespace:
                items = [o for (ns, _), o in bucket.items() if ns == namespace]
            else:
                items = list(bucket.values())
            rv = self._rv
        if pred is not None:
            items = [o for o in items if pred(o)]
        items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return items, rv

    def controlled(self, info: ResourceInfo, namespace: str | None, uid: str,
                   pred: Predicate | None = None) -> list[Obj]:
        """Stored objects whose controller ownerReference has this uid, found through the owner index."""
        gr = storage_of(info.group_resource)
        with self.lock:
            bucket = self._data.get(gr, {})
            items = [bucket[key] for g, key in self._dependents.get(uid, ())
                     if g == gr and key in bucket and (not namespace or key[0] == namespace)]
        items = [o for o in items if _controller_uid(o) == uid and (pred is None or pred(o))]
        items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return items

    def by_uid(self, uid: str) -> Obj | None:
        ref = self._uids.get(uid)
        if ref is None:
            return None
        return self._data.get(ref[0], {}).get(ref[1])

    def all_objects(self) -> Iterable[tuple[GR, Obj]]:
        with self.lock:
            return [(gr, o) for gr, bucket in self._data.items() for o in bucket.values()]

    # ------------------------------------------------------------------ ObjectStore protocol

    def get(self, gvr: GVR, namespace: str | None, name: str) -> Obj | None:
        info = self.info(gvr)
        with self.lock:
            obj = self.find(info, namespace, name)
            return None if obj is None else self.render(info, clone(obj))

    def list(self, gvr: GVR, namespace: str | None = None, label_selector: str | None = None, *,
             where: Predicate | None = None, controller_uid: str | None = None) -> list[Obj]:
        info = self.info(gvr)
        pred = _both(parse_label_selector(label_selector), where)
        if controller_uid is None:
            items, _ = self.select(info, namespace, pred)
        else:
            items = self.controlled(info, namespace, controller_uid, pred)
        return [self.render(info, clone(o)) for o in items]

    def create(self, gvr: GVR, obj: Obj, *, field_manager: str | None = None) -> Obj:
        return clone(self.create_object(self.info(gvr), clone(obj), keep_status=True, manager=field_manager))

    def update(self, gvr: GVR, obj: Obj, *, subresource: str | None = None, field_manager: str | None = None) -> Obj:
        return clone(self.update_object(self.info(gvr), clone(obj), subresource=subresource, manager=field_manager))

    def delete(self, gvr: GVR, namespace: str | None, name: str, *, propagation: str = "Background") -> None:
        self.delete_object(self.info(gvr), namespace, name, propagation=propagation)

    def subscribe(self, callback: Callable[[WatchEvent], None]) -> None:
        with self.lock:
            self._subscribers.append(callback)
            if self._dispatcher is None:
                self._dispatcher = threading.Thread(target=self._dispatch_loop, name="store-dispatch", daemon=True)
                self._dispatcher.start()

    def record_event(self, involved: Obj, reason: str, message: str, *, type_: str = "Normal",
                     component: str = "") -> None:
        from .events import record_event

        record_event(self, involved, reason, message, type_=type_, component=component)

    # ------------------------------------------------------------------ write pipeline

    def render(self, info: ResourceInfo, obj: Obj) -> Obj:
        """The object as served at info's version (apiVersion and kind set; converted for a view)."""
        view = view_of(info.group_resource)
        if view is not None and obj.get("apiVersion") != info.api_version:
            obj = view.from_storage(obj)
        if obj.get("apiVersion") != info.api_version or obj.get("kind") != info.kind:
            obj = {"apiVersion": info.api_version, "kind": info.kind,
                   **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}}
        return obj

    def _storage_form(self, info: ResourceInfo, obj: Obj) -> Obj:
        view = view_of(info.group_resource)
        if view is not None:
            return view.to_storage(obj)
        version = self.registry.storage_version(info.group, info.plural) or info.version
        api_version = f"{info.group}/{version}" if info.group else version
        rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
        return {"apiVersion": api_version, "kind": info.kind, **rest}

    def _next_uid(self) -> str:
        self._uid_n += 1
        return deterministic_uid(self._uid_seed, self._uid_n)

    def _check_namespace(self, info: ResourceInfo, namespace: str, name: str) -> None:
        ns = self._data.get(NS_GR, {}).get(("", namespace))
        if ns is None:
            raise not_found("namespaces", "", namespace)
        if ns["metadata"].get("deletionTimestamp") and info.group_resource not in (EVENTS_GR,
                                                                                  ("events.k8s.io", "events")):
            raise forbidden(f'{info.plural}{"." + info.group if info.group else ""} "{name}" is forbidden: unable '
                            f"to create new content in namespace {namespace} because it is being terminated",
                            info.plural, info.group, name)

    def _validate(self, info: ResourceInfo, obj: Obj, old: Obj | None) -> None:
        causes = validation.validate(info.gvr, obj, old)
        if info.group_resource == crds.CRD_GROUP_RESOURCE:
            causes = causes + crds.crd_causes(obj) + crd_schema.crd_schema_causes(obj)
        elif info.crd is not None:
            causes = causes + crd_schema.for_info(info).validate(obj, old)
        if causes:
            name = obj.get("metadata", {}).get("name", "")
            raise invalid(info.kind, info.group, name, causes,
                          validation.format_invalid_message(info.kind, info.group, name, causes))

    def create_object(self, info: ResourceInfo, obj: Obj, *, dry_run: bool = False, keep_status: bool = False,
                      manager: str | None = None) -> Obj:
        """Create; the object dict is taken over. Returns the stored object."""
        if not isinstance(obj, dict):
            raise bad_request("the body of the request was not a JSON object")
        m = meta(obj)
        with self.lock:
            if info.namespaced:
                if not m.get("namespace"):
                    m["namespace"] = "default"
            else:
                m.pop("namespace", None)
            if not m.get("name") and m.get("generateName"):
                self._name_n += 1
                m["name"] = str(m["generateName"]) + name_suffix(f"{m['generateName']}:{self._name_n}")
            name = str(m.get("name") or "")
            if not name:
                raise invalid(info.kind, info.group, "", [{"reason": "FieldValueRequired",
                              "message": "Required value: name or generateName is required",
                              "field": "metadata.name"}])
            ns = m.get("namespace", "") if info.namespaced else ""
            if info.namespaced:
                self._check_namespace(info, ns, name)
            key = (ns, name)
            if key in self._data.get(storage_of(info.group_resource), {}):
                raise already_exists(info.plural, info.group, name)
            if info.has_status and not keep_status:
                obj.pop("status", None)
                if info.crd is None:
                    obj["status"] = {}
            for k in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "selfLink"):
                m.pop(k, None)
            obj = self._storage_form(info, obj)
            defaults.default_object(info, obj)
            m = obj["metadata"]
            if info.group_resource == NS_GR:
                obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
                obj.setdefault("status", {}).setdefault("phase", "Active")
                m.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            self._validate(info, obj, None)
            if info.group_resource == crds.CRD_GROUP_RESOURCE:
                obj["status"] = crds.established_status(obj, None)
                fins = m.setdefault("finalizers", [])
                if crds.CLEANUP_FINALIZER not in fins:
                    fins.append(crds.CLEANUP_FINALIZER)
            m["uid"] = m.get("uid") if keep_status and m.get("uid") else self._next_uid()
            m["creationTimestamp"] = rfc3339(now())
            if info.group_resource not in NO_GENERATION:
                m["generation"] = 1
            else:
                m.pop("generation", None)
            if manager:
                obj = self._record_update(info, None, obj, manager, None)
                m = obj["metadata"]
            if dry_run:  # nothing was persisted: no resourceVersion (the apiserver's DryRunnableStorage)
                return obj
            self._rv += 1
            m["resourceVersion"] = str(self._rv)
            self._commit(storage_of(info.group_resource), key, "ADDED", obj, None)
            if info.group_resource == crds.CRD_GROUP_RESOURCE:
                self.registry.register_crd(obj)
            return obj

    def update_object(self, info: ResourceInfo, obj: Obj, *, subresource: str | None = None, dry_run: bool = False,
                      manager: str | None = None, require_rv: bool | None = None,
                      explicit_managed_fields: bool = False) -> Obj:
        """Replace (PUT semantics) honouring subresource rules; returns the stored (or unchanged) object."""
        if not isinstance(obj, dict):
            raise bad_request("the body of the request was not a JSON object")
        m = meta(obj)
        with self.lock:
            ns = (m.get("namespace") or "default") if info.namespaced else ""
            name = str(m.get("name") or "")
            if not name:
                raise invalid(info.kind, info.group, "", [{"reason": "FieldValueRequired",
                              "message": "Required value: name is required", "field": "metadata.name"}])
            key = (ns, name)
            old = self._data.get(storage_of(info.group_resource), {}).get(key)
            if old is None:
                raise not_found(info.plural, info.group, name)
            om = old["metadata"]
            rv = m.get("resourceVersion")
            if rv:
                if str(rv) != om["resourceVersion"]:
                    raise conflict(info.plural, info.group, name)
            elif require_rv if require_rv is not None else (info.crd is not None and subresource is None):
                raise invalid(info.kind, info.group, name, [{"reason": "FieldValueInvalid", "field":
                              "metadata.resourceVersion", "message": "Invalid value: 0x0: must be specified for an "
                                                                     "update"}])
            if m.get("uid") and m["uid"] != om["uid"]:
                raise ApiError(409, "Conflict", f"Precondition failed: UID in precondition: {m['uid']}, UID in "
                               f"object meta: {om['uid']}")
            new = self._merge_subresource(info, old, self._storage_form(info, obj), subresource)
            nm = new["metadata"]
            for k in _SERVER_META:
                if k in om:
                    nm[k] = om[k]
                else:
                    nm.pop(k, None)
            if info.namespaced:
                nm["namespace"] = ns
            else:
                nm.pop("namespace", None)
            if om.get("deletionTimestamp"):
                added = [f for f in nm.get("finalizers") or [] if f not in (om.get("finalizers") or [])]
                if added:
                    raise invalid(info.kind, info.group, name, [{"reason": "FieldValueForbidden",
                                  "field": "metadata.finalizers", "message": "Forbidden: no new finalizers can be "
                                  "added if the object is being deleted, found new finalizers []string{" +
                                  ", ".join(f'"{f}"' for f in added) + "}"}])
            if not explicit_managed_fields or "managedFields" not in nm:
                if "managedFields" in om:
                    nm["managedFields"] = om["managedFields"]
                else:
                    nm.pop("managedFields", None)
            defaults.default_object(info, new, subresource)
            if info.group_resource == NS_GR:
                new.setdefault("spec", {}).setdefault("finalizers", list(old.get("spec", {}).get("finalizers", [])))
                nm.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            self._validate(info, new, old)
            if info.group_resource == crds.CRD_GROUP_RESOURCE:
                status = crds.established_status(new, old.get("status"))
                new["status"] = crds.terminating_status(status) if om.get("deletionTimestamp") else status
            if "generation" in om and _spec_changed(info, old, new):
                nm["generation"] = om["generation"] + 1
            nm["resourceVersion"] = om["resourceVersion"]
            if nm.get("managedFields") == [{}]:
                nm.pop("managedFields")
            if manager and not explicit_managed_fields:
                new = self._record_update(info, old, new, manager, subresource)
                nm = new["metadata"]
            if _same(old, new):
                return old
            return self._write(info, key, new, old, dry_run=dry_run)

    def _record_update(self, info: ResourceInfo, old: Obj | None, new: Obj, manager: str,
                       subresource: str | None) -> Obj:
        """`new` with the Update by `manager` recorded; for a view, on the fields as the request's API names them."""
        if view_of(info.group_resource) is None:
            return _record_update(old, new, manager, subresource)
        shown = _record_update(None if old is None else self.render(info, old), self.render(info, new), manager,
                               subresource)
        out = {**new, "metadata": {**new["metadata"]}}
        if "managedFields" in shown["metadata"]:
            out["metadata"]["managedFields"] = shown["metadata"]["managedFields"]
        else:
            out["metadata"].pop("managedFields", None)
        return out

    def _merge_subresource(self, info: ResourceInfo, old: Obj, new: Obj, subresource: str | None) -> Obj:
        if subresource == "status":
            merged = dict(old)
            if "status" in new:
                merged["status"] = new["status"]
            else:
                merged.pop("status", None)
            merged["metadata"] = dict(old["metadata"])
            return merged
        if subresource == "approval":  # CertificateSigningRequest approval: only status.conditions change
            merged = dict(old)
            merged["status"] = {**(old.get("status") or {}), "conditions": (new.get("status") or {}).get("conditions")}
            merged["metadata"] = dict(old["metadata"])
            return merged
        if subresource == "finalize":
            merged = dict(old)
            merged["spec"] = {**old.get("spec", {}), "finalizers": (new.get("spec") or {}).get("finalizers") or []}
            merged["metadata"] = dict(old["metadata"])
            return merged
        if info.has_status:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        return new

    def _write(self, info: ResourceInfo, key: Key, new: Obj, old: Obj, *, dry_run: bool = False) -> Obj:
        """Store an update (or remove the object when its deletion can complete)."""
        nm = new["metadata"]
        finished = bool(nm.get("deletionTimestamp")) and not nm.get("finalizers") and not (
            info.group_resource == NS_GR and new.get("spec", {}).get("finalizers"))
        if dry_run:
            return new
        self._rv += 1
        nm["resourceVersion"] = str(self._rv)
        gr = storage_of(info.group_resource)
        if finished:
            self._commit(gr, key, "DELETED", new, old)
            self._after_removal(gr, new)
            return new
        self._commit(gr, key, "MODIFIED", new, old)
        self._progress_deletion(gr, key)
        return self._data.get(gr, {}).get(key, new)

    # ------------------------------------------------------------------ deletion, GC, namespaces, CRDs

    def delete_object(self, info: ResourceInfo, namespace: str | None, name: str, *,
                      propagation: str | None = None, preconditions: Obj | None = None,
                      dry_run: bool = False, grace_period: int | None = None) -> tuple[Obj, bool]:
        """Delete; returns (object, removed). removed is False while finalizers hold it, or while a running pod
        deleted with a grace period (API deletes pass one) terminates; a later delete without one (the
        kubelet's) removes the terminating pod."""
        policy = propagation or "Background"
        if policy not in ("Background", "Foreground", "Orphan"):
            raise bad_request(f'propagationPolicy: Unsupported value: "{policy}": supported values: '
                              '"Foreground", "Background", "Orphan"')
        with self.lock:
            obj = self.read(info, namespace, name)
            om = obj["metadata"]
            pre = preconditions or {}
            if pre.get("uid") and pre["uid"] != om["uid"]:
                raise ApiError(409, "Conflict", f"Precondition failed: UID in precondition: {pre['uid']}, UID in "
                               f"object meta: {om['uid']}", {"name": name, "kind": info.plural})
            if pre.get("resourceVersion") and pre["resourceVersion"] != om["resourceVersion"]:
                raise ApiError(409, "Conflict", "Precondition failed: ResourceVersion in precondition: "
                               f"{pre['resourceVersion']}, ResourceVersion in object meta: {om['resourceVersion']}",
                               {"name": name, "kind": info.plural})
            key = (om.get("namespace", "") if info.namespaced else "", name)
            gr = storage_of(info.group_resource)
            if dry_run:
                return obj, not om.get("finalizers") and gr != NS_GR
            graceful = gr == _PODS_GR and grace_period is not None and grace_period > 0 and _running_pod(obj)
            if om.get("deletionTimestamp"):
                if gr == _PODS_GR and not graceful and not om.get("finalizers"):
                    return self._remove_now_returning(gr, key, obj), True
                return obj, False
            if graceful:
                from datetime import timedelta

                grace = int(grace_period or 0)
                new = {**obj, "metadata": {**om, "deletionTimestamp": rfc3339(now() + timedelta(seconds=grace)),
                                           "deletionGracePeriodSeconds": grace}}
                self._rv += 1
                new["metadata"]["resourceVersion"] = str(self._rv)
                self._commit(gr, key, "MODIFIED", new, obj)
                return new, False
            if policy == "Orphan":
                self._orphan_dependents(om["uid"])
            fins = list(om.get("finalizers") or [])
            if policy == "Foreground" and self._dependents.get(om["uid"]) and FOREGROUND not in fins:
                fins.append(FOREGROUND)
            if not fins and gr != NS_GR:
                self._rv += 1
                gone = {**obj, "metadata": {**om, "resourceVersion": str(self._rv)}}
                self._commit(gr, key, "DELETED", gone, obj)
                self._after_removal(gr, gone)
                return gone, True
            new = dict(obj)
            nm = new["metadata"] = {**om, "finalizers": fins, "deletionTimestamp": rfc3339(now()),
                                    "deletionGracePeriodSeconds": 0}
            if not fins:
                nm.pop("finalizers")
            if "generation" in om:
                nm["generation"] = om["generation"] + 1
            if gr == NS_GR:
                new["status"] = {**obj.get("status", {}), "phase": "Terminating"}
            if gr == crds.CRD_GROUP_RESOURCE:
                new["status"] = crds.terminating_status(obj.get("status", {}))
            self._rv += 1
            nm["resourceVersion"] = str(self._rv)
            self._commit(gr, key, "MODIFIED", new, obj)
            if gr == NS_GR:
                self._delete_namespace_contents(name)
            elif gr == crds.CRD_GROUP_RESOURCE:
                self._delete_custom_resources(new)
            elif FOREGROUND in fins:
                for dep_gr, dep_key in sorted(self._dependents.get(om["uid"], ())):
                    self._delete_quietly(dep_gr, dep_key, "Foreground")
            self._progress_deletion(gr, key)
            current = self._data.get(gr, {}).get(key)
            return (current or new), current is None

    def _remove_now_returning(self, gr: GR, key: Key, obj: Obj) -> Obj:
        self._rv += 1
        gone = {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(self._rv)}}
        self._commit(gr, key, "DELETED", gone, obj)
        self._after_removal(gr, gone)
        return gone

    def _delete_quietly(self, gr: GR, key: Key, policy: str) -> None:
        obj = self._data.get(gr, {}).get(key)
        info = self._info_for(gr)
        if obj is None or info is None or obj["metadata"].get("deletionTimestamp"):
            return
        try:
            self.delete_object(info, key[0] or None, key[1], propagation=policy)
        except StoreError:
            pass

    def _info_for(self, gr: GR) -> ResourceInfo | None:
        version = self.registry.storage_version(*gr)
        return None if version is None else self.registry.find(gr[0], version, gr[1])

    def _orphan_dependents(self, uid: str) -> None:
        for gr, key in sorted(self._dependents.get(uid, ())):
            dep = self._data.get(gr, {}).get(key)
            if dep is None:
                continue
            refs = [r for r in dep["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
            new = {**dep, "metadata": {**dep["metadata"]}}
            if refs:
                new["metadata"]["ownerReferences"] = refs
            else:
                new["metadata"].pop("ownerReferences", None)
            self._rv += 1
            new["metadata"]["resourceVersion"] = str(self._rv)
            self._commit(gr, key, "MODIFIED", new, dep)

    def _after_removal(self, gr: GR, obj: Obj) -> None:
        """Garbage-collect dependents and let owners, namespaces and CRDs waiting on this object move on."""
        m = obj["metadata"]
        uid = m["uid"]
        for dep_gr, dep_key in sorted(self._dependents.pop(uid, set())):
            dep = self._data.get(dep_gr, {}).get(dep_key)
            if dep is None:
                continue
            live_owners = [r for r in dep["metadata"].get("ownerReferences") or []
                           if r.get("uid") != uid and r.get("uid") in self._uids]
            if live_owners:
                new = {**dep, "metadata": {**dep["metadata"], "ownerReferences": live_owners}}
                self._rv += 1
                new["metadata"]["resourceVersion"] = str(self._rv)
                self._commit(dep_gr, dep_key, "MODIFIED", new, dep)
            else:
                self._delete_quietly(dep_gr, dep_key, "Background")
        for ref in m.get("ownerReferences") or []:
            owner_ref = self._uids.get(ref.get("uid", ""))
            if owner_ref is not None:
                self._progress_deletion(*owner_ref)
        ns = m.get("namespace")
        if ns:
            self._progress_deletion(NS_GR, ("", ns))
        if gr == crds.CRD_GROUP_RESOURCE:
            spec = obj.get("spec", {})
            group, plural = spec.get("group", ""), spec.get("names", {}).get("plural", "")
            for key in sorted(self._data.get((group, plural), {})):
                self._remove_now((group, plural), key)
            self.registry.unregister_crd(group, plural)
        elif self._data.get(crds.CRD_GROUP_RESOURCE):
            crd_key = ("", f"{gr[1]}.{gr[0]}")
            if crd_key in self._data[crds.CRD_GROUP_RESOURCE]:
                self._progress_deletion(crds.CRD_GROUP_RESOURCE, crd_key)

    def _remove_now(self, gr: GR, key: Key) -> None:
        obj = self._data.get(gr, {}).get(key)
        if obj is None:
            return
        self._rv += 1
        gone = {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(self._rv)}}
        self._commit(gr, key, "DELETED", gone, obj)
        self._after_removal(gr, gone)

    def _delete_namespace_contents(self, namespace: str) -> None:
        for gr, bucket in list(self._data.items()):
            if gr == NS_GR:
                continue
            for key in sorted(k for k in bucket if k[0] == namespace):
                self._delete_quietly(gr, key, "Background")

    def _delete_custom_resources(self, crd: Obj) -> None:
        spec = crd.get("spec", {})
        gr = (spec.get("group", ""), spec.get("names", {}).get("plural", ""))
        for key in sorted(self._data.get(gr, {})):
            self._delete_quietly(gr, key, "Background")

    def _progress_deletion(self, gr: GR, key: Key) -> None:
        """Drop system finalizers whose work is done (foreground GC, namespace contents, CRD instances)."""
        obj = self._data.get(gr, {}).get(key)
        if obj is None or not obj["metadata"].get("deletionTimestamp"):
            return
        m = obj["metadata"]
        fins = list(m.get("finalizers") or [])
        spec_fins = list((obj.get("spec") or {}).get("finalizers") or []) if gr == NS_GR else []
        if FOREGROUND in fins and not any(self._data.get(g, {}).get(k) is not None
                                          for g, k in self._dependents.get(m["uid"], ())):
            fins.remove(FOREGROUND)
        if gr == NS_GR and "kubernetes" in spec_fins and not self._namespace_has_content(key[1]):
            spec_fins.remove("kubernetes")
        if gr == crds.CRD_GROUP_RESOURCE and crds.CLEANUP_FINALIZER in fins:
            spec = obj.get("spec", {})
            if not self._data.get((spec.get("group", ""), spec.get("names", {}).get("plural", ""))):
                fins.remove(crds.CLEANUP_FINALIZER)
        if fins == list(m.get("finalizers") or []) and (
                gr != NS_GR or spec_fins == list((obj.get("spec") or {}).get("finalizers") or [])):
            if gr == NS_GR and not fins and not spec_fins:
                pass
            else:
                return
        new = {**obj, "metadata": {**m, "finalizers": fins}}
        if not fins:
            new["metadata"].pop("finalizers")
        if gr == NS_GR:
            new["spec"] = {**obj.get("spec", {}), "finalizers": spec_fins}
        info = self._info_for(gr)
        if info is not None:
            self._write(info, key, new, obj)

    def _namespace_has_content(self, namespace: str) -> bool:
        return any(k[0] == namespace for gr, bucket in self._data.items() if gr != NS_GR for k in bucket)

    # ------------------------------------------------------------------ commit, watch, dispatch

    def _commit(self, gr: GR, key: Key, type_: str, obj: Obj, old: Obj | None) -> None:
        bucket = self._data.setdefault(gr, {})
        if old is not None:
            for ref in old["metadata"].get("ownerReferences") or []:
                deps = self._dependents.get(ref.get("uid", ""))
                if deps is not None:
                    deps.discard((gr, key))
                    if not deps:
                        del self._dependents[ref.get("uid", "")]
        if type_ == "DELETED":
            bucket.pop(key, None)
            self._uids.pop(obj["metadata"].get("uid", ""), None)
        else:
            bucket[key] = obj
            self._uids[obj["metadata"]["uid"]] = (gr, key)
            if type_ == "MODIFIED" and gr == crds.CRD_GROUP_RESOURCE:
                self.registry.register_crd(obj)  # new versions, schemas and columns are served at once
            for ref in obj["metadata"].get("ownerReferences") or []:
                if ref.get("uid"):
                    self._dependents.setdefault(ref["uid"], set()).add((gr, key))
        change = Change(self._rv, type_, gr, obj, old)
        if len(self._log) == self._log.maxlen:
            self._log_floor = self._log[0].rv
        self._log.append(change)
        for w in self._watchers:
            if w.gr is None or w.gr == gr:
                w.inbox.put(change)
        if self._subscribers:
            self._dispatch.put(change)
        for journal in self.change_listeners:
            journal(change)
        for listener in self.write_listeners:
            listener()

    def watch(self, gr: GR | None, since: int | None) -> tuple[Watcher, ChangeList, int]:
        """Register a watcher; returns it, the changes after `since` to replay, and the current rv.

        With since=None the caller lists the current state itself. A `since` older than the log → 410 Expired.
        """
        with self.lock:
            if since is not None and since < self._log_floor - 1 and since < self._rv:
                raise expired(f"too old resource version: {since} ({self._log_floor})")
            replay = [] if since is None else [c for c in self._log if c.rv > since and (gr is None or c.gr == gr)]
            w = Watcher(gr)
            self._watchers.add(w)
            return w, replay, self._rv

    def unwatch(self, w: Watcher) -> None:
        with self.lock:
            self._watchers.discard(w)
        w.inbox.put(None)

    def close_watchers(self) -> None:
        with self.lock:
            watchers = list(self._watchers)
            self._watchers.clear()
        for w in watchers:
            w.inbox.put(None)

    def _dispatch_loop(self) -> None:
        while True:
            change = self._dispatch.get()
            try:
                if change is None:
                    return
                info = self._info_for(change.gr)
                gvr = info.gvr if info else GVR(change.gr[0], "", change.gr[1])
                event = WatchEvent(change.type, gvr, clone(change.obj))
                for cb in list(self._subscribers):
                    try:
                        cb(event)
                    except Exception:  # noqa: BLE001 - a failing subscriber must not stop the others
                        import logging

                        logging.getLogger(__name__).exception("store subscriber failed on %s", change.type)
            finally:
                self._dispatch.task_done()

    def dispatch_idle(self, timeout: float) -> bool:
        """Wait until every committed change has been handed to the subscribers."""
        import time

        deadline = time.monotonic() + timeout
        while self._dispatch.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def stop(self) -> None:
        if self._dispatcher is not None:
            self._dispatch.put(None)
            self._dispatcher.join(timeout=2)
            self._dispatcher = None
        self.close_watchers()

    # ------------------------------------------------------------------ persistence

    def snapshot(self) -> Obj:
        with self.lock:
            return {"resourceVersion": self._rv, "uidCounter": self._uid_n, "nameCounter": self._name_n,
                    "objects": [o for bucket in self._data.values() for o in bucket.values()]}

    def restore(self, state: Obj) -> None:
        """Load a snapshot (CRDs first so their resources are served again)."""
        with self.lock:
            objs = state.get("objects") or []
            crd_objs = [o for o in objs if o.get("kind") == "CustomResourceDefinition"]
            for crd in crd_objs:
                self.registry.register_crd(crd)
            for o in objs:
                api_version, kind = o.get("apiVersion", ""), o.get("kind", "")
                info = self.registry.by_kind(api_version, kind)
                if info is None:
                    continue
                m = o["metadata"]
                key = (m.get("namespace", "") if info.namespaced else "", m["name"])
                self._rv = max(self._rv, int(m.get("resourceVersion") or 0))
                stored = self._storage_form(info, o) if view_of(info.group_resource) else o
                self._commit_silently(storage_of(info.group_resource), key, stored)
            self._rv = max(self._rv, int(state.get("resourceVersion") or 0))
            self._uid_n = int(state.get("uidCounter") or 0)
            self._name_n = int(state.get("nameCounter") or 0)
            self._log.clear()
            self._log_floor = self._rv + 1

    def _commit_silently(self, gr: GR, key: Key, obj: Obj) -> None:
        self._data.setdefault(gr, {})[key] = obj
        self._uids[obj["metadata"]["uid"]] = (gr, key)
        for ref in obj["metadata"].get("ownerReferences") or []:
            if ref.get("uid"):
                self._dependents.setdefault(ref["uid"], set()).add((gr, key))


_PODS_GR = ("", "pods")


def _running_pod(pod: Obj) -> bool:
    """A pod on a node that has not finished: deleting it gracefully waits for the kubelet."""
    return bool((pod.get("spec") or {}).get("nodeName")) and (pod.get("status") or {}).get("phase") not in (
        "Succeeded", "Failed")


def _controller_uid(obj: Obj) -> str | None:
    """The uid of the object's controller ownerReference (the first one with controller: true)."""
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def _both(first: Predicate | None, second: Predicate | None) -> Predicate | None:
    if first is None or second is None:
        return first or second
    return lambda obj: first(obj) and second(obj)


def _spec_changed(info: ResourceInfo, old: Obj, new: Obj) -> bool:
    skip = {"metadata", "apiVersion", "kind"}
    if info.has_status:
        skip.add("status")
    keys = (set(old) | set(new)) - skip
    return any(old.get(k) != new.get(k) for k in keys)


def _strip_times(mf: Any) -> Any:
    if not isinstance(mf, list):
        return mf
    return [{k: v for k, v in e.items() if k != "time"} if isinstance(e, dict) else e for e in mf]


def _same(old: Obj, new: Obj) -> bool:
    """True when an update changes nothing but managedFields timestamps (a no-op write)."""
    om, nm = old.get("metadata", {}), new.get("metadata", {})
    if {k: v for k, v in old.items() if k != "metadata"} != {k: v for k, v in new.items() if k != "metadata"}:
        return False
    ok = {k: v for k, v in om.items() if k not in ("managedFields", "resourceVersion")}
    nk = {k: v for k, v in nm.items() if k not in ("managedFields", "resourceVersion")}
    return ok == nk and _strip_times(om.get("managedFields")) == _strip_times(nm.get("managedFields"))


def _record_update(old: Obj | None, new: Obj, manager: str, subresource: str | None) -> Obj:
    """`new` with `manager` recorded as the Update owner of the fields it changed (managedFields)."""
    from .ssa import record_update

    return record_update(old, new, manager=manager, subresource=subresource)
