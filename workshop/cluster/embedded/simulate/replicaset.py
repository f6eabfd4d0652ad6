"""The ReplicaSet controller: keeps spec.replicas pods, names them `<rs>-xxxxx`, reports status."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from workshop.cluster.embedded.api import Obj, ObjectStore, StoreError, WatchEvent

from .capacity import BURST_REPLICAS, create_in_batches
from .common import (
    PODS,
    REPLICASETS,
    available_since,
    condition,
    controller_of,
    deep,
    deleting,
    owned,
    owner_reference,
    pod_active,
    pod_ready,
    selector_matches,
    stable_name_suffix,
)
from .core import Context


def pod_from_template(owner: Obj, template: dict[str, Any], name: str, generate_name: str,
                      extra_labels: dict[str, str] | None = None) -> Obj:
    """A Pod as a workload controller creates it from its pod template."""
    tmeta = template.get("metadata") or {}
    labels = dict(tmeta.get("labels") or {})
    labels.update(extra_labels or {})
    metadata: dict[str, Any] = {"name": name, "generateName": generate_name,
                                "namespace": owner["metadata"]["namespace"], "labels": labels,
                                "ownerReferences": [owner_reference(owner)]}
    if tmeta.get("annotations"):
        metadata["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        metadata["finalizers"] = list(tmeta["finalizers"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": deep(template.get("spec") or {})}


def create_pod(ctx: Context, owner: Obj, pod: Obj, component: str, failure: str = "Error creating: {}") -> Obj | None:
    """Create a pod for a controller; a rejected pod becomes a FailedCreate warning, as controllers report it."""
    try:
        return ctx.store.create(PODS, pod)
    except StoreError as err:
        if err.code in (409, 404) or err.code < 400 or err.code >= 500:
            raise
        ctx.event(owner, "FailedCreate", failure.format(err.message), type_="Warning", component=component)
        return None


class PodNamer:
    """Pod names `<prefix><5 chars>`: a stable sequence per owner, so a fresh lab always shows the same names
    and a replacement pod never reuses the name of the pod it replaces."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], int] = {}

    def name(self, ctx: Context, owner: Obj, prefix: str) -> str:
        namespace = owner["metadata"]["namespace"]
        key = (namespace, owner["metadata"].get("uid") or owner["metadata"]["name"])
        first = self._next.get(key, 0)
        for attempt in range(first, first + 1000):
            name = prefix + stable_name_suffix(namespace, owner["metadata"]["name"], attempt)
            if ctx.store.get(PODS, namespace, name) is None:
                self._next[key] = attempt + 1
                return name
        raise RuntimeError(f"no free pod name for {prefix}")


def deletion_rank(pod: Obj, order: dict[str, int] | None = None) -> tuple[int, int, int, str, int, str]:
    """Lower sorts first for deletion: unscheduled, pending, not ready, then newest (creation order known)."""
    status = pod.get("status") or {}
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(status.get("phase", "Pending"), 0)
    created = (pod.get("metadata") or {}).get("creationTimestamp") or ""
    newer_first = "".join(chr(0x10FFFF - ord(c)) for c in created)
    sequence = -(order or {}).get(pod["metadata"].get("uid", ""), -1)
    return (1 if pod.get("spec", {}).get("nodeName") else 0, phase_rank, 1 if pod_ready(pod) else 0,
            newer_first, sequence, pod["metadata"]["name"])


def owned_pods(ctx: Context, owner: Obj) -> list[Obj]:
    return sorted(owned(ctx.store, PODS, owner), key=lambda p: p["metadata"]["name"])


def count_available(ctx: Context, controller: str, owner: Obj, ready: list[Obj]) -> int:
    """Ready pods past the owner's minReadySeconds; requeues the owner for the next one to become available."""
    min_ready = int((owner.get("spec") or {}).get("minReadySeconds", 0) or 0)
    now = ctx.clock.now()
    count = 0
    upcoming = []
    for pod in ready:
        since = available_since(pod, min_ready)
        if since is not None and since <= now:
            count += 1
        elif since is not None:
            upcoming.append(since)
    if upcoming:
        ctx.schedule((controller, owner["metadata"]["namespace"], owner["metadata"]["name"]),
                     min(upcoming) + timedelta(seconds=1))
    return count


