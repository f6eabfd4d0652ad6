"""PersistentVolume binding: the local-path provisioner and the PV controller, plus PVC/PV protection."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workshop.cluster.embedded.api import Obj, ObjectStore, StoreError, WatchEvent

from .common import DEFAULT_CLASS_ANNOTATION, NODE_NAME, PODS, PVCS, PVS, STORAGECLASSES, deep, deleting
from .core import Context

PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
PV_CONTROLLER = "persistentvolume-controller"
ALL_PENDING = "*"


def default_class(store: ObjectStore) -> Obj | None:
    for cls in store.list(STORAGECLASSES):
        if (cls["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true":
            return cls
    return None


def claim_in_use(store: ObjectStore, pvc: Obj) -> bool:
    name = pvc["metadata"]["name"]

    def uses_claim(pod: Obj) -> bool:
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return False
        return any((volume.get("persistentVolumeClaim") or {}).get("claimName") == name
                   for volume in (pod.get("spec") or {}).get("volumes") or [])

    return bool(store.list(PODS, pvc["metadata"]["namespace"], where=uses_claim))


class VolumeController:
    """Provision, bind, and release claims; honour the protection finalizers."""

    name = "persistentvolume"

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        meta = event.obj.get("metadata") or {}
        if event.gvr == PVCS:
            yield meta.get("namespace"), meta.get("name", "")
        elif event.gvr == STORAGECLASSES and event.type != "DELETED":
            yield None, ALL_PENDING
        elif event.gvr == PODS and (event.type == "DELETED" or (event.obj.get("status") or {}).get("phase")
                                    in ("Succeeded", "Failed")):
            for volume in (event.obj.get("spec") or {}).get("volumes") or []:
                claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
                if claim:
                    yield meta.get("namespace"), claim

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        for pvc in store.list(PVCS):
            yield pvc["metadata"]["namespace"], pvc["metadata"]["name"]

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        if name == ALL_PENDING:
            for pending in ctx.store.list(PVCS, where=lambda c: (c.get("status") or {}).get("phase") == "Pending"):
                ctx.enqueue((self.name, pending["metadata"]["namespace"], pending["metadata"]["name"]))
            return
        pvc = ctx.store.get(PVCS, namespace, name)
        if pvc is None:
            return
        if deleting(pvc):
            self._release(ctx, pvc)
            return
        if PVC_PROTECTION not in (pvc["metadata"].get("finalizers") or []):
            updated = deep(pvc)
            updated["metadata"]["finalizers"] = (updated["metadata"].get("finalizers") or []) + [PVC_PROTECTION]
            ctx.store.update(PVCS, updated)
            return
        if (pvc.get("status") or {}).get("phase") == "Bound":
            self._resize(ctx, pvc)
            return
        self._bind(ctx, pvc)

    def _bind(self, ctx: Context, pvc: Obj) -> None:
        spec = pvc.get("spec") or {}
        class_name = spec.get("storageClassName")
        if class_name is None:
            cls = default_class(ctx.store)
            if cls is None:
                self._once(ctx, pvc, "FailedBinding",
                           "no persistent volumes available for this claim and no storage class is set")
                return
            updated = deep(pvc)
            updated["spec"]["storageClassName"] = cls["metadata"]["name"]
            ctx.store.update(PVCS, updated)
            return
        cls = ctx.store.get(STORAGECLASSES, None, class_name) if class_name else None
        if cls is None:
            self._once(ctx, pvc, "ProvisioningFailed",
                       f'storageclass.storage.k8s.io "{class_name}" not found', type_="Warning")
            return
        provisioner = cls.get("provisioner", "")
        pv_name = f"pvc-{pvc['metadata']['uid']}"
        pv = ctx.store.get(PVS, None, pv_name) or self._provision(ctx, pvc, cls, pv_name)
        bound = deep(pvc)
        annotations = bound["metadata"].setdefault("annotations", {})
        annotations.update({"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
                            "volume.beta.kubernetes.io/storage-provisioner": provisioner,
                            "volume.kubernetes.io/storage-provisioner": provisioner})
        bound["spec"]["volumeName"] = pv_name
        bound = ctx.store.update(PVCS, bound)
        bound["status"] = {"accessModes": list(spec.get("accessModes") or []),
                           "capacity": dict(pv["spec"]["capacity"]), "phase": "Bound"}
        ctx.store.update(PVCS, bound, subresource="status")
        pv = ctx.store.get(PVS, None, pv_name) or pv
        if (pv.get("status") or {}).get("phase") != "Bound":
            pv_status = deep(pv)
            pv_status["status"] = {"lastPhaseTransitionTime": ctx.clock.stamp(), "phase": "Bound"}
            ctx.store.update(PVS, pv_status, subresource="status")

    def _provision(self, ctx: Context, pvc: Obj, cls: Obj, pv_name: str) -> Obj:
        meta = pvc["metadata"]
        provisioner = cls.get("provisioner", "")
        spec = pvc.get("spec") or {}
        ctx.event(pvc, "ExternalProvisioning",
                  f"Waiting for a volume to be created either by the external provisioner '{provisioner}' or "
                  "manually by the system administrator. If volume creation is delayed, please verify that the "
                  "provisioner is running and correctly registered.", component=PV_CONTROLLER)
        ctx.event(pvc, "Provisioning",
                  f'External provisioner is provisioning volume for claim "{meta["namespace"]}/{meta["name"]}"',
                  component=f"{provisioner}_local-path-provisioner")
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        pv: dict[str, Any] = {
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": pv_name, "finalizers": [PV_PROTECTION],
                         "annotations": {"local.path.provisioner/selected-node": NODE_NAME,
                                         "pv.kubernetes.io/provisioned-by": provisioner}},
            "spec": {"accessModes": list(spec.get("accessModes") or []),
                     "capacity": {"storage": storage},
                     "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": meta["name"],
                                  "namespace": meta["namespace"], "resourceVersion": meta.get("resourceVersion"),
                                  "uid": meta["uid"]},
                     "hostPath": {"path": f"/var/local-path-provisioner/{pv_name}_{meta['namespace']}_{meta['name']}",
                                  "type": "DirectoryOrCreate"},
                     "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                         {"key": "kubernetes.io/hostname", "operator": "In", "values": [NODE_NAME]}]}]}},
                     "persistentVolumeReclaimPolicy": cls.get("reclaimPolicy", "Delete"),
                     "storageClassName": cls["metadata"]["name"],
                     "volumeMode": spec.get("volumeMode", "Filesystem")},
        }
        try:
            created = ctx.store.create(PVS, pv)
        except StoreError as err:
            if err.code != 409:
                raise
            return ctx.store.get(PVS, None, pv_name) or pv
        ctx.event(pvc, "ProvisioningSucceeded", f"Successfully provisioned volume {pv_name}",
                  component=f"{provisioner}_local-path-provisioner")
        return created

    def _resize(self, ctx: Context, pvc: Obj) -> None:
        """Volume expansion: capacity follows a grown request (local-path has no real limit)."""
        request = (((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
        capacity = ((pvc.get("status") or {}).get("capacity") or {}).get("storage")
        if request is None or request == capacity:
            return
        from workshop.cluster.embedded.validation import parse_quantity

        try:
            if parse_quantity(request) <= parse_quantity(capacity):
                return
        except ValueError:
            return
        pv_name = (pvc.get("spec") or {}).get("volumeName")
        pv = ctx.store.get(PVS, None, pv_name) if pv_name else None
        if pv is not None:
            grown = deep(pv)
            grown["spec"]["capacity"]["storage"] = request
            ctx.store.update(PVS, grown)
        updated = deep(pvc)
        updated["status"]["capacity"] = {"storage": request}
        ctx.store.update(PVCS, updated, subresource="status")

    def _release(self, ctx: Context, pvc: Obj) -> None:
        if claim_in_use(ctx.store, pvc):
            return
        pv_name: str = (pvc.get("spec") or {}).get("volumeName") or ""
        finalizers = pvc["metadata"].get("finalizers") or []
        if PVC_PROTECTION in finalizers:
            updated = deep(pvc)
            updated["metadata"]["finalizers"] = [f for f in finalizers if f != PVC_PROTECTION]
            ctx.store.update(PVCS, updated)
        pv = ctx.store.get(PVS, None, pv_name) if pv_name else None
        if pv is None:
            return
        if (pv.get("spec") or {}).get("persistentVolumeReclaimPolicy") == "Delete":
            try:
                ctx.store.delete(PVS, None, pv_name)
            except StoreError as err:
                if err.code != 404:
                    raise
            pv = ctx.store.get(PVS, None, pv_name)
            if pv is not None:
                freed = deep(pv)
                freed["metadata"]["finalizers"] = [f for f in freed["metadata"].get("finalizers") or []
                                                   if f != PV_PROTECTION]
                ctx.store.update(PVS, freed)
        else:
            released = deep(pv)
            released["status"] = {"lastPhaseTransitionTime": ctx.clock.stamp(), "phase": "Released"}
            ctx.store.update(PVS, released, subresource="status")

    def _once(self, ctx: Context, pvc: Obj, reason: str, message: str, *, type_: str = "Normal") -> None:
        key = (pvc["metadata"].get("uid"), reason)
        seen: set[Any] = getattr(self, "_seen", set())
        if key in seen:
            return
        seen.add(key)
        self._seen = seen
        ctx.event(pvc, reason, message, type_=type_, component=PV_CONTROLLER)
