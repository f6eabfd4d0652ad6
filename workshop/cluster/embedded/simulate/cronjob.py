"""The CronJob controller: Jobs `<cronjob>-<minutes since epoch>` on schedule (simulated time), history limits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workshop.cluster.embedded.api import GVR, Obj, ObjectStore, StoreError, WatchEvent

from . import cron
from .common import (
    JOBS,
    controller_of,
    deep,
    deleting,
    owned,
    owner_reference,
    parse_timestamp,
    timestamp,
)
from .core import Context

CRONJOBS = GVR("batch", "v1", "cronjobs")
COMPONENT = "cronjob-controller"
SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
MAX_MISSED = 100


def _finished(job: Obj) -> str | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return str(cond["type"])
    return None


def _reference(job: Obj) -> dict[str, Any]:
    meta = job["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "namespace": meta["namespace"],
            "resourceVersion": meta.get("resourceVersion"), "uid": meta.get("uid")}


class CronJobController:
    name = "cronjob"

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        meta = event.obj.get("metadata") or {}
        if event.gvr == CRONJOBS and event.type != "DELETED":
            yield meta.get("namespace"), meta.get("name", "")
        elif event.gvr == JOBS:
            ref = controller_of(event.obj)
            if ref and ref.get("kind") == "CronJob":
                yield meta.get("namespace"), ref["name"]

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        try:
            cronjobs = store.list(CRONJOBS)
        except StoreError:
            return
        for cj in cronjobs:
            yield cj["metadata"]["namespace"], cj["metadata"]["name"]

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        cj = ctx.store.get(CRONJOBS, namespace, name)
        if cj is None or deleting(cj):
            return
        spec = cj.get("spec") or {}
        status = deep(cj.get("status") or {})
        jobs = sorted(owned(ctx.store, JOBS, cj),
                      key=lambda j: (j["metadata"].get("creationTimestamp") or "", j["metadata"]["name"]))
        self._track(ctx, cj, status, jobs)
        self._cleanup(ctx, cj, jobs)
        try:
            schedule = cron.parse(str(spec.get("schedule", "")))
            zone = ZoneInfo(spec["timeZone"]) if spec.get("timeZone") else UTC
        except (cron.CronError, ZoneInfoNotFoundError, ValueError) as err:
            ctx.event(cj, "InvalidSchedule", f"invalid schedule: {spec.get('schedule')} : {err}", type_="Warning",
                      component=COMPONENT)
            self._write(ctx, cj, status)
            return
        now = ctx.clock.now()
        if not spec.get("suspend"):
            due = self._most_recent(ctx, cj, schedule, zone, now)
            if due is not None:
                self._run(ctx, cj, status, jobs, due, now)
        self._write(ctx, cj, status)
        if not spec.get("suspend"):
            upcoming = schedule.next_after(now.astimezone(zone)).astimezone(UTC)
            ctx.schedule((self.name, namespace, name), upcoming)

    def _most_recent(self, ctx: Context, cj: Obj, schedule: cron.Schedule, zone: Any,
                     now: datetime) -> datetime | None:
        since = (parse_timestamp((cj.get("status") or {}).get("lastScheduleTime"))
                 or parse_timestamp(cj["metadata"].get("creationTimestamp")) or now)
        latest = None
        missed = 0
        current = schedule.next_after(since.astimezone(zone))
        while current.astimezone(UTC) <= now:
            latest = current.astimezone(UTC)
            missed += 1
            if missed > MAX_MISSED:
                ctx.event(cj, "TooManyMissedTimes", "too many missed start times. Set or decrease "
                          ".spec.startingDeadlineSeconds or check clock skew", type_="Warning", component=COMPONENT)
                break
            current = schedule.next_after(current)
        return latest

    def _run(self, ctx: Context, cj: Obj, status: dict[str, Any], jobs: list[Obj], due: datetime,
             now: datetime) -> None:
        spec = cj.get("spec") or {}
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and (now - due).total_seconds() > int(deadline):
            ctx.event(cj, "MissSchedule", f"Missed scheduled time to start a job: {timestamp(due)}",
                      type_="Warning", component=COMPONENT)
            status["lastScheduleTime"] = timestamp(due)
            return
        active = [j for j in jobs if not _finished(j) and not deleting(j)]
        policy = spec.get("concurrencyPolicy", "Allow")
        if active and policy == "Forbid":
            return
        if active and policy == "Replace":
            for job in active:
                ctx.store.delete(JOBS, job["metadata"]["namespace"], job["metadata"]["name"])
                ctx.event(cj, "SuccessfulDelete", f"Deleted job {job['metadata']['name']}", component=COMPONENT)
            status["active"] = []
        template = spec.get("jobTemplate") or {}
        tmeta = template.get("metadata") or {}
        job_name = f"{cj['metadata']['name']}-{int(due.timestamp() // 60)}"
        annotations = dict(tmeta.get("annotations") or {})
        annotations[SCHEDULED_ANNOTATION] = due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body: dict[str, Any] = {"apiVersion": "batch/v1", "kind": "Job",
                                "metadata": {"name": job_name, "namespace": cj["metadata"]["namespace"],
                                             "annotations": annotations,
                                             "ownerReferences": [owner_reference(cj)]},
                                "spec": deep(template.get("spec") or {})}
        if tmeta.get("labels"):
            body["metadata"]["labels"] = dict(tmeta["labels"])
        try:
            created = ctx.store.create(JOBS, body)
        except StoreError as err:
            if err.code != 409:
                raise
        else:
            ctx.event(cj, "SuccessfulCreate", f"Created job {job_name}", component=COMPONENT)
            status["active"] = (status.get("active") or []) + [_reference(created)]
        status["lastScheduleTime"] = timestamp(due)

    def _track(self, ctx: Context, cj: Obj, status: dict[str, Any], jobs: list[Obj]) -> None:
        by_uid = {j["metadata"].get("uid"): j for j in jobs}
        active = []
        for ref in status.get("active") or []:
            job = by_uid.get(ref.get("uid"))
            if job is None:
                continue
            outcome = _finished(job)
            if outcome is None:
                active.append(_reference(job))
                continue
            ctx.event(cj, "SawCompletedJob", f"Saw completed job: {job['metadata']['name']}, condition: {outcome}",
                      component=COMPONENT)
            completed = (job.get("status") or {}).get("completionTime")
            if outcome == "Complete" and completed and completed > (status.get("lastSuccessfulTime") or ""):
                status["lastSuccessfulTime"] = completed
        known = {r["uid"] for r in active}
        for job in jobs:
            if _finished(job) is None and not deleting(job) and job["metadata"].get("uid") not in known:
                active.append(_reference(job))
        if active:
            status["active"] = active
        else:
            status.pop("active", None)

    def _cleanup(self, ctx: Context, cj: Obj, jobs: list[Obj]) -> None:
        spec = cj.get("spec") or {}
        for outcome, key, default in (("Complete", "successfulJobsHistoryLimit", 3),
                                      ("Failed", "failedJobsHistoryLimit", 1)):
            done = [j for j in jobs if _finished(j) == outcome and not deleting(j)]
            limit = int(spec.get(key, default))
            for job in done[: max(0, len(done) - limit)]:
                ctx.store.delete(JOBS, job["metadata"]["namespace"], job["metadata"]["name"],
                                 propagation="Background")
                ctx.event(cj, "SuccessfulDelete", f"Deleted job {job['metadata']['name']}", component=COMPONENT)

    def _write(self, ctx: Context, cj: Obj, status: dict[str, Any]) -> None:
        if status == (cj.get("status") or {}):
            return
        updated = deep(cj)
        updated["status"] = status
        ctx.store.update(CRONJOBS, updated, subresource="status")
