"""Staged server-side apply, drift detection, change sets and garbage collection (fluxcd/pkg/ssa).

Stage 1 (CRDs, Namespaces, ClusterRoles) and stage 2 (`*Class` kinds) are applied and waited for before the
rest is dry-run. Within a stage every object is dry-run first (`concurrency` at a time, kustomize-controller's
--concurrent-ssa); one failure means nothing in that stage is written. Objects are written only when the dry-run
result differs from the live object, one by one in apply order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum

from engine import kstatus
from engine.api.poll import poll_until
from engine.client import ApiError, Client, NoMatchError
from engine.jsonobj import Obj
from engine.kustomization.inventory import ObjMeta
from engine.kustomization.unchanged import already_applied

FIELD_MANAGER = "kustomize-controller"
#: dry-runs in flight at once (kustomize-controller's --concurrent-ssa default)
DEFAULT_CONCURRENT_SSA = 4
HEALTH_POLL_MAX = 0.25  # a health check polls quickly at first, then at most every quarter second
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



class Action(StrEnum):
    """What server-side apply or garbage collection did to one object (fluxcd/pkg/ssa's Action)."""

    CREATED = "created"
    CONFIGURED = "configured"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"


CREATED, CONFIGURED, UNCHANGED, DELETED, SKIPPED, UNKNOWN = (
    Action.CREATED, Action.CONFIGURED, Action.UNCHANGED, Action.DELETED, Action.SKIPPED, Action.UNKNOWN)


def _selector(**pairs: str) -> Mapping[str, str]:
    return {f"{GROUP}/{k}": v for k, v in pairs.items()}


@dataclass(frozen=True)
class ApplyOptions:
    """How to apply and prune, as fluxcd/pkg/ssa's ApplyOptions: `force` recreates objects on immutable-field
    errors; each selector is a label-or-annotation key → value (matched case-insensitively) that marks objects
    to recreate (`force_selector`), never touch (`exclusion_selector`), only create (`if_not_present_selector`)
    or never delete (`prune_exclusion_selector`). `wait_timeout`/`wait_interval` bound the stage waits."""

    force: bool = False
    force_selector: Mapping[str, str] = field(default_factory=lambda: _selector(force="enabled"))
    exclusion_selector: Mapping[str, str] = field(
        default_factory=lambda: _selector(reconcile="disabled", ssa="ignore"))
    if_not_present_selector: Mapping[str, str] = field(default_factory=lambda: _selector(ssa="ifnotpresent"))
    prune_exclusion_selector: Mapping[str, str] = field(
        default_factory=lambda: _selector(prune="disabled", reconcile="disabled", ssa="ignore"))
    wait_timeout: float = 60.0
    wait_interval: float = 0.05


def matches(obj: Obj | None, selector: Mapping[str, str]) -> bool:
    """Does any key → value of `selector` appear as a label or annotation of `obj` (values case-insensitive)?"""
    return any(_flag(obj, key) == value for key, value in selector.items())


@dataclass(frozen=True)
class Change:
    """One change-set line: `Deployment/default/web created`."""

    meta: ObjMeta
    action: Action

    def __str__(self) -> str:
        return f"{self.meta.subject} {self.action}"


@dataclass
class ChangeSet:
    entries: list[Change] = field(default_factory=list)

    def add(self, meta: ObjMeta, action: Action) -> None:
        self.entries.append(Change(meta, action))

    def extend(self, other: ChangeSet) -> None:
        self.entries.extend(other.entries)

    def changed(self) -> list[Change]:
        return [e for e in self.entries if e.action not in (UNCHANGED, SKIPPED)]

    def to_map(self) -> dict[str, str]:
        return {e.meta.subject: e.action for e in self.entries}

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.entries)

    def __iter__(self) -> Iterator[Change]:
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


def skipped(desired: Obj, existing: Obj | None, options: ApplyOptions | None = None) -> bool:
    """Excluded (on either side), or create-only and already there."""
    options = options or ApplyOptions()
    if matches(desired, options.exclusion_selector) or matches(existing, options.exclusion_selector):
        return True
    return existing is not None and matches(desired, options.if_not_present_selector)


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
    if err.not_found:
        return f"{meta.subject} not found: {err.message}"
    return f"{meta.subject} dry-run failed ({err.reason}): {err.message}"


Plan = tuple[Obj, ObjMeta, "Obj | None", "Obj | None"]  # desired, identity, live, dry-run result (None: skip)


