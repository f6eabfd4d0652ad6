"""The Deployment controller: ReplicaSets per template (`pod-template-hash`), rolling/recreate rollouts, status."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from workshop.cluster.embedded.api import Obj, ObjectStore, StoreError, WatchEvent

from .common import (
    DEPLOYMENTS,
    REPLICASETS,
    condition,
    controller_of,
    deep,
    deleting,
    fnv32a,
    owned,
    owned_by,
    owner_reference,
    parse_timestamp,
    safe_encode,
)
from .core import Context
from .replicaset import compact_status

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX = "deployment.kubernetes.io/max-replicas"
_NOT_COPIED = {"kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY, DESIRED, MAX,
               "deprecated.deployment.rollback.to"}
COMPONENT = "deployment-controller"


def template_hash(template: dict[str, Any], collision_count: int | None = None) -> str:
    """A stable pod-template-hash: fnv32a over the template, encoded like rand.SafeEncodeString."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += collision_count.to_bytes(4, "little")
    return safe_encode(str(fnv32a(data)))


def _strip_hash(template: dict[str, Any]) -> dict[str, Any]:
    """The template without the hash label, compared the way EqualIgnoreHash compares Go structs (Semantic
    DeepEqual): a null field (`creationTimestamp: null`, as `kubectl rollout undo` sends) or an empty list/map
    equals a missing one."""
    copy = _semantic(deep(template))
    labels = (copy.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return copy


def _semantic(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _semantic(v)
            if v is None or v == [] or (v == {} and k in ("labels", "annotations", "nodeSelector")):
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def resolve_fenceposts(d: Obj) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as absolute numbers; surge rounds up, unavailable down; never both 0."""
    spec = d.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    strategy = spec.get("strategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}

    def scaled(value: Any, round_up: bool) -> int:
        if isinstance(value, str) and value.endswith("%"):
            exact = float(value[:-1]) * replicas / 100
            return math.ceil(exact) if round_up else math.floor(exact)
        return int(value)

    surge = scaled(rolling.get("maxSurge", "25%"), True)
    unavailable = scaled(rolling.get("maxUnavailable", "25%"), False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _max_unavailable(d: Obj) -> int:
    replicas = int((d.get("spec") or {}).get("replicas", 1))
    if replicas == 0:
        return 0
    return min(resolve_fenceposts(d)[1], replicas)


def _spec_replicas(rs: Obj) -> int:
    return int((rs.get("spec") or {}).get("replicas", 0))


def _status(rs: Obj, key: str) -> int:
    return int((rs.get("status") or {}).get(key, 0))


def _revision(rs: Obj) -> int:
    try:
        return int(((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _age_key(rs: Obj) -> tuple[str, str]:
    return (rs["metadata"].get("creationTimestamp") or "", rs["metadata"]["name"])


def _new_condition(type_: str, status: str, reason: str, message: str, now: str) -> dict[str, Any]:
    return {"lastTransitionTime": now, "lastUpdateTime": now, "message": message, "reason": reason,
            "status": status, "type": type_}


def _set_condition(status: dict[str, Any], cond: dict[str, Any]) -> None:
    """SetDeploymentCondition: no-op for same status+reason; keeps lastTransitionTime on same status."""
    conditions = status.get("conditions") or []
    current = next((c for c in conditions if c.get("type") == cond["type"]), None)
    if current is not None and current.get("status") == cond["status"] and current.get("reason") == cond["reason"]:
        return
    if current is not None and current.get("status") == cond["status"]:
        cond["lastTransitionTime"] = current.get("lastTransitionTime", cond["lastTransitionTime"])
    status["conditions"] = [c for c in conditions if c.get("type") != cond["type"]] + [cond]


def _remove_condition(status: dict[str, Any], type_: str) -> None:
    if status.get("conditions"):
        status["conditions"] = [c for c in status["conditions"] if c.get("type") != type_]


def _restarts_progress(current: dict[str, Any] | None) -> bool:
    """Whether adopting an existing ReplicaSet as the new one records FoundNewReplicaSet.

    Kubernetes does so only when there is no Progressing condition yet, and keeps a ProgressDeadlineExceeded
    from the failed rollout until it sees progress: after a revert its first status with the new
    observedGeneration still says Failed for a moment, which a health check polling right after the apply
    reads in most runs here (the simulated controllers react within milliseconds). The simulation restarts
    the progress clock instead, as Kubernetes does for a new ReplicaSet (NewReplicaSetCreated).
    """
    return current is None or current.get("reason") == "ProgressDeadlineExceeded"


class DeploymentController:
    name = "deployment"

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        meta = event.obj.get("metadata") or {}
        if event.gvr == DEPLOYMENTS:
            yield meta.get("namespace"), meta.get("name", "")
        elif event.gvr == REPLICASETS:
            ref = controller_of(event.obj)
            if ref and ref.get("kind") == "Deployment":
                yield meta.get("namespace"), ref["name"]

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        for d in store.list(DEPLOYMENTS):
            yield d["metadata"]["namespace"], d["metadata"]["name"]

    # ------------------------------------------------------------ sync
    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        d = ctx.store.get(DEPLOYMENTS, namespace, name)
        if d is None or deleting(d):
            return
        rses = sorted(owned(ctx.store, REPLICASETS, d), key=_age_key)
        template = (d.get("spec") or {}).get("template") or {}
        new_rs = next((rs for rs in rses if _strip_hash((rs.get("spec") or {}).get("template") or {})
                       == _strip_hash(template)), None)
        old = [rs for rs in rses if rs is not new_rs]
        if (d.get("spec") or {}).get("paused"):
            self._sync_status(ctx, d, new_rs, rses, paused=True)
            return
        strategy = ((d.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate")
        if new_rs is None:
            if strategy == "Recreate" and self._rollout_recreate(ctx, d, None, old):
                self._sync_status(ctx, d, None, old)
                return
            self._create_new_rs(ctx, d, old)
            return
        if self._sync_revision(ctx, d, new_rs, old):
            return
        all_rs = old + [new_rs]
        if strategy == "Recreate":
            acted = self._rollout_recreate(ctx, d, new_rs, old)
        else:
            acted = self._reconcile_new(ctx, d, new_rs, all_rs) or self._reconcile_old(ctx, d, new_rs, old, all_rs)
        if not acted and self._complete(d, new_rs, all_rs):
            self._cleanup(ctx, d, old)
        self._sync_status(ctx, d, new_rs, all_rs)

    # ------------------------------------------------------------ replica sets
    def _create_new_rs(self, ctx: Context, d: Obj, old: list[Obj]) -> Obj | None:
        spec = d.get("spec") or {}
        collision = int((d.get("status") or {}).get("collisionCount", 0) or 0)
        template = deep(spec.get("template") or {})
        pod_hash = template_hash(template, collision)
        rs_name = f"{d['metadata']['name']}-{pod_hash}"
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = deep(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        revision = max((_revision(rs) for rs in old), default=0) + 1
        replicas = self._new_rs_replicas(d, old, 0)
        surge, _ = resolve_fenceposts(d)
        annotations = {k: v for k, v in (d["metadata"].get("annotations") or {}).items() if k not in _NOT_COPIED}
        annotations.update({DESIRED: str(spec.get("replicas", 1)), MAX: str(int(spec.get("replicas", 1)) + surge),
                            REVISION: str(revision)})
        rs_spec: dict[str, Any] = {"replicas": replicas, "selector": selector, "template": template}
        if spec.get("minReadySeconds"):
            rs_spec["minReadySeconds"] = spec["minReadySeconds"]
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": rs_name, "namespace": d["metadata"]["namespace"],
                           "labels": dict(template["metadata"]["labels"]), "annotations": annotations,
                           "ownerReferences": [owner_reference(d)]},
              "spec": rs_spec}
        try:
            created = ctx.store.create(REPLICASETS, rs)
        except StoreError as err:
            if err.code != 409:
                raise
            existing = ctx.store.get(REPLICASETS, d["metadata"]["namespace"], rs_name)
            if existing is not None and not owned_by(existing, d) or existing is not None and _strip_hash(
                    (existing.get("spec") or {}).get("template") or {}) != _strip_hash(template):
                status = deep(d.get("status") or {})
                status["collisionCount"] = collision + 1
                self._write_status(ctx, d, status)
            return None
        if replicas > 0:
            ctx.event(d, "ScalingReplicaSet", f"Scaled up replica set {rs_name} from 0 to {replicas}",
                      component=COMPONENT)
        d = self._set_revision_annotation(ctx, d, str(revision))
        status = deep(d.get("status") or {})
        _set_condition(status, _new_condition("Progressing", "True", "NewReplicaSetCreated",
                                              f'Created new replica set "{rs_name}"', ctx.clock.stamp()))
        self._write_status(ctx, d, status)
        return created

    def _sync_revision(self, ctx: Context, d: Obj, new_rs: Obj, old: list[Obj]) -> bool:
        """Bring the new RS's revision/replica annotations and the Deployment's revision up to date."""
        max_old = max((_revision(rs) for rs in old), default=0)
        revision = _revision(new_rs)
        annotations = dict(new_rs["metadata"].get("annotations") or {})
        if revision <= max_old:
            history = [h for h in annotations.get(REVISION_HISTORY, "").split(",") if h]
            if revision:
                history.append(str(revision))
            annotations[REVISION_HISTORY] = ",".join(history)
            revision = max_old + 1
            annotations[REVISION] = str(revision)
        spec = d.get("spec") or {}
        surge, _ = resolve_fenceposts(d)
        copied = {k: v for k, v in (d["metadata"].get("annotations") or {}).items() if k not in _NOT_COPIED}
        annotations.update(copied)
        annotations[DESIRED] = str(spec.get("replicas", 1))
        annotations[MAX] = str(int(spec.get("replicas", 1)) + surge)
        if annotations != (new_rs["metadata"].get("annotations") or {}):
            updated = deep(new_rs)
            updated["metadata"]["annotations"] = annotations
            min_ready = spec.get("minReadySeconds")
            if min_ready:
                updated["spec"]["minReadySeconds"] = min_ready
            ctx.store.update(REPLICASETS, updated)
            return True
        if (d["metadata"].get("annotations") or {}).get(REVISION) != str(revision):
            d = self._set_revision_annotation(ctx, d, str(revision))
            if _restarts_progress(condition(d, "Progressing")) and spec.get("progressDeadlineSeconds") is not None:
                status = deep(d.get("status") or {})
                _set_condition(status, _new_condition("Progressing", "True", "FoundNewReplicaSet",
                                                      f'Found new replica set "{new_rs["metadata"]["name"]}"',
                                                      ctx.clock.stamp()))
                self._write_status(ctx, d, status)
            return True
        return False

    def _set_revision_annotation(self, ctx: Context, d: Obj, revision: str) -> Obj:
        if (d["metadata"].get("annotations") or {}).get(REVISION) == revision:
            return d
        updated = deep(d)
        updated["metadata"].setdefault("annotations", {})[REVISION] = revision
        return ctx.store.update(DEPLOYMENTS, updated)

    def _scale(self, ctx: Context, d: Obj, rs: Obj, replicas: int) -> None:
        current = _spec_replicas(rs)
        if current == replicas:
            return
        spec = d.get("spec") or {}
        surge, _ = resolve_fenceposts(d)
        updated = deep(rs)
        updated["spec"]["replicas"] = replicas
        annotations = updated["metadata"].setdefault("annotations", {})
        annotations[DESIRED] = str(spec.get("replicas", 1))
        annotations[MAX] = str(int(spec.get("replicas", 1)) + surge)
        ctx.store.update(REPLICASETS, updated)
        direction = "up" if replicas > current else "down"
        ctx.event(d, "ScalingReplicaSet",
                  f"Scaled {direction} replica set {rs['metadata']['name']} from {current} to {replicas}",
                  component=COMPONENT)

    def _new_rs_replicas(self, d: Obj, others: list[Obj], new_replicas: int) -> int:
        spec = d.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        if (spec.get("strategy") or {}).get("type", "RollingUpdate") != "RollingUpdate":
            return replicas
        surge, _ = resolve_fenceposts(d)
        current = sum(_spec_replicas(rs) for rs in others) + new_replicas
        max_total = replicas + surge
        if current >= max_total:
            return new_replicas
        return new_replicas + min(max_total - current, replicas - new_replicas)

    def _reconcile_new(self, ctx: Context, d: Obj, new_rs: Obj, all_rs: list[Obj]) -> bool:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        current = _spec_replicas(new_rs)
        if current == replicas:
            return False
        if current > replicas:
            self._scale(ctx, d, new_rs, replicas)
            return True
        others = [rs for rs in all_rs if rs is not new_rs]
        target = self._new_rs_replicas(d, others, current)
        if target == current:
            return False
        self._scale(ctx, d, new_rs, target)
        return True

    def _reconcile_old(self, ctx: Context, d: Obj, new_rs: Obj, old: list[Obj], all_rs: list[Obj]) -> bool:
        active_old = [rs for rs in old if _spec_replicas(rs) > 0]
        if not active_old:
            return False
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        min_available = replicas - _max_unavailable(d)
        all_pods = sum(_spec_replicas(rs) for rs in all_rs)
        new_unavailable = _spec_replicas(new_rs) - _status(new_rs, "availableReplicas")
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        scaled = 0
        targets: dict[str, int] = {rs["metadata"]["name"]: _spec_replicas(rs) for rs in active_old}
        for rs in active_old:
            if scaled >= max_scaled_down:
                break
            unhealthy = _spec_replicas(rs) - _status(rs, "availableReplicas")
            if unhealthy <= 0:
                continue
            step = min(max_scaled_down - scaled, unhealthy)
            targets[rs["metadata"]["name"]] -= step
            scaled += step
        available = sum(_status(rs, "availableReplicas") for rs in all_rs)
        if available > min_available:
            total = available - min_available
            done = 0
            for rs in active_old:
                if done >= total:
                    break
                left = targets[rs["metadata"]["name"]]
                if left == 0:
                    continue
                step = min(left, total - done)
                targets[rs["metadata"]["name"]] -= step
                done += step
            scaled += done
        for rs in active_old:
            self._scale(ctx, d, rs, targets[rs["metadata"]["name"]])
        return scaled > 0

    def _rollout_recreate(self, ctx: Context, d: Obj, new_rs: Obj | None, old: list[Obj]) -> bool:
        acted = False
        for rs in old:
            if _spec_replicas(rs) > 0:
                self._scale(ctx, d, rs, 0)
                acted = True
        if acted or any(_status(rs, "replicas") > 0 for rs in old):
            return True
        if new_rs is None:
            return False
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        if _spec_replicas(new_rs) != replicas:
            self._scale(ctx, d, new_rs, replicas)
            return True
        return False

    def _cleanup(self, ctx: Context, d: Obj, old: list[Obj]) -> None:
        limit = (d.get("spec") or {}).get("revisionHistoryLimit")
        if limit is None:
            return
        idle = [rs for rs in old if _spec_replicas(rs) == 0 and _status(rs, "replicas") == 0 and not deleting(rs)]
        idle.sort(key=lambda rs: (_revision(rs), _age_key(rs)))
        for rs in idle[: max(0, len(idle) - int(limit))]:
            ctx.store.delete(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])

    # ------------------------------------------------------------ status
    def _complete(self, d: Obj, new_rs: Obj | None, all_rs: list[Obj]) -> bool:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        return (new_rs is not None and _status(new_rs, "replicas") == replicas
                and sum(_status(rs, "replicas") for rs in all_rs) == replicas
                and sum(_status(rs, "availableReplicas") for rs in all_rs) == replicas)

    def _calculate(self, d: Obj, new_rs: Obj | None, all_rs: list[Obj], now: str) -> dict[str, Any]:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        available = sum(_status(rs, "availableReplicas") for rs in all_rs)
        total = sum(_spec_replicas(rs) for rs in all_rs)
        status: dict[str, Any] = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": sum(_status(rs, "replicas") for rs in all_rs),
            "updatedReplicas": _status(new_rs, "replicas") if new_rs else 0,
            "readyReplicas": sum(_status(rs, "readyReplicas") for rs in all_rs),
            "availableReplicas": available,
            "unavailableReplicas": max(0, total - available),
            "conditions": deep({"c": (d.get("status") or {}).get("conditions") or []})["c"],
        }
        collision = (d.get("status") or {}).get("collisionCount")
        if collision:
            status["collisionCount"] = collision
        if available >= replicas - _max_unavailable(d):
            _set_condition(status, _new_condition("Available", "True", "MinimumReplicasAvailable",
                                                  "Deployment has minimum availability.", now))
        else:
            _set_condition(status, _new_condition("Available", "False", "MinimumReplicasUnavailable",
                                                  "Deployment does not have minimum availability.", now))
        return status

    def _sync_status(self, ctx: Context, d: Obj, new_rs: Obj | None, all_rs: list[Obj],
                     *, paused: bool = False) -> None:
        now = ctx.clock.stamp()
        spec = d.get("spec") or {}
        old_status = d.get("status") or {}
        status = self._calculate(d, new_rs, all_rs, now)
        has_deadline = spec.get("progressDeadlineSeconds") is not None
        current = condition(d, "Progressing")
        rs_name = new_rs["metadata"]["name"] if new_rs else None
        if paused:
            if current is None or current.get("reason") != "DeploymentPaused":
                _set_condition(status, _new_condition("Progressing", "Unknown", "DeploymentPaused",
                                                      "Deployment is paused", now))
        elif current is not None and current.get("reason") == "DeploymentPaused":
            _set_condition(status, _new_condition("Progressing", "Unknown", "DeploymentResumed",
                                                  "Deployment is resumed", now))
        elif not has_deadline:
            _remove_condition(status, "Progressing")
        else:
            complete = (status["replicas"] == status["updatedReplicas"] and current is not None
                        and current.get("reason") == "NewReplicaSetAvailable")
            if not complete:
                self._progress(ctx, d, status, old_status, current, rs_name, now)
        compacted = compact_status(status, ())
        if compacted != old_status:
            self._write_status(ctx, d, compacted)
        self._requeue_stuck(ctx, d, compacted)

    def _progress(self, ctx: Context, d: Obj, status: dict[str, Any], old: dict[str, Any],
                  current: dict[str, Any] | None, rs_name: str | None, now: str) -> None:
        replicas = int((d.get("spec") or {}).get("replicas", 1))
        subject = f'ReplicaSet "{rs_name}"' if rs_name else f'Deployment "{d["metadata"]["name"]}"'
        is_complete = (status["updatedReplicas"] == replicas and status["replicas"] == replicas
                       and status["availableReplicas"] == replicas
                       and status["observedGeneration"] >= d["metadata"].get("generation", 1))
        old_old = int(old.get("replicas", 0)) - int(old.get("updatedReplicas", 0))
        new_old = status["replicas"] - status["updatedReplicas"]
        progressing = (status["updatedReplicas"] > int(old.get("updatedReplicas", 0)) or new_old < old_old
                       or status["readyReplicas"] > int(old.get("readyReplicas", 0))
                       or status["availableReplicas"] > int(old.get("availableReplicas", 0)))
        if is_complete:
            _set_condition(status, _new_condition("Progressing", "True", "NewReplicaSetAvailable",
                                                  f"{subject} has successfully progressed.", now))
        elif progressing:
            cond = _new_condition("Progressing", "True", "ReplicaSetUpdated", f"{subject} is progressing.", now)
            if current is not None:
                if current.get("status") == "True":
                    cond["lastTransitionTime"] = current.get("lastTransitionTime", now)
                _remove_condition(status, "Progressing")
            _set_condition(status, cond)
        elif self._timed_out(ctx, d, current):
            _set_condition(status, _new_condition("Progressing", "False", "ProgressDeadlineExceeded",
                                                  f"{subject} has timed out progressing.", now))

    def _timed_out(self, ctx: Context, d: Obj, current: dict[str, Any] | None) -> bool:
        if current is None:
            return False
        if current.get("reason") == "ProgressDeadlineExceeded":
            return True
        if current.get("reason") == "NewReplicaSetAvailable":
            return False
        since = parse_timestamp(current.get("lastUpdateTime"))
        deadline = int((d.get("spec") or {}).get("progressDeadlineSeconds", 600))
        return since is not None and since + timedelta(seconds=deadline) < ctx.clock.now()

    def _requeue_stuck(self, ctx: Context, d: Obj, status: dict[str, Any]) -> None:
        deadline = (d.get("spec") or {}).get("progressDeadlineSeconds")
        cond = next((c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), None)
        if deadline is None or cond is None or cond.get("reason") in ("NewReplicaSetAvailable",
                                                                      "ProgressDeadlineExceeded",
                                                                      "DeploymentPaused"):
            return
        since = parse_timestamp(cond.get("lastUpdateTime"))
        if since is None:
            return
        ctx.schedule((self.name, d["metadata"]["namespace"], d["metadata"]["name"]),
                     since + timedelta(seconds=int(deadline) + 1))

    def _write_status(self, ctx: Context, d: Obj, status: dict[str, Any]) -> None:
        updated = deep(d)
        updated["status"] = status
        ctx.store.update(DEPLOYMENTS, updated, subresource="status")
