"""Staged server-side apply, drift detection, change sets and garbage collection (fluxcd/pkg/ssa).

Stage 1 (CRDs, Namespaces, ClusterRoles) and stage 2 (`*Class` kinds) are applied and waited for before the
rest is dry-run. Within a stage every object is dry-run first; one failure means nothing in that stage is
written. Objects are written only when the dry-run result differs from the live object.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from engine import kstatus
from engine.client import ApiError, Client, NoMatchError
from engine.kustomization.inventory import ObjMeta

Obj = dict[str, Any]
FIELD_MANAGER = "kustomize-controller"
GROUP = "kustomize.toolkit.fluxcd.io"
NAME_LABEL = f"{GROUP}/name"
NAMESPACE_LABEL = f"{GROUP}/namespace"

KIND_ORDER = [
    "CustomResourceDefinition", "Namespace", "ClusterRole", "ClusterClass", "RuntimeClass", "PriorityClass",
    "StorageClass", "VolumeSnapshotClass", "IngressClass", "GatewayClass", "ClusterRoleBinding", "ResourceQuota",
    "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Secret", "Service", "LimitRange", "Deployment",
    "StatefulSet", "CronJob", "PodDisruptionBudget",
]
KIND_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]
_RANK = {k: i - len(KIND_ORDER) for i, k in enumerate(KIND_ORDER)}
_RANK.update({k: i + 1 for i, k in enumerate(KIND_LAST)})

CREATED, CONFIGURED, UNCHANGED, DELETED, SKIPPED, UNKNOWN = (
    "created", "configured", "unchanged", "deleted", "skipped", "unknown")


@dataclass(frozen=True)
class Change:
    """One change-set line: `Deployment/default/web created`."""

    meta: ObjMeta
    action: str

    def __str__(self) -> str:
        return f"{self.meta.subject} {self.action}"


@dataclass
class ChangeSet:
    entries: list[Change] = field(default_factory=list)

    def add(self, meta: ObjMeta, action: str) -> None:
        self.entries.append(Change(meta, action))

    def extend(self, other: ChangeSet) -> None:
        self.entries.extend(other.entries)

    def changed(self) -> list[Change]:
        return [e for e in self.entries if e.action not in (UNCHANGED, SKIPPED)]

    def to_map(self) -> dict[str, str]:
        return {e.meta.subject: e.action for e in self.entries}

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.entries)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


class ApplyError(Exception):
    """Apply failed; `changes` lists what was already written in earlier stages."""

    def __init__(self, message: str, changes: ChangeSet) -> None:
        super().__init__(message)
        self.message = message
        self.changes = changes


def rank(kind: str) -> int:
    return _RANK.get(kind, 0)


def sort_key(obj: Obj) -> tuple:
    meta = ObjMeta.of(obj)
    return (rank(meta.kind), meta.group, meta.kind, meta.namespace, meta.name)


def stage_of(obj: Obj) -> int:
    kind = obj.get("kind", "")
    group = ObjMeta.of(obj).group
    if kind == "CustomResourceDefinition" and group == "apiextensions.k8s.io" or \
            kind == "Namespace" and group == "" or kind == "ClusterRole" and group == "rbac.authorization.k8s.io":
        return 1
    if kind.endswith("Class"):
        return 2
    return 4


def _flag(obj: Obj | None, key: str) -> str:
    if not obj:
        return ""
    meta = obj.get("metadata") or {}
    value = (meta.get("labels") or {}).get(key) or (meta.get("annotations") or {}).get(key) or ""
    return str(value).lower()


def skipped(desired: Obj, existing: Obj | None) -> bool:
    for obj in (desired, existing):
        if _flag(obj, f"{GROUP}/reconcile") == "disabled" or _flag(obj, f"{GROUP}/ssa") == "ignore":
            return True
    return existing is not None and _flag(desired, f"{GROUP}/ssa") == "ifnotpresent"


def immutable(err: ApiError) -> bool:
    """Flux's test: any Conflict/Invalid error or an `immutable` message."""
    msg = err.message.lower()
    return err.reason in ("Invalid", "Conflict") or err.status in (409, 422) or \
        "is immutable" in msg or "immutable field" in msg


_VOLATILE_META = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp",
                  "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink")


def _comparable(obj: Obj) -> Obj:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _VOLATILE_META}
    return {**{k: v for k, v in obj.items() if k not in ("metadata", "status")}, "metadata": meta}


