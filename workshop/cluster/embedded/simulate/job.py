"""The Job controller: pods until `completions` succeed, retries up to `backoffLimit`, v1.32 status/conditions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from workshop.cluster.embedded.api import Obj, ObjectStore, WatchEvent

from .capacity import create_in_batches
from .common import JOBS, PODS, controller_of, deep, deleting, parse_timestamp, pod_ready
from .core import Context
from .replicaset import PodNamer, create_pod, owned_pods, pod_from_template

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
COMPONENT = "job-controller"
COMPLETED_MESSAGE = "Reached expected number of succeeded pods"
BACKOFF_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"


def _job_condition(type_: str, reason: str, message: str, now: str) -> dict[str, Any]:
    return {"lastProbeTime": now, "lastTransitionTime": now, "message": message, "reason": reason,
            "status": "True", "type": type_}


def finished(job: Obj) -> bool:
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or [])


def _job_pod_named(pod: Obj, name: str) -> bool:
    """Whether the pod's controller is a Job called `name` (its uid no longer known once the Job is gone)."""
    ref = controller_of(pod)
    return bool(ref and ref.get("kind") == "Job" and ref.get("name") == name)


class JobController:
    name = "job"

    def __init__(self) -> None:
        self._namer = PodNamer()

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        meta = event.obj.get("metadata") or {}
        if event.gvr == JOBS and event.type != "DELETED":
            yield meta.get("namespace"), meta.get("name", "")
        elif event.gvr == PODS:
            ref = controller_of(event.obj)
            if ref and ref.get("kind") == "Job":
                yield meta.get("namespace"), ref["name"]

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        for job in store.list(JOBS):
            yield job["metadata"]["namespace"], job["metadata"]["name"]

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        job = ctx.store.get(JOBS, namespace, name)
        if job is None:
            for pod in ctx.store.list(PODS, namespace, where=lambda p: _job_pod_named(p, name)):
                self._release(ctx, pod)
            return
        pods = owned_pods(ctx, job)
        if deleting(job):
            for pod in pods:
                self._release(ctx, pod)
            return
        spec = job.get("spec") or {}
        if not spec.get("selector") and not spec.get("manualSelector"):
            ctx.store.update(JOBS, job)
            return
        now = ctx.clock.stamp()
        status = deep(job.get("status") or {})
        status.setdefault("uncountedTerminatedPods", {})
        counted = []
        for pod in pods:
            phase = (pod.get("status") or {}).get("phase")
            if phase in ("Succeeded", "Failed") and TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or []):
                key = "succeeded" if phase == "Succeeded" else "failed"
                status[key] = int(status.get(key, 0)) + 1
                counted.append(pod)
        active = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
                  and not deleting(p)]
        restarts = sum(c.get("restartCount", 0) for p in active
                       for c in (p.get("status") or {}).get("containerStatuses") or [])
        if spec.get("suspend"):
            self._suspend(ctx, job, status, active, now)
            for pod in counted:
                self._release(ctx, pod)
            return
        status.setdefault("startTime", now)
        status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "Suspended"]
        completions = spec.get("completions")
        succeeded = int(status.get("succeeded", 0))
        failed = int(status.get("failed", 0))
        backoff_limit = int(spec.get("backoffLimit", 6))
        if not finished(job):
            if completions is not None and succeeded >= int(completions) or completions is None and succeeded > 0 \
                    and not active:
                self._finish(ctx, job, status, active, "Complete", "CompletionsReached", COMPLETED_MESSAGE, now)
            elif failed + restarts > backoff_limit:
                self._finish(ctx, job, status, active, "Failed", "BackoffLimitExceeded", BACKOFF_MESSAGE, now)
            elif self._past_deadline(ctx, job, status):
                self._finish(ctx, job, status, active, "Failed", "DeadlineExceeded", DEADLINE_MESSAGE, now)
            else:
                parallelism = int(spec.get("parallelism", 1))
                remaining = parallelism if completions is None else min(parallelism, int(completions) - succeeded)
                def create_one() -> Obj | None:
                    pod_name = self._namer.name(ctx, job, f"{name}-")
                    pod = pod_from_template(job, spec.get("template") or {}, pod_name, f"{name}-")
                    pod["metadata"]["finalizers"] = [TRACKING_FINALIZER]
                    pod["metadata"]["labels"].setdefault("batch.kubernetes.io/job-name", name)
                    created = create_pod(ctx, job, pod, COMPONENT)
                    if created is not None:
                        active.append(created)
                        ctx.event(job, "SuccessfulCreate", f"Created pod: {pod_name}", component=COMPONENT)
                    return created

                create_in_batches(ctx, job, max(0, remaining - len(active)), create_one, lambda why: ctx.event(
                    job, "FailedCreate", f"Error creating: {why}", type_="Warning", component=COMPONENT))
        status["active"] = len(active)
        status["ready"] = sum(1 for p in active if pod_ready(p))
        status["terminating"] = 0
        self._write(ctx, job, status)
        for pod in counted:
            self._release(ctx, pod)
        self._expire(ctx, job, status)

    def _past_deadline(self, ctx: Context, job: Obj, status: dict[str, Any]) -> bool:
        """activeDeadlineSeconds: due now, or a reconcile is scheduled for when it will be."""
        deadline = (job.get("spec") or {}).get("activeDeadlineSeconds")
        started = parse_timestamp(status.get("startTime"))
        if deadline is None or started is None:
            return False
        due = started + timedelta(seconds=int(deadline))
        if due <= ctx.clock.now():
            return True
        ctx.schedule((self.name, job["metadata"]["namespace"], job["metadata"]["name"]), due)
        return False

    def _expire(self, ctx: Context, job: Obj, status: dict[str, Any]) -> None:
        """The TTL-after-finished controller: delete a finished Job once its TTL has passed."""
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        ended = next((c.get("lastTransitionTime") for c in status.get("conditions") or []
                      if c.get("type") in ("Complete", "Failed") and c.get("status") == "True"), None)
        finished_at = parse_timestamp(ended)
        if ttl is None or finished_at is None:
            return
        due = finished_at + timedelta(seconds=int(ttl))
        if due <= ctx.clock.now():
            ctx.store.delete(JOBS, job["metadata"]["namespace"], job["metadata"]["name"], propagation="Foreground")
        else:
            ctx.schedule((self.name, job["metadata"]["namespace"], job["metadata"]["name"]), due)

    def _finish(self, ctx: Context, job: Obj, status: dict[str, Any], active: list[Obj], type_: str,
                reason: str, message: str, now: str) -> None:
        target = "SuccessCriteriaMet" if type_ == "Complete" else "FailureTarget"
        status["conditions"] = (status.get("conditions") or []) + [
            _job_condition(target, reason, message, now), _job_condition(type_, reason, message, now)]
        if type_ == "Complete":
            status["completionTime"] = now
            ctx.event(job, "Completed", "Job completed", component=COMPONENT)
        else:
            ctx.event(job, reason, message, type_="Warning", component=COMPONENT)
        for pod in list(active):
            ctx.store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
            self._release(ctx, ctx.store.get(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"]))
            active.remove(pod)

    def _suspend(self, ctx: Context, job: Obj, status: dict[str, Any], active: list[Obj], now: str) -> None:
        for pod in active:
            ctx.store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
            self._release(ctx, ctx.store.get(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"]))
        if not any(c.get("type") == "Suspended" for c in status.get("conditions") or []):
            status["conditions"] = (status.get("conditions") or []) + [
                _job_condition("Suspended", "JobSuspended", "Job suspended", now)]
            ctx.event(job, "Suspended", "Job suspended", component=COMPONENT)
        status.pop("startTime", None)
        status["active"] = 0
        status["ready"] = 0
        status["terminating"] = 0
        self._write(ctx, job, status)

    def _release(self, ctx: Context, pod: Obj | None) -> None:
        if pod is None:
            return
        finalizers = pod["metadata"].get("finalizers") or []
        if TRACKING_FINALIZER not in finalizers:
            return
        updated = deep(pod)
        updated["metadata"]["finalizers"] = [f for f in finalizers if f != TRACKING_FINALIZER]
        ctx.store.update(PODS, updated)

    def _write(self, ctx: Context, job: Obj, status: dict[str, Any]) -> None:
        keep = ("ready", "terminating", "uncountedTerminatedPods")
        status = {k: v for k, v in status.items() if k in keep or v not in (0, None, [], "")}
        if status == job.get("status"):
            return
        updated = deep(job)
        updated["status"] = status
        ctx.store.update(JOBS, updated, subresource="status")