def compact_status(status: dict[str, Any], keep: tuple[str, ...]) -> dict[str, Any]:
    """Drop zero-valued omitempty integer fields, as the Go types serialise."""
    return {k: v for k, v in status.items() if k in keep or v not in (0, None, [], "")}


def write_status(ctx: Context, gvr: Any, obj: Obj, status: dict[str, Any]) -> Obj:
    if obj.get("status") == status:
        return obj
    updated = deep(obj)
    updated["status"] = status
    return ctx.store.update(gvr, updated, subresource="status")


class ReplicaSetController:
    name = "replicaset"
    gvr = REPLICASETS
    kind = "ReplicaSet"
    component = "replicaset-controller"

    def __init__(self) -> None:
        self._created: dict[str, int] = {}
        self._namer = PodNamer()

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        meta = event.obj.get("metadata") or {}
        if event.gvr == self.gvr:
            yield meta.get("namespace"), meta.get("name", "")
        elif event.gvr == PODS:
            ref = controller_of(event.obj)
            if ref and ref.get("kind") == self.kind:
                yield meta.get("namespace"), ref["name"]

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        for rs in store.list(self.gvr):
            yield rs["metadata"]["namespace"], rs["metadata"]["name"]

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        rs = ctx.store.get(self.gvr, namespace, name)
        if rs is None or deleting(rs):
            return
        spec = rs.get("spec") or {}
        pods = [p for p in owned_pods(ctx, rs) if pod_active(p)]
        want = int(spec.get("replicas", 1))
        if len(pods) < want:
            def create_one() -> Obj | None:
                pod_name = self._namer.name(ctx, rs, f"{name}-")
                pod = pod_from_template(rs, spec.get("template") or {}, pod_name, f"{name}-")
                created = create_pod(ctx, rs, pod, self.component)
                if created is not None:
                    self._created[created["metadata"]["uid"]] = len(self._created)
                    ctx.event(rs, "SuccessfulCreate", f"Created pod: {pod_name}", component=self.component)
                return created

            wanted = min(want - len(pods), BURST_REPLICAS)
            made = create_in_batches(ctx, rs, wanted, create_one, lambda why: ctx.event(
                rs, "FailedCreate", f"Error creating: {why}", type_="Warning", component=self.component))
            if made == wanted:
                return  # the new pods' events bring the next sync
            pods = [p for p in owned_pods(ctx, rs) if pod_active(p)]  # stuck short: report what exists
            self._status(ctx, rs, pods)
            return
        if len(pods) > want:
            surplus = min(len(pods) - want, BURST_REPLICAS)
            for pod in sorted(pods, key=lambda p: deletion_rank(p, self._created))[:surplus]:
                ctx.store.delete(PODS, namespace, pod["metadata"]["name"])
                ctx.event(rs, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}",
                          component=self.component)
            return
        self._status(ctx, rs, pods)

    def _status(self, ctx: Context, rs: Obj, pods: list[Obj]) -> None:
        labels = ((rs.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
        ready = [p for p in pods if pod_ready(p)]
        available = count_available(ctx, self.name, rs, ready)
        status: dict[str, Any] = {
            "replicas": len(pods),
            "fullyLabeledReplicas": sum(1 for p in pods if selector_matches({"matchLabels": labels},
                                                                             p["metadata"].get("labels"))),
            "readyReplicas": len(ready),
            "availableReplicas": available,
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        failure = condition(rs, "ReplicaFailure")
        if failure is not None:
            status["conditions"] = [failure]
        write_status(ctx, self.gvr, rs, compact_status(status, ("replicas",)))