def drifted(dry_run: Obj, existing: Obj) -> bool:
    return _comparable(dry_run) != _comparable(existing)


def error_subject(meta: ObjMeta, err: ApiError) -> str:
    if isinstance(err, NoMatchError):
        return f"{meta.subject} dry-run failed: {err.message}"
    if err.status == 404:
        return f"{meta.subject} not found: {err.message}"
    return f"{meta.subject} dry-run failed ({err.reason}): {err.message}"


class Applier:
    """Applies objects the way kustomize-controller does; `force` recreates objects on immutable errors."""

    def __init__(self, client: Client, *, field_manager: str = FIELD_MANAGER, wait_timeout: float = 60.0,
                 poll: float = 0.2, concurrency: int = 4) -> None:
        self.client = client
        self.concurrency = concurrency
        self.field_manager = field_manager
        self.wait_timeout = wait_timeout
        self.poll = poll

    def apply_all_staged(self, objects: list[Obj], *, force: bool = False) -> ChangeSet:
        done = ChangeSet()
        stages: dict[int, list[Obj]] = {}
        for obj in objects:
            stages.setdefault(stage_of(obj), []).append(obj)
        for number in sorted(stages):
            batch = sorted(stages[number], key=sort_key)
            changes = self.apply_stage(batch, force=force, done=done)
            done.extend(changes)
            if number in (1, 2):
                self.wait_current([c.meta for c in changes if c.action != SKIPPED], done)
                if any(c.meta.kind == "CustomResourceDefinition" for c in changes):
                    self.client.invalidate_discovery()
        return done

    def apply_stage(self, batch: list[Obj], *, force: bool, done: ChangeSet) -> ChangeSet:
        live = self._prefetch(batch)

        def plan(obj: Obj) -> tuple[Obj, ObjMeta, Obj | None, Obj | None]:
            meta = ObjMeta.of(obj)
            try:
                if meta.id in live:
                    existing = live[meta.id]
                else:
                    existing = self.client.get(obj["apiVersion"], obj["kind"], meta.name, meta.namespace or None)
            except ApiError as err:
                raise ApplyError(error_subject(meta, err), done) from None
            if skipped(obj, existing):
                return obj, meta, existing, None
            dry = self._dry_run(obj, meta, existing, force, done)
            if dry is None:
                existing = None
                dry = self._dry_run(obj, meta, None, False, done)
            elif meta.id in live and (existing is None or drifted(dry, existing)):
                # the listed copy may be older than the dry-run (e.g. a controller annotated it since): re-read
                existing = self._live(meta)
            return obj, meta, existing, dry

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = [pool.submit(plan, obj) for obj in batch]
        plans = [f.result() for f in futures]  # the first failure in apply order is raised
        out = ChangeSet()
        for obj, meta, existing, dry in plans:
            if dry is None:
                out.add(meta, SKIPPED)
                continue
            if existing is not None and not drifted(dry, existing):
                out.add(meta, UNCHANGED)
                continue
            try:
                self.client.apply(obj, field_manager=self.field_manager, force=True)
            except ApiError as err:
                raise ApplyError(f"{meta.subject} apply failed ({err.reason}): {err.message}",
                                 _merge(done, out)) from None
            out.add(meta, CREATED if existing is None else CONFIGURED)
        return out

    def _prefetch(self, batch: list[Obj]) -> dict[str, Obj | None]:
        """Live objects by inventory id, one LIST per kind and namespace for larger groups (None: absent)."""
        groups: dict[tuple[str, str, str], list[ObjMeta]] = {}
        for obj in batch:
            meta = ObjMeta.of(obj)
            groups.setdefault((obj["apiVersion"], obj["kind"], meta.namespace), []).append(meta)
        live: dict[str, Obj | None] = {}
        for (api_version, kind, namespace), metas in groups.items():
            if len(metas) < 8:
                continue
            try:
                items = self.client.list(api_version, kind, namespace or None)
            except ApiError:
                continue  # fall back to one GET per object, which reports the error with the object's name
            found = {ObjMeta.of(i).id: i for i in items}
            for meta in metas:
                live[meta.id] = found.get(meta.id)
        return live

    def _dry_run(self, obj: Obj, meta: ObjMeta, existing: Obj | None, force: bool, done: ChangeSet) -> Obj | None:
        """The dry-run result; None when the object was deleted for recreation (force on an immutable error)."""
        try:
            return self.client.apply(obj, field_manager=self.field_manager, force=True, dry_run=True)
        except ApiError as err:
            recreate = force or _flag(obj, f"{GROUP}/force") == "enabled" or _flag(existing, f"{GROUP}/force") \
                == "enabled"
            if existing is not None and recreate and immutable(err):
                self.client.delete(obj["apiVersion"], obj["kind"], meta.name, meta.namespace or None)
                self._wait_gone(obj, meta)
                return None
            raise ApplyError(error_subject(meta, err), done) from None

    def _wait_gone(self, obj: Obj, meta: ObjMeta) -> None:
        deadline = time.monotonic() + self.wait_timeout
        while self.client.get(obj["apiVersion"], obj["kind"], meta.name, meta.namespace or None) is not None:
            if time.monotonic() > deadline:
                raise ApplyError(f"{meta.subject} recreate failed: timeout waiting for deletion", ChangeSet())
            time.sleep(self.poll / 4)

    def wait_current(self, metas: list[ObjMeta], done: ChangeSet) -> None:
        deadline = time.monotonic() + self.wait_timeout
        pending = list(metas)
        while pending:
            pending = [m for m in pending if kstatus.compute(self._live(m)).status != kstatus.CURRENT]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise ApplyError("timeout waiting for: [" + ", ".join(
                    f"{m.subject} status: '{kstatus.compute(self._live(m)).status}'" for m in pending) + "]", done)
            time.sleep(self.poll / 4)

    def _live(self, meta: ObjMeta) -> Obj | None:
        try:
            return self.client.get(meta.api_version, meta.kind, meta.name, meta.namespace or None)
        except ApiError:
            return None

    # -- garbage collection -----------------------------------------------------------------------
    def delete_all(self, metas: Iterable[ObjMeta], owner: dict[str, str]) -> tuple[ChangeSet, list[str]]:
        """Prune in reverse apply order; only objects still carrying both owner labels; returns (changes, errors)."""
        ordered = sorted(metas, key=lambda m: (rank(m.kind), m.group, m.kind, m.namespace, m.name), reverse=True)
        changes, errors = ChangeSet(), []
        for meta in ordered:
            try:
                live = self.client.get(meta.api_version, meta.kind, meta.name, meta.namespace or None)
            except NoMatchError:
                changes.add(meta, DELETED)
                continue
            except ApiError as err:
                errors.append(f"{meta.subject} delete failed: {err.message}")
                continue
            if live is None:
                changes.add(meta, DELETED)
                continue
            labels = (live.get("metadata") or {}).get("labels") or {}
            if any(labels.get(k) != v for k, v in owner.items()):
                changes.add(meta, SKIPPED)
                continue
            if _flag(live, f"{GROUP}/prune") == "disabled" or _flag(live, f"{GROUP}/reconcile") == "disabled" \
                    or _flag(live, f"{GROUP}/ssa") == "ignore":
                changes.add(meta, SKIPPED)
                continue
            try:
                self.client.delete(meta.api_version, meta.kind, meta.name, meta.namespace or None)
                changes.add(meta, DELETED)
            except ApiError as err:
                errors.append(f"{meta.subject} delete failed: {err.message}")
        return changes, errors


