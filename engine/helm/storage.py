"""Helm's release storage read (and, for unlock, rewritten) the way Helm's Secret driver keeps it.

One Secret per revision, `sh.helm.release.v1.<release>.v<N>`, type `helm.sh/release.v1`, labels `name`,
`owner=helm`, `status`, `version`; data key `release` = base64(gzip(JSON of the release)).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import yaml

from engine.client import Client
from engine.jsonobj import Obj

SECRET_TYPE = "helm.sh/release.v1"
STATUS_DEPLOYED = "deployed"
STATUS_FAILED = "failed"
STATUS_SUPERSEDED = "superseded"
STATUS_UNINSTALLED = "uninstalled"
STATUS_UNINSTALLING = "uninstalling"
PENDING = ("pending-install", "pending-upgrade", "pending-rollback")
HOOK_TEST = "test"


def secret_name(release: str, version: int) -> str:
    return f"sh.helm.release.v1.{release}.v{version}"


def decode(data: str) -> Obj:
    """The release JSON inside a Secret's `data.release` (base64 of base64 of gzip)."""
    raw = base64.b64decode(base64.b64decode(data))
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def encode(release: Obj) -> str:
    """The inverse of `decode`, as Helm writes it (gzip at best compression)."""
    packed = gzip.compress(json.dumps(release, separators=(",", ":")).encode(), compresslevel=9, mtime=0)
    return base64.b64encode(base64.b64encode(packed)).decode()


@dataclass
class Release:
    """One stored revision of a Helm release."""

    data: Obj
    secret: Obj

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.data.get("namespace", ""))

    @property
    def version(self) -> int:
        return int(self.data.get("version", 0))

    @property
    def info(self) -> Obj:
        return self.data.get("info") or {}

    @property
    def status(self) -> str:
        return str(self.info.get("status", "unknown"))

    @property
    def chart_metadata(self) -> Obj:
        return (self.data.get("chart") or {}).get("metadata") or {}

    @property
    def chart_name(self) -> str:
        return str(self.chart_metadata.get("name", ""))

    @property
    def chart_version(self) -> str:
        return str(self.chart_metadata.get("version", ""))

    @property
    def app_version(self) -> str:
        return str(self.chart_metadata.get("appVersion", "") or "")

    @property
    def config(self) -> Obj:
        return self.data.get("config") or {}

    @property
    def manifest(self) -> str:
        return str(self.data.get("manifest", ""))

    @property
    def hooks(self) -> list[Obj]:
        return list(self.data.get("hooks") or [])

    @property
    def test_hooks(self) -> list[Obj]:
        return [h for h in self.hooks if HOOK_TEST in (h.get("events") or [])]

    @property
    def full_name(self) -> str:
        """`<ns>/<name>.v<N>` as Flux's messages name a release revision."""
        return f"{self.namespace}/{self.name}.v{self.version}"

    @property
    def digest(self) -> str:
        """Tamper detection: sha256 of the stored release's identity, info, chart metadata, config,
        manifest, non-test hooks and namespace (Flux's snapshot digest, in the kit's stable encoding)."""
        hooks = [h for h in self.hooks if HOOK_TEST not in (h.get("events") or [])]
        doc = {"name": self.name, "version": self.version, "info": self.info, "chart": self.chart_metadata,
               "config": self.config, "manifest": self.manifest, "hooks": hooks, "namespace": self.namespace}
        return "sha256:" + hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    def objects(self) -> list[Obj]:
        """The manifest's objects (hooks excluded), in manifest order."""
        return [d for d in yaml.safe_load_all(self.manifest) if isinstance(d, dict) and d.get("kind")]


def history(client: Client, namespace: str, release: str) -> list[Release]:
    """Every stored revision of a release, newest first."""
    secrets = client.list("v1", "Secret", namespace, label_selector=f"name={release},owner=helm")
    releases = [Release(decode((s.get("data") or {}).get("release", "")), s) for s in secrets
                if (s.get("data") or {}).get("release")]
    return sorted(releases, key=lambda r: r.version, reverse=True)


def latest(client: Client, namespace: str, release: str) -> Release | None:
    """The highest revision in storage, or None."""
    found = history(client, namespace, release)
    return found[0] if found else None


def get(client: Client, namespace: str, release: str, version: int) -> Release | None:
    secret = client.get("v1", "Secret", secret_name(release, version), namespace)
    if not secret or not (secret.get("data") or {}).get("release"):
        return None
    return Release(decode(secret["data"]["release"]), secret)


def rewrite_status(client: Client, release: Release, status: str, description: str) -> Release:
    """Rewrite one stored revision's status in place (what Flux's unlock does to a stale pending release)."""
    data = json.loads(json.dumps(release.data))
    data["info"]["status"] = status
    data["info"]["description"] = description
    secret = json.loads(json.dumps(release.secret))
    secret["data"]["release"] = encode(data)
    secret["metadata"].setdefault("labels", {})["status"] = status
    updated = client.replace(secret)
    return Release(data, updated)


def config_digest(values: Obj | None) -> str:
    """`sha256:` of the values as YAML with keys sorted recursively (Flux's chartutil.DigestValues)."""
    text = yaml.safe_dump(values, sort_keys=True, default_flow_style=False) if values else ""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _copy(secret: Obj, namespace: str) -> Obj:
    meta = secret.get("metadata") or {}
    return {"apiVersion": "v1", "kind": "Secret", "type": secret.get("type", SECRET_TYPE),
            "metadata": {"name": meta.get("name", ""), "namespace": namespace, "labels": dict(meta.get("labels") or {})},
            "data": dict(secret.get("data") or {})}


def _secrets(client: Client, namespace: str, release: str) -> dict[str, Obj]:
    found = client.list("v1", "Secret", namespace, label_selector=f"name={release},owner=helm")
    return {s["metadata"]["name"]: s for s in found}


@contextmanager
def staged(client: Client, storage_namespace: str, release_namespace: str, release: str) -> Iterator[None]:
    """Helm's storage in `storage_namespace` while Helm's SDK works in `release_namespace`.

    The SDK keeps a release's Secrets where its objects go; Flux keeps them in the HelmRelease's namespace when
    `targetNamespace` points elsewhere. Around an SDK session the kit copies the storage Secrets next to the
    release (copies already there win: they are what an interrupted session wrote), and afterwards moves them all
    back, so between reconciles the release lives where Flux and `helm list -n <storage ns>` expect it."""
    if storage_namespace == release_namespace:
        yield
        return
    there = _secrets(client, release_namespace, release)
    for name, secret in _secrets(client, storage_namespace, release).items():
        if name not in there:
            client.create(_copy(secret, release_namespace))
    try:
        yield
    finally:
        worked = _secrets(client, release_namespace, release)
        stored = _secrets(client, storage_namespace, release)
        for name, secret in worked.items():
            copy = _copy(secret, storage_namespace)
            if name in stored:
                copy["metadata"]["resourceVersion"] = stored[name]["metadata"].get("resourceVersion")
                client.replace(copy)
            else:
                client.create(copy)
        for name in stored:
            if name not in worked:
                client.delete("v1", "Secret", name, storage_namespace)
        for name in worked:
            client.delete("v1", "Secret", name, release_namespace)
