"""kstatus: is a live object Current, InProgress, Failed, Terminating or Unknown? (Flux's health rules, as
fluxcd/cli-utils' kstatus and kustomize-controller's readers compute them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.jsonobj import Obj

CURRENT, IN_PROGRESS, FAILED, TERMINATING, NOT_FOUND, UNKNOWN = (
    "Current", "InProgress", "Failed", "Terminating", "NotFound", "Unknown")


@dataclass(frozen=True)
class Status:
    status: str
    message: str = ""

    @property
    def terminal(self) -> bool:
        return self.status in (CURRENT, FAILED)


def _conds(obj: Obj) -> dict[str, Obj]:
    return {c.get("type", ""): c for c in (obj.get("status") or {}).get("conditions") or [] if isinstance(c, dict)}


def compute(obj: Obj | None) -> Status:
    """The kstatus of a live object (None means it does not exist)."""
    if obj is None:
        return Status(NOT_FOUND, "resource not found")
    meta = obj.get("metadata") or {}
    kind = obj.get("kind", "")
    status = obj.get("status") or {}
    if meta.get("deletionTimestamp"):
        return Status(TERMINATING, "Resource scheduled for deletion")
    gen, observed = meta.get("generation"), status.get("observedGeneration")
    if observed is not None and gen is not None and observed != gen:
        return Status(IN_PROGRESS, f"{kind} generation is {gen}, but latest observed generation is {observed}")
    conds = _conds(obj)
    if conds.get("Reconciling", {}).get("status") == "True":
        return Status(IN_PROGRESS, conds["Reconciling"].get("message", ""))
    if conds.get("Stalled", {}).get("status") == "True":
        return Status(FAILED, conds["Stalled"].get("message", ""))
    reader = _READERS.get(kind)
    if reader is not None:
        return reader(obj, status, conds)
    ready = conds.get("Ready")
    if ready is not None:
        if ready.get("status") == "True":
            return Status(CURRENT, "Resource is Ready")
        return Status(IN_PROGRESS, ready.get("message") or "Resource not Ready")
    return Status(CURRENT, "Resource is current")


def _deployment(obj: Obj, status: Obj, conds: dict[str, Obj]) -> Status:
    spec = obj.get("spec") or {}
    want = spec.get("replicas", 1)
    progressing = conds.get("Progressing", {})
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return Status(FAILED, "Progress deadline exceeded")
    if spec.get("paused"):
        return Status(CURRENT, "Deployment is paused")
    if status.get("observedGeneration") is None and obj.get("metadata", {}).get("generation"):
        return Status(IN_PROGRESS, "Deployment not yet observed")
    replicas = status.get("replicas", 0)
    updated = status.get("updatedReplicas", 0)
    ready = status.get("readyReplicas", 0)
    available = status.get("availableReplicas", 0)
    if updated < want:
        return Status(IN_PROGRESS, f"Updated: {updated}/{want}")
    if replicas > updated:
        return Status(IN_PROGRESS, f"Pending termination: {replicas - updated}")
    if available < want:
        return Status(IN_PROGRESS, f"Available: {available}/{want}")
    if ready < want:
        return Status(IN_PROGRESS, f"Ready: {ready}/{want}")
    if spec.get("progressDeadlineSeconds") is not None and progressing and \
            progressing.get("reason") != "NewReplicaSetAvailable":
        return Status(IN_PROGRESS, "ReplicaSet not Available")
    if conds.get("Available", {}).get("status") not in (None, "True"):
        return Status(IN_PROGRESS, "Deployment not Available")
    return Status(CURRENT, f"Deployment is available. Replicas: {replicas}")


def _statefulset(obj: Obj, status: Obj, conds: dict[str, Obj]) -> Status:
    spec = obj.get("spec") or {}
    if (spec.get("updateStrategy") or {}).get("type") == "OnDelete":
        return Status(CURRENT, "StatefulSet is using the OnDelete update strategy")
    want = spec.get("replicas", 1)
    if status.get("observedGeneration") is None:
        return Status(IN_PROGRESS, "StatefulSet not yet observed")
    for field in ("replicas", "readyReplicas", "currentReplicas"):
        if status.get(field, 0) < want:
            return Status(IN_PROGRESS, f"{field}: {status.get(field, 0)}/{want}")
    partition = ((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition")
    if not partition and status.get("currentRevision") != status.get("updateRevision"):
        return Status(IN_PROGRESS, "Waiting for updated revision to be current")
    return Status(CURRENT, f"All replicas scheduled as expected. Replicas: {want}")


def _daemonset(obj: Obj, status: Obj, conds: dict[str, Obj]) -> Status:
    if status.get("observedGeneration") is None:
        return Status(IN_PROGRESS, "DaemonSet not yet observed")
    desired = status.get("desiredNumberScheduled", 0)
    for field in ("currentNumberScheduled", "updatedNumberScheduled", "numberAvailable", "numberReady"):
        if status.get(field, 0) < desired:
            return Status(IN_PROGRESS, f"{field}: {status.get(field, 0)}/{desired}")
    return Status(CURRENT, f"All replicas scheduled as expected. Replicas: {desired}")


def _replicaset(obj: Obj, status: Obj, conds: dict[str, Obj]) -> Status:
    want = (obj.get("spec") or {}).get("replicas", 1)
    for field in ("fullyLabeledReplicas", "availableReplicas", "readyReplicas"):
        if status.get(field, 0) < want:
            return Status(IN_PROGRESS, f"{field}: {status.get(field, 0)}/{want}")
    return Status(CURRENT, f"ReplicaSet is available. Replicas: {want}")


def _job(obj: Obj, status: Obj, conds: dict[str, Obj]) -> Status:
    if (obj.get("spec") or {}).get("suspend"):
        return Status(CURRENT, "Job is suspended")
    if conds.get("Complete", {}).get("status") == "True":
        return Status(CURRENT, "Job Completed")
    if conds.get("Failed", {}).get("status") == "True":
        return Status(FAILED, f"Job Failed: {conds['Failed'].get('message', '')}".rstrip(": "))
    if not status.get("startTime"):
        return Status(IN_PROGRESS, "Job not started")
    return Status(IN_PROGRESS, "Job in progress")


def _pod(obj: Obj, status: Obj, conds: dict[str, Obj]) -> Status:
    phase = status.get("phase")
    if phase in ("Succeeded", "Failed"):
        return Status(CURRENT, f"Pod has {phase.lower()}")
    for cs in status.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") == "CrashLoopBackOff":
            return Status(FAILED, f"Pod has crash looping container: {cs.get('name')}")
    if phase == "Running" and conds.get("Ready", {}).get("status") == "True":
        return Status(CURRENT, "Pod is Ready")
    scheduled = conds.get("PodScheduled", {})
    if phase == "Pending" and scheduled.get("reason") == "Unschedulable":
        since = scheduled.get("lastTransitionTime")
        if since:
            try:
                age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
                if age.total_seconds() > 15:
                    return Status(FAILED, "Pod could not be scheduled")
            except ValueError:
                pass
    return Status(IN_PROGRESS, f"Pod phase: {phase or 'Pending'}")


def _pvc(obj: Obj, status: Obj, conds: dict[str, Obj]) -> Status:
    if status.get("phase") == "Bound":
        return Status(CURRENT, "PVC is Bound")
    return Status(IN_PROGRESS, "PVC is not Bound")


def _service(obj: Obj, status: Obj, conds: dict[str, Obj]) -> Status:
    spec = obj.get("spec") or {}
    if spec.get("type") == "LoadBalancer" and not spec.get("clusterIP"):
        return Status(IN_PROGRESS, "ClusterIP not set")
    return Status(CURRENT, "Service is ready")


def _crd(obj: Obj, status: Obj, conds: dict[str, Obj]) -> Status:
    if conds.get("NamesAccepted", {}).get("status") == "False":
        return Status(FAILED, "CRD names have not been accepted")
    est = conds.get("Established", {})
    if est.get("status") == "True":
        return Status(CURRENT, "CRD is established")
    if est.get("status") == "False" and est.get("reason") != "Installing":
        return Status(FAILED, "CRD is not established")
    return Status(IN_PROGRESS, "Install in progress")


def _always(obj: Obj, status: Obj, conds: dict[str, Obj]) -> Status:
    return Status(CURRENT, "Resource is always ready")


_READERS = {
    "Deployment": _deployment, "StatefulSet": _statefulset, "DaemonSet": _daemonset, "ReplicaSet": _replicaset,
    "Job": _job, "Pod": _pod, "PersistentVolumeClaim": _pvc, "Service": _service,
    "CustomResourceDefinition": _crd, "Secret": _always, "ConfigMap": _always, "CronJob": _always,
    "PodDisruptionBudget": _always,
}