def _merge(a: ChangeSet, b: ChangeSet) -> ChangeSet:
    out = ChangeSet()
    out.extend(a)
    out.extend(b)
    return out


def wait_for(client: Client, metas: list[ObjMeta], timeout: float, poll: float = 0.5,
             clock: Callable[[], float] = time.monotonic) -> tuple[bool, str]:
    """Health-check objects until all are Current (fail fast on Failed); returns (ok, Flux-style message)."""
    start = clock()
    while True:
        results = []
        for meta in metas:
            try:
                live = client.get(meta.api_version, meta.kind, meta.name, meta.namespace or None)
            except NoMatchError:
                live = None
            results.append((meta, kstatus.compute(live)))
        if all(st.status == kstatus.CURRENT for _, st in results):
            return True, ""
        failed = [(m, st) for m, st in results if st.status == kstatus.FAILED]
        if failed:
            detail = ", ".join(f"{m.subject} status: 'Failed': {st.message}" for m, st in failed)
            return False, f"failed early due to stalled resources: [{detail}]"
        if clock() - start >= timeout:
            detail = ", ".join(f"{m.subject} status: '{st.status}'" for m, st in results
                               if st.status != kstatus.CURRENT)
            return False, f"timeout waiting for: [{detail}]"
        time.sleep(poll)