class Applier:
    """Applies objects the way kustomize-controller does (fluxcd/pkg/ssa's ResourceManager)."""

    def __init__(self, client: Client, *, field_manager: str = FIELD_MANAGER,
                 concurrency: int = DEFAULT_CONCURRENT_SSA) -> None:
        self.client = client
        self.concurrency = concurrency
        self.field_manager = field_manager

    def apply_all_staged(self, objects: list[Obj], options: ApplyOptions | None = None, *,
                         before_write: Callable[[list[ObjMeta]], None] | None = None) -> ChangeSet:
        """Apply in stages (CRDs/Namespaces/ClusterRoles, `*Class` kinds, the rest); the first two are waited
        for. `before_write(metas)` is called before a stage's first write with the objects it may create, so the
        caller can record them (the inventory) before they exist."""
        options = options or ApplyOptions()
        done = ChangeSet()
        stages: dict[int, list[Obj]] = {}
        for obj in objects:
            stages.setdefault(stage_of(obj), []).append(obj)
        for number in sorted(stages):
            batch = sorted(stages[number], key=sort_key)
            changes = self.apply_stage(batch, options, done=done, before_write=before_write)
            done.extend(changes)
            if number in (1, 2):
                self.wait_current([c.meta for c in changes if c.action != SKIPPED], options, done)
                if any(c.meta.kind == "CustomResourceDefinition" for c in changes):
                    self.client.invalidate_discovery()
        return done

    def apply_stage(self, batch: list[Obj], options: ApplyOptions, *, done: ChangeSet,
                    before_write: Callable[[list[ObjMeta]], None] | None = None) -> ChangeSet:
        live = self._prefetch(batch)

        def plan(obj: Obj) -> Plan:
            meta = ObjMeta.of(obj)
            try:
                if meta.id in live:
                    existing = live[meta.id]
                else:
                    existing = self.client.get(obj["apiVersion"], obj["kind"], meta.name, meta.namespace or None)
            except ApiError as err:
                raise ApplyError(error_subject(meta, err), done) from None
            if skipped(obj, existing, options):
                return obj, meta, existing, None
            if already_applied(obj, existing, self.field_manager):
                return obj, meta, existing, existing  # the dry-run would return the live object
            dry = self._dry_run(obj, meta, existing, options, done)
            if dry is None:
                existing = None
                dry = self._dry_run(obj, meta, None, ApplyOptions(force=False), done)
            elif meta.id in live and (existing is None and _persisted(dry) or
                                      existing is not None and drifted(dry, existing)):
                # the listed copy may be older than the dry-run (created since, or annotated by a controller)
                existing = self.live(meta)
            return obj, meta, existing, dry

        # listed objects that are excluded or already hold what would be applied need no API call
        planned: list[Plan | None] = []
        for obj in batch:
            meta = ObjMeta.of(obj)
            existing = live.get(meta.id)
            if existing is not None and skipped(obj, existing, options):
                planned.append((obj, meta, existing, None))
            elif existing is not None and already_applied(obj, existing, self.field_manager):
                planned.append((obj, meta, existing, existing))
            else:
                planned.append(None)
        slow = [obj for obj, p in zip(batch, planned, strict=True) if p is None]
        if self.concurrency == 1 or len(slow) < 2 * self.concurrency:
            done_slow = [plan(obj) for obj in slow]
        else:
            with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                futures = [pool.submit(plan, obj) for obj in slow]
            done_slow = [f.result() for f in futures]  # the first failure in apply order is raised
        rest = iter(done_slow)
        plans = [p if p is not None else next(rest) for p in planned]
        actions: list[Action] = []
        to_write: list[int] = []
        for index, (_, _, existing, dry) in enumerate(plans):
            if dry is None:
                actions.append(SKIPPED)
            elif dry is existing or existing is not None and not drifted(dry, existing):
                actions.append(UNCHANGED)
            else:
                actions.append(CREATED if existing is None else CONFIGURED)
                to_write.append(index)
        if to_write and before_write is not None:
            before_write([plans[i][1] for i in to_write])
        for position, index in enumerate(to_write):  # one by one, as ApplyAll applies: the first failure stops
            obj, meta = plans[index][0], plans[index][1]
            try:
                self.client.apply(obj, field_manager=self.field_manager, force=True)
            except ApiError as err:  # the change set lists what was written, for the event and the inventory
                written = ChangeSet([Change(plans[i][1], actions[i]) for i in to_write[:position]])
                raise ApplyError(f"{meta.subject} apply failed ({err.reason}): {err.message}",
                                 _merge(done, written)) from None
        return ChangeSet([Change(meta, action) for (_, meta, _, _), action in zip(plans, actions, strict=True)])

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

    def _dry_run(self, obj: Obj, meta: ObjMeta, existing: Obj | None, options: ApplyOptions,
                 done: ChangeSet) -> Obj | None:
        """The dry-run result; None when the object was deleted for recreation (force on an immutable error)."""
        try:
            return self.client.apply(obj, field_manager=self.field_manager, force=True, dry_run=True)
        except ApiError as err:
            recreate = options.force or matches(obj, options.force_selector) or \
                matches(existing, options.force_selector)
            if existing is not None and recreate and immutable(err):
                self.client.delete(obj["apiVersion"], obj["kind"], meta.name, meta.namespace or None)
                if not wait_deleted(self.client, [meta], options.wait_timeout, options.wait_interval):
                    raise ApplyError(f"{meta.subject} recreate failed: timeout waiting for deletion",
                                     ChangeSet()) from None
                return None
            raise ApplyError(error_subject(meta, err), done) from None

    def wait_current(self, metas: list[ObjMeta], options: ApplyOptions, done: ChangeSet) -> None:
        """Wait until every object is kstatus Current (the stage waits of ApplyAllStaged)."""
        polled = poll_until(lambda: [(m, kstatus.compute(self.live(m))) for m in metas],
                            lambda results: all(st.status == kstatus.CURRENT for _, st in results),
                            timeout=options.wait_timeout, interval=options.wait_interval)
        if not polled.met:
            raise ApplyError("timeout waiting for: [" + ", ".join(
                f"{m.subject} status: '{st.status}'" for m, st in polled.value if st.status != kstatus.CURRENT)
                + "]", done)

    def live(self, meta: ObjMeta) -> Obj | None:
        """The object as the API server has it (None: absent, its kind unknown or the read failed)."""
        try:
            return live_object(self.client, meta)
        except ApiError:
            return None

    # -- garbage collection -----------------------------------------------------------------------
    def delete_all(self, metas: Iterable[ObjMeta], owner: dict[str, str],
                   options: ApplyOptions | None = None) -> tuple[ChangeSet, list[str]]:
        """Prune in reverse apply order; only objects still carrying both owner labels; returns (changes, errors)."""
        options = options or ApplyOptions()
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
            if matches(live, options.prune_exclusion_selector):
                changes.add(meta, SKIPPED)
                continue
            try:
                self.client.delete(meta.api_version, meta.kind, meta.name, meta.namespace or None)
                changes.add(meta, DELETED)
            except ApiError as err:
                errors.append(f"{meta.subject} delete failed: {err.message}")
        return changes, errors


