"""Drift detection and correction for a release's objects (helm-controller's DetectDrift/CorrectDrift).

Desired = the stored manifest's objects plus Helm's ownership metadata, namespaced objects defaulted to the
release namespace. Each is compared with the live object on the fields the manifest sets (the kit's form of
Flux's dry-run diff): a missing object is `removed`, a differing one `changed (a additions, c changes, r
removals)`. Objects labelled or annotated `helm.toolkit.fluxcd.io/driftDetection: disabled` are `excluded`;
`ignore` rules drop JSON-pointer paths. Correction re-applies the desired objects (server-side apply, forced,
with the SDK's own field manager so the next Helm upgrade sees no conflict) and writes no new revision.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from engine.api.types_helm import DRIFT_DETECTION_KEY
from engine.client import ApiError, Client
from engine.helm import sdk
from engine.helm.storage import Release
from engine.jsonobj import Obj

RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"
RELEASE_NAMESPACE_ANNOTATION = "meta.helm.sh/release-namespace"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"


@dataclass
class Entry:
    """One object's drift: `removed`, `changed` (with counts) or `excluded`."""

    subject: str
    action: str
    desired: Obj
    additions: int = 0
    changes: int = 0
    removals: int = 0

    def __str__(self) -> str:
        if self.action == "changed":
            return (f"{self.subject} changed ({self.additions} additions, {self.changes} changes, "
                    f"{self.removals} removals)")
        return f"{self.subject} {self.action}"


@dataclass
class Drift:
    entries: list[Entry] = field(default_factory=list)

    @property
    def drifted(self) -> list[Entry]:
        return [e for e in self.entries if e.action in ("removed", "changed")]

    def __bool__(self) -> bool:
        return bool(self.drifted)

    def report(self) -> str:
        return "\n".join(str(e) for e in self.entries)


def subject(obj: Obj, namespaced: bool) -> str:
    meta = obj.get("metadata") or {}
    if namespaced and meta.get("namespace"):
        return f"{obj.get('kind')}/{meta['namespace']}/{meta.get('name')}"
    return f"{obj.get('kind')}/{meta.get('name')}"


def desired_objects(client: Client, release: Release) -> list[tuple[Obj, bool]]:
    """The release's objects as Helm applied them, with ownership metadata; (object, namespaced) pairs."""
    return owned(client, release.objects(), release.name, release.namespace)


def owned(client: Client, objects: list[Obj], release: str, namespace: str) -> list[tuple[Obj, bool]]:
    """Copies of `objects` with Helm's ownership labels/annotations, namespaced ones defaulted to `namespace`."""
    out = []
    for obj in objects:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        try:
            namespaced = client.is_namespaced(obj.get("apiVersion", ""), obj.get("kind", ""))
        except ApiError:
            namespaced = True
        if namespaced:
            meta.setdefault("namespace", namespace)
        meta["labels"] = {**(meta.get("labels") or {}), MANAGED_BY_LABEL: "Helm"}
        meta["annotations"] = {**(meta.get("annotations") or {}), RELEASE_NAME_ANNOTATION: release,
                               RELEASE_NAMESPACE_ANNOTATION: namespace}
        out.append((obj, namespaced))
    return out


def _excluded(obj: Obj) -> bool:
    meta = obj.get("metadata") or {}
    return "disabled" in ((meta.get("labels") or {}).get(DRIFT_DETECTION_KEY),
                          (meta.get("annotations") or {}).get(DRIFT_DETECTION_KEY))


def _matches(target: Obj | None, obj: Obj) -> bool:
    if not target:
        return True
    meta = obj.get("metadata") or {}
    group, _, version = obj.get("apiVersion", "").rpartition("/")
    fields = {"group": group, "version": version, "kind": obj.get("kind", ""), "name": meta.get("name", ""),
              "namespace": meta.get("namespace", "")}
    for key, value in fields.items():
        pattern = target.get(key)
        if pattern and not re.fullmatch(pattern, value):
            return False
    for sel_key, source in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        selector = target.get(sel_key)
        if selector:
            have = meta.get(source) or {}
            for term in selector.split(","):
                k, _, v = term.partition("=")
                if have.get(k.strip()) != v.strip().lstrip("="):
                    return False
    return True


def _drop_pointer(obj: Obj, pointer: str) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    node: Any = obj
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else (
            node[int(part)] if isinstance(node, list) and part.isdigit() and int(part) < len(node) else None)
        if node is None:
            return
    if parts and isinstance(node, dict):
        node.pop(parts[-1], None)


def _compare(want: Any, have: Any, counts: list[int]) -> None:
    """Count fields the manifest sets that the live object lacks (additions) or holds otherwise (changes)."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            counts[1] += 1
            return
        for key, value in want.items():
            if key not in have:
                counts[0] += 1
            else:
                _compare(value, have[key], counts)
    elif isinstance(want, list):
        if not isinstance(have, list):
            counts[1] += 1
            return
        for index, value in enumerate(want):
            if index >= len(have):
                counts[0] += 1
            else:
                _compare(value, have[index], counts)
        counts[2] += max(0, len(have) - len(want)) if all(not isinstance(v, dict) for v in want) else 0
    elif want != have and str(want) != str(have):
        counts[1] += 1


def detect(client: Client, release: Release, ignore: list[Obj]) -> Drift:
    """Compare every desired object with the cluster; entries sorted as Flux reports them."""
    drift = Drift()
    for obj, namespaced in desired_objects(client, release):
        name = subject(obj, namespaced)
        meta = obj["metadata"]
        live = client.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        if live is not None and (_excluded(live) or _excluded(obj)):
            drift.entries.append(Entry(name, "excluded", obj))
            continue
        if live is None:
            drift.entries.append(Entry(name, "removed", obj))
            continue
        want = copy.deepcopy(obj)
        skip = False
        for rule in ignore:
            if not _matches(rule.get("target"), obj):
                continue
            for pointer in rule.get("paths") or []:
                if pointer in ("", "/"):
                    skip = True
                else:
                    _drop_pointer(want, pointer)
        if skip:
            continue
        want.pop("status", None)
        counts = [0, 0, 0]
        _compare(want, live, counts)
        if any(counts):
            drift.entries.append(Entry(name, "changed", obj, *counts))
    return drift


def correct(client: Client, drift: Drift) -> tuple[list[str], list[str]]:
    """Re-create removed and re-apply changed objects; (successful lines, error lines)."""
    done, errors = [], []
    for entry in sorted(drift.drifted, key=lambda e: (e.desired.get("apiVersion", "").rpartition("/")[0],
                                                      e.desired.get("kind", ""), e.subject)):
        verb = "created" if entry.action == "removed" else "configured"
        try:
            client.apply(entry.desired, field_manager=sdk.field_manager(), force=True)
        except ApiError as err:
            errors.append(f"{entry.subject}: {err}")
            continue
        done.append(f"{entry.subject} {verb}")
    return done, errors
