"""Typed, read-only views of GitRepository and Kustomization objects (the dicts stay the source of truth)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.api import conditions
from engine.api.duration import parse_duration
from engine.jsonobj import Obj

REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"
FINALIZER = "finalizers.fluxcd.io"


@dataclass(frozen=True)
class NamespacedName:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


class View:
    """Common accessors for any Flux object."""

    kind = ""

    def __init__(self, obj: Obj) -> None:
        self.obj = obj

    @property
    def metadata(self) -> Obj:
        return self.obj.setdefault("metadata", {})

    @property
    def spec(self) -> Obj:
        return self.obj.get("spec") or {}

    @property
    def status(self) -> Obj:
        return self.obj.setdefault("status", {})

    @property
    def name(self) -> str:
        return self.metadata.get("name", "")

    @property
    def namespace(self) -> str:
        return self.metadata.get("namespace", "default")

    @property
    def key(self) -> NamespacedName:
        return NamespacedName(self.namespace, self.name)

    @property
    def generation(self) -> int:
        return int(self.metadata.get("generation") or 0)

    @property
    def observed_generation(self) -> int:
        return int(self.status.get("observedGeneration", -1))

    @property
    def suspended(self) -> bool:
        return bool(self.spec.get("suspend"))

    @property
    def interval(self) -> float:
        return parse_duration(self.spec.get("interval", "10m"))

    @property
    def requested_at(self) -> str | None:
        return (self.metadata.get("annotations") or {}).get(REQUESTED_AT)

    @property
    def last_handled_reconcile_at(self) -> str | None:
        return self.status.get("lastHandledReconcileAt")

    @property
    def deleting(self) -> bool:
        return bool(self.metadata.get("deletionTimestamp"))

    @property
    def has_finalizer(self) -> bool:
        return FINALIZER in (self.metadata.get("finalizers") or [])

    @property
    def ready(self) -> tuple[str, str, str]:
        """(status, reason, message) of the Ready condition."""
        return conditions.summary(self.obj)

    def condition(self, type_: str) -> Obj | None:
        return conditions.get_condition(self.obj, type_)

    def __repr__(self) -> str:
        status, reason, message = self.ready
        return f"<{self.kind} {self.key} Ready={status} {reason}: {message}>"


class SourceView(View):
    """What every source kind has: a `url`, a `secretRef`, and the artifact it publishes in its status."""

    @property
    def url(self) -> str:
        return self.spec.get("url", "")

    @property
    def secret_ref(self) -> str | None:
        return (self.spec.get("secretRef") or {}).get("name")

    @property
    def artifact(self) -> Obj | None:
        return self.status.get("artifact")

    @property
    def revision(self) -> str:
        return (self.artifact or {}).get("revision", "")


class GitRepository(SourceView):
    kind = "GitRepository"

    @property
    def ref(self) -> Obj:
        return self.spec.get("ref") or {}

    @property
    def timeout(self) -> float:
        return parse_duration(self.spec.get("timeout") or "60s")

    @property
    def ignore(self) -> str | None:
        return self.spec.get("ignore")


class Kustomization(View):
    kind = "Kustomization"

    @property
    def source_ref(self) -> Obj:
        ref = dict(self.spec.get("sourceRef") or {})
        ref.setdefault("namespace", self.namespace)
        return ref

    @property
    def path(self) -> str:
        return self.spec.get("path") or ""

    @property
    def prune(self) -> bool:
        return bool(self.spec.get("prune"))

    @property
    def retry_interval(self) -> float:
        value = self.spec.get("retryInterval")
        return parse_duration(value) if value else self.interval

    @property
    def timeout(self) -> float:
        """spec.timeout, default interval − 30s, never below 30s (Flux's GetTimeout)."""
        value = self.spec.get("timeout")
        seconds = parse_duration(value) if value else self.interval - 30
        return max(seconds, 30.0)

    @property
    def force(self) -> bool:
        return bool(self.spec.get("force"))

    @property
    def wait(self) -> bool:
        return bool(self.spec.get("wait"))

    @property
    def deletion_policy(self) -> str:
        return self.spec.get("deletionPolicy") or "MirrorPrune"

    @property
    def depends_on(self) -> list[NamespacedName]:
        return [NamespacedName(d.get("namespace") or self.namespace, d["name"])
                for d in self.spec.get("dependsOn") or []]

    @property
    def inventory(self) -> list[Obj]:
        return list((self.status.get("inventory") or {}).get("entries") or [])

    @property
    def last_applied_revision(self) -> str:
        return self.status.get("lastAppliedRevision", "")

    @property
    def last_attempted_revision(self) -> str:
        return self.status.get("lastAttemptedRevision", "")
