"""Inventory entries as Flux stores them: `{id: <namespace>_<name>_<group>_<kind>, v: <version>}`."""

from __future__ import annotations

from dataclasses import dataclass

from engine.jsonobj import Obj


@dataclass(frozen=True)
class ObjMeta:
    """One object's identity: group/kind/namespace/name (+ version, not part of the identity)."""

    group: str
    kind: str
    namespace: str
    name: str
    version: str = ""

    @classmethod
    def of(cls, obj: Obj) -> ObjMeta:
        group, _, version = obj.get("apiVersion", "").rpartition("/")
        meta = obj.get("metadata") or {}
        return cls(group, obj.get("kind", ""), meta.get("namespace") or "", meta.get("name", ""), version)

    @property
    def id(self) -> str:
        name = self.name.replace(":", "__") if self.group == "rbac.authorization.k8s.io" else self.name
        return f"{self.namespace}_{name}_{self.group}_{self.kind}"

    @classmethod
    def parse(cls, entry: Obj) -> ObjMeta:
        """Inverse of `id` (names never contain `_`; RBAC `:` comes back from `__`)."""
        parts = entry["id"].split("_")
        if len(parts) < 4:
            raise ValueError(f"invalid inventory id '{entry['id']}'")
        namespace, kind, group = parts[0], parts[-1], parts[-2]
        name = "_".join(parts[1:-2])
        if group == "rbac.authorization.k8s.io":
            name = name.replace("__", ":")
        return cls(group, kind, namespace, name, entry.get("v", ""))

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def subject(self) -> str:
        """`Kind/namespace/name`, or `Kind/name` when cluster-scoped (Flux's change-set subject)."""
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"

    def entry(self) -> Obj:
        return {"id": self.id, "v": self.version}

    def __str__(self) -> str:
        return self.subject


def entries(metas: list[ObjMeta]) -> list[Obj]:
    return [m.entry() for m in metas]


def stale(old: list[Obj], new: list[Obj]) -> list[ObjMeta]:
    """Objects in the old inventory whose id is not in the new one (version changes are not stale)."""
    keep = {e["id"] for e in new}
    return [ObjMeta.parse(e) for e in old if e["id"] not in keep]