def _persisted(dry_run: Obj) -> bool:
    """Does a dry-run result describe a stored object? A dry-run create has no resourceVersion."""
    return bool((dry_run.get("metadata") or {}).get("resourceVersion"))


def _merge(a: ChangeSet, b: ChangeSet) -> ChangeSet:
    out = ChangeSet()
    out.extend(a)
    out.extend(b)
    return out


def live_object(client: Client, meta: ObjMeta) -> Obj | None:
    """GET one inventory object (None when absent or when its kind is not served)."""
    try:
        return client.get(meta.api_version, meta.kind, meta.name, meta.namespace or None)
    except NoMatchError:
        return None


def wait_deleted(client: Client, metas: list[ObjMeta], timeout: float, interval: float,
                 cancelled: Callable[[], bool] | None = None) -> bool:
    """Wait until none of the objects exists any more; False on timeout."""
    return poll_until(lambda: [m for m in metas if live_object(client, m) is not None], lambda left: not left,
                      timeout=timeout, interval=interval, cancelled=cancelled).met


def wait_for(client: Client, metas: list[ObjMeta], timeout: float, poll: float = 0.5,
             clock: Callable[[], float] = time.monotonic,
             cancelled: Callable[[], bool] | None = None,
             status_of: Callable[[Obj | None], kstatus.Status] = kstatus.compute,
             sleep: Callable[[float], None] = time.sleep) -> tuple[bool, str]:
    """Health-check objects until all are Current (fail fast on Failed); returns (ok, Flux-style message).
    `status_of` reads one live object's status (default kstatus; healthCheckExprs add CEL readers)."""

    def probe() -> list[tuple[ObjMeta, kstatus.Status]]:
        return [(meta, status_of(live_object(client, meta))) for meta in metas]

    def settled(results: list[tuple[ObjMeta, kstatus.Status]]) -> bool:
        return all(st.status == kstatus.CURRENT for _, st in results) or \
            any(st.status == kstatus.FAILED for _, st in results)

    polled = poll_until(probe, settled, timeout=timeout, interval=poll, max_interval=max(poll, HEALTH_POLL_MAX),
                        clock=clock, cancelled=cancelled, sleep=sleep)
    results = polled.value
    failed = [(m, st) for m, st in results if st.status == kstatus.FAILED]
    if failed:
        detail = ", ".join(f"{m.subject} status: 'Failed': {st.message}" for m, st in failed)
        return False, f"failed early due to stalled resources: [{detail}]"
    if polled.met:
        return True, ""
    detail = ", ".join(f"{m.subject} status: '{st.status}'" for m, st in results if st.status != kstatus.CURRENT)
    return False, f"timeout waiting for: [{detail}]"
