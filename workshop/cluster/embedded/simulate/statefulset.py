"""The StatefulSet controller: ordinal pods `<sts>-N`, claims from volumeClaimTemplates, ordered rolling updates."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from workshop.cluster.embedded.api import Obj, ObjectStore, StoreError, WatchEvent

from .capacity import BURST_REPLICAS, count_pods, guard_message, pod_limit
from .common import (
    CONTROLLERREVISIONS,
    PODS,
    PVCS,
    STATEFULSETS,
    controller_of,
    deep,
    deleting,
    fnv32a,
    owned,
    owner_reference,
    pod_ready,
    safe_encode,
)
from .core import Context
from .replicaset import count_available, create_pod, owned_pods, pod_from_template

REVISION_LABEL = "controller-revision-hash"
COMPONENT = "statefulset-controller"


def revision_name(sts: Obj) -> str:
    """`<sts>-<hash of the pod template>`: the ControllerRevision pods are labelled with."""
    template = (sts.get("spec") or {}).get("template") or {}
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    return f"{sts['metadata']['name']}-{safe_encode(str(fnv32a(data)))}"


def ordinal(pod: Obj, sts_name: str) -> int:
    suffix = pod["metadata"]["name"][len(sts_name) + 1:]
    return int(suffix) if suffix.isdigit() else -1


def claim_name(template: dict[str, Any], sts_name: str, index: int) -> str:
    return f"{template['metadata']['name']}-{sts_name}-{index}"


class StatefulSetController:
    name = "statefulset"

    def __init__(self) -> None:
        self._revisions_served: bool | None = None
        self._burst = BURST_REPLICAS  # pods this sync may still create
        self._room = 0  # pods the lab's per-namespace guard still allows

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        meta = event.obj.get("metadata") or {}
        if event.gvr == STATEFULSETS and event.type != "DELETED":
            yield meta.get("namespace"), meta.get("name", "")
        elif event.gvr == PODS:
            ref = controller_of(event.obj)
            if ref and ref.get("kind") == "StatefulSet":
                yield meta.get("namespace"), ref["name"]

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        for sts in store.list(STATEFULSETS):
            yield sts["metadata"]["namespace"], sts["metadata"]["name"]

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        sts = ctx.store.get(STATEFULSETS, namespace, name)
        if sts is None or deleting(sts):
            return
        spec = sts.get("spec") or {}
        update_revision = revision_name(sts)
        self._record_revision(ctx, sts, update_revision)
        status = sts.get("status") or {}
        current_revision = status.get("currentRevision") or update_revision
        pods = {ordinal(p, name): p for p in owned_pods(ctx, sts) if ordinal(p, name) >= 0}
        replicas = int(spec.get("replicas", 1))
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        self._burst = BURST_REPLICAS
        self._room = pod_limit() - count_pods(ctx.store, namespace or "")
        acted = self._converge(ctx, sts, pods, replicas, ordered, current_revision, update_revision)
        pods = {ordinal(p, name): p for p in owned_pods(ctx, sts) if ordinal(p, name) >= 0}
        self._status(ctx, sts, pods, replicas, current_revision, update_revision, settled=not acted)

    def _converge(self, ctx: Context, sts: Obj, pods: dict[int, Obj], replicas: int, ordered: bool,
                  current_revision: str, update_revision: str) -> bool:
        name = sts["metadata"]["name"]
        for index in range(replicas):
            pod = pods.get(index)
            if pod is None:
                if not self._may_create(ctx, sts):
                    return True
                revision = update_revision if index >= self._partition(sts) else current_revision
                if not self._create_pod(ctx, sts, index, revision) or ordered:
                    return True
                continue
            if (pod.get("status") or {}).get("phase") == "Failed" and not deleting(pod):
                ctx.store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
                return True
            if ordered and not pod_ready(pod):
                return True
        for index in sorted((i for i in pods if i >= replicas), reverse=True):
            pod = pods[index]
            if not deleting(pod):
                ctx.store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
                ctx.event(sts, "SuccessfulDelete", f"delete Pod {pod['metadata']['name']} in StatefulSet {name} "
                          "successful", component=COMPONENT)
            if ordered:
                return True
        if any(not pod_ready(p) for i, p in pods.items() if i < replicas):
            return True
        strategy = (sts.get("spec") or {}).get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return False
        for index in sorted((i for i in pods if i < replicas), reverse=True):
            pod = pods[index]
            if index < self._partition(sts):
                break
            if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != update_revision:
                if not deleting(pod):
                    ctx.store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
                    ctx.event(sts, "SuccessfulDelete", f"delete Pod {pod['metadata']['name']} in StatefulSet "
                              f"{name} successful", component=COMPONENT)
                return True
        return False

    def _partition(self, sts: Obj) -> int:
        strategy = (sts.get("spec") or {}).get("updateStrategy") or {}
        return int((strategy.get("rollingUpdate") or {}).get("partition", 0) or 0)

    def _may_create(self, ctx: Context, sts: Obj) -> bool:
        """Within this sync's burst and the lab's per-namespace pod guard (a FailedCreate Warning past it)."""
        if self._room <= 0:
            ctx.event(sts, "FailedCreate", f"create Pod in StatefulSet {sts['metadata']['name']} failed error: "
                      + guard_message(sts["metadata"]["namespace"], pod_limit()), type_="Warning",
                      component=COMPONENT)
            return False
        return self._burst > 0

    def _create_pod(self, ctx: Context, sts: Obj, index: int, revision: str) -> bool:
        spec = sts.get("spec") or {}
        name = sts["metadata"]["name"]
        pod_name = f"{name}-{index}"
        template = deep(spec.get("template") or {})
        pod_spec = template.setdefault("spec", {})
        volumes = pod_spec.setdefault("volumes", [])
        existing = {v.get("name") for v in volumes}
        for claim in spec.get("volumeClaimTemplates") or []:
            cname = claim_name(claim, name, index)
            self._ensure_claim(ctx, sts, claim, cname, pod_name)
            if claim["metadata"]["name"] not in existing:
                volumes.append({"name": claim["metadata"]["name"], "persistentVolumeClaim": {"claimName": cname}})
        if not volumes:
            pod_spec.pop("volumes")
        pod_spec["hostname"] = pod_name
        if spec.get("serviceName"):
            pod_spec["subdomain"] = spec["serviceName"]
        pod = pod_from_template(sts, template, pod_name, f"{name}-", {
            "apps.kubernetes.io/pod-index": str(index), REVISION_LABEL: revision,
            "statefulset.kubernetes.io/pod-name": pod_name})
        try:
            created = create_pod(ctx, sts, pod, COMPONENT,
                                 f"create Pod {pod_name} in StatefulSet {name} failed error: {{}}")
        except StoreError as err:
            if err.code != 409:
                raise
            return False
        if created is None:
            return False
        self._burst -= 1
        self._room -= 1
        ctx.event(sts, "SuccessfulCreate", f"create Pod {pod_name} in StatefulSet {name} successful",
                  component=COMPONENT)
        return True

    def _ensure_claim(self, ctx: Context, sts: Obj, template: dict[str, Any], cname: str, pod_name: str) -> None:
        namespace = sts["metadata"]["namespace"]
        if ctx.store.get(PVCS, namespace, cname) is not None:
            return
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels.update(((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
        metadata: dict[str, Any] = {"name": cname, "namespace": namespace, "labels": labels}
        if (template.get("metadata") or {}).get("annotations"):
            metadata["annotations"] = dict(template["metadata"]["annotations"])
        policy = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
        if policy.get("whenDeleted") == "Delete":
            metadata["ownerReferences"] = [owner_reference(sts)]
        claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata,
                 "spec": deep(template.get("spec") or {})}
        try:
            ctx.store.create(PVCS, claim)
        except StoreError as err:
            if err.code != 409:
                raise
            return
        ctx.event(sts, "SuccessfulCreate", f"create Claim {cname} Pod {pod_name} in StatefulSet "
                  f"{sts['metadata']['name']} success", component=COMPONENT)

    def _record_revision(self, ctx: Context, sts: Obj, revision: str) -> None:
        """Keep a ControllerRevision per template, as `kubectl rollout history` reads them."""
        if self._revisions_served is False:
            return
        namespace = sts["metadata"]["namespace"]
        if ctx.store.get(CONTROLLERREVISIONS, namespace, revision) is not None:
            return
        existing = owned(ctx.store, CONTROLLERREVISIONS, sts)
        number = max((int(r.get("revision", 0)) for r in existing), default=0) + 1
        template = deep((sts.get("spec") or {}).get("template") or {})
        template["$patch"] = "replace"
        labels = dict(((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
        labels[REVISION_LABEL] = revision.rsplit("-", 1)[-1]
        try:
            ctx.store.create(CONTROLLERREVISIONS, {
                "apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": revision, "namespace": namespace, "labels": labels,
                             "ownerReferences": [owner_reference(sts)]},
                "data": {"spec": {"template": template}}, "revision": number})
            self._revisions_served = True
        except StoreError as err:
            if err.code == 404 and ctx.store.get(STATEFULSETS, namespace, sts["metadata"]["name"]) is not None:
                self._revisions_served = False
            elif err.code != 409:
                raise

    def _status(self, ctx: Context, sts: Obj, pods: dict[int, Obj], replicas: int, current_revision: str,
                update_revision: str, *, settled: bool) -> None:
        live = [p for p in pods.values() if not deleting(p)]
        ready = [p for p in live if pod_ready(p)]

        def at(revision: str) -> int:
            return sum(1 for p in live if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision)

        updated = at(update_revision)
        current = at(current_revision)
        if settled and updated == replicas == len(ready):
            current_revision, current = update_revision, updated
        status: dict[str, Any] = {
            "availableReplicas": count_available(ctx, self.name, sts, ready),
            "collisionCount": (sts.get("status") or {}).get("collisionCount", 0),
            "currentReplicas": current,
            "currentRevision": current_revision,
            "observedGeneration": sts["metadata"].get("generation", 1),
            "readyReplicas": len(ready),
            "replicas": len(live),
            "updateRevision": update_revision,
            "updatedReplicas": updated,
        }
        status = {k: v for k, v in status.items() if k in ("availableReplicas", "collisionCount", "replicas")
                  or v not in (0, None, "")}
        if status != sts.get("status"):
            written = deep(sts)
            written["status"] = status
            ctx.store.update(STATEFULSETS, written, subresource="status")
