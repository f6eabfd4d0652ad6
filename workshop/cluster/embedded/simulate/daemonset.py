"""The DaemonSet controller: one pod per node, rolling replacement on template change, status counts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workshop.cluster.embedded.api import Obj, ObjectStore, WatchEvent

from .common import DAEMONSETS, NODES, PODS, controller_of, deep, deleting, pod_ready
from .core import Context
from .replicaset import PodNamer, count_available, create_pod, owned_pods, pod_from_template
from .statefulset import REVISION_LABEL, revision_name

COMPONENT = "daemonset-controller"
ALL = "*"
_TOLERATIONS = [
    ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule"),
]


def _daemon_pod_spec(template: dict[str, Any], node: str) -> dict[str, Any]:
    spec = deep(template.get("spec") or {})
    spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}
    tolerations = spec.setdefault("tolerations", [])
    present = {t.get("key") for t in tolerations}
    for key, effect in _TOLERATIONS:
        if key not in present:
            tolerations.append({"effect": effect, "key": key, "operator": "Exists"})
    if spec.get("hostNetwork") and "node.kubernetes.io/network-unavailable" not in present:
        tolerations.append({"effect": "NoSchedule", "key": "node.kubernetes.io/network-unavailable",
                            "operator": "Exists"})
    return spec


class DaemonSetController:
    name = "daemonset"

    def __init__(self) -> None:
        self._namer = PodNamer()

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        meta = event.obj.get("metadata") or {}
        if event.gvr == DAEMONSETS and event.type != "DELETED":
            yield meta.get("namespace"), meta.get("name", "")
        elif event.gvr == PODS:
            ref = controller_of(event.obj)
            if ref and ref.get("kind") == "DaemonSet":
                yield meta.get("namespace"), ref["name"]
        elif event.gvr == NODES:
            yield None, ALL

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        for ds in store.list(DAEMONSETS):
            yield ds["metadata"]["namespace"], ds["metadata"]["name"]

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        if name == ALL:
            for each in ctx.store.list(DAEMONSETS):
                ctx.enqueue((self.name, each["metadata"]["namespace"], each["metadata"]["name"]))
            return
        ds = ctx.store.get(DAEMONSETS, namespace, name)
        if ds is None or deleting(ds):
            return
        revision = revision_name(ds).rsplit("-", 1)[-1]
        generation = str(ds["metadata"].get("generation", 1))
        nodes = sorted(n["metadata"]["name"] for n in ctx.store.list(NODES))
        pods = [p for p in owned_pods(ctx, ds) if not deleting(p)]
        by_node: dict[str, list[Obj]] = {}
        for pod in pods:
            node = _target_node(pod)
            by_node.setdefault(node, []).append(pod)
        template = (ds.get("spec") or {}).get("template") or {}
        on_delete = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type") == "OnDelete"
        for node in nodes:
            mine = by_node.get(node, [])
            if not mine:
                pod_name = self._namer.name(ctx, ds, f"{name}-")
                pod = pod_from_template(ds, {"metadata": template.get("metadata") or {},
                                             "spec": _daemon_pod_spec(template, node)}, pod_name, f"{name}-",
                                        {REVISION_LABEL: revision, "pod-template-generation": generation})
                if create_pod(ctx, ds, pod, COMPONENT) is None:
                    continue
                ctx.event(ds, "SuccessfulCreate", f"Created pod: {pod_name}", component=COMPONENT)
                continue
            for extra in mine[1:]:
                ctx.store.delete(PODS, extra["metadata"]["namespace"], extra["metadata"]["name"])
                ctx.event(ds, "SuccessfulDelete", f"Deleted pod: {extra['metadata']['name']}", component=COMPONENT)
            pod = mine[0]
            outdated = (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision
            if outdated and not on_delete and all(pod_ready(p) for p in pods if p is not pod):
                ctx.store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
                ctx.event(ds, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}", component=COMPONENT)
        for node, stray in by_node.items():
            if node not in nodes:
                for pod in stray:
                    ctx.store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
        self._status(ctx, ds, nodes, revision)

    def _status(self, ctx: Context, ds: Obj, nodes: list[str], revision: str) -> None:
        pods = [p for p in owned_pods(ctx, ds) if not deleting(p)]
        scheduled = [p for p in pods if _target_node(p) in nodes]
        ready = [p for p in scheduled if pod_ready(p)]
        updated = [p for p in scheduled if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision]
        available = count_available(ctx, self.name, ds, ready)
        status: dict[str, Any] = {
            "currentNumberScheduled": len({_target_node(p) for p in scheduled}),
            "desiredNumberScheduled": len(nodes),
            "numberAvailable": available,
            "numberMisscheduled": 0,
            "numberReady": len(ready),
            "numberUnavailable": max(0, len(nodes) - available),
            "observedGeneration": ds["metadata"].get("generation", 1),
            "updatedNumberScheduled": len(updated),
        }
        keep = ("currentNumberScheduled", "desiredNumberScheduled", "numberMisscheduled", "numberReady")
        status = {k: v for k, v in status.items() if k in keep or v}
        if status != ds.get("status"):
            written = deep(ds)
            written["status"] = status
            ctx.store.update(DAEMONSETS, written, subresource="status")


def _target_node(pod: Obj) -> str:
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return spec["nodeName"]
    terms = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
             .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or []
    for term in terms:
        for field in term.get("matchFields") or []:
            if field.get("key") == "metadata.name" and field.get("values"):
                return field["values"][0]
    return ""
