"""A learner's story in code: a lab git repo, a GitRepository and Kustomizations, `manager.sync()`.

Every story owns its namespaces, named from the test id, so the same scenarios run on a fresh embedded
cluster and on the shared kind cluster: `ns` holds the Flux objects (flux-system on a real cluster) and
`apps` the objects they apply. The manifest helpers put objects in `apps` unless told otherwise.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.api import conditions
from engine.api.types import GitRepository, Kustomization
from engine.manager import Manager, SyncReport, new_manager
from workshop.repo import LabRepo
from workshop.testing import LabNamespaces

Obj = dict[str, Any]
SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
READY_IMAGE = "registry.k8s.io/pause:3.10"  # preloaded on kind nodes: pods become Ready without a registry
CORE_APIS = {"Deployment": "apps/v1", "Namespace": "v1", "ConfigMap": "v1", "Service": "v1", "Secret": "v1"}


def deployment(name: str, image: str = "nginx:1.27", replicas: int = 1, namespace: str | None = None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}{{ns}}
        spec:
          replicas: {replicas}
          selector:
            matchLabels:
              app: {name}
          template:
            metadata:
              labels:
                app: {name}
            spec:
              containers:
              - name: app
                image: {image}
        """).replace("{ns}", ns)


def configmap(name: str, data: dict[str, str] | None = None, namespace: str | None = None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    body = "".join(f"\n  {k}: {v!r}" for k, v in (data or {"key": "value"}).items())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}{ns}\ndata:{body}\n"


def namespace(name: str) -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"


class Story:
    """Everything a test needs: `repo` (lab remote + clone), `manager`, `client`, helpers to read results."""

    def __init__(self, cluster: Any, tmp_path: Path, namespaces: LabNamespaces | None = None) -> None:
        """Without `namespaces` everything lives in `default`: only for a cluster the story has to itself."""
        self.cluster = cluster
        self.tmp_path = tmp_path
        self.namespaces = namespaces
        self.ns = namespaces.create() if namespaces else "default"
        self.apps = namespaces.create("apps") if namespaces else "default"
        self.repo = LabRepo.create(tmp_path / "git")
        self.storage_dir = tmp_path / "artifacts"
        self.manager = self.new_manager()
        self.manager.install_crds()
        self.client = self.manager.client

    def new_manager(self) -> Manager:
        """A fresh manager (as after a restart): no memory besides what is in the cluster."""
        return new_manager(self.cluster.api_client(), storage_dir=self.storage_dir,
                           watch_namespace=self.ns if self.namespaces else None)

    def namespace(self, suffix: str) -> str:
        """The name of a further namespace of this story (deleted afterwards; created by whoever needs it)."""
        return self.namespaces.name(suffix) if self.namespaces else suffix

    def close(self) -> None:
        """Remove this story's Flux objects without running their finalizers (their namespaces go next)."""
        self.manager.stop()
        for reconciler in reversed(list(self.manager.reconcilers.values())):
            info = reconciler.kind
            for obj in self.manager.list(info.kind, self.ns):
                name = obj["metadata"]["name"]
                if obj["metadata"].get("finalizers"):
                    self.client.merge_patch(info.api_version, info.kind, name, self.ns,
                                            {"metadata": {"finalizers": None}})
                self.client.delete(info.api_version, info.kind, name, self.ns)

    # -- manifests in this story's namespaces ------------------------------------------------------
    def configmap(self, name: str, data: dict[str, str] | None = None, namespace: str | None = None) -> str:
        return configmap(name, data, namespace or self.apps)

    def deployment(self, name: str, image: str = "nginx:1.27", replicas: int = 1,
                   namespace: str | None = None) -> str:
        return deployment(name, image, replicas, namespace or self.apps)

    # -- git ---------------------------------------------------------------------------------------
    def commit(self, message: str, files: Mapping[str, str | None]) -> str:
        for path, text in files.items():
            if text is None:
                self.repo.remove(path)
            else:
                self.repo.write(path, text)
        sha = self.repo.commit(message)
        assert sha is not None, "nothing to commit"
        return sha

    # -- Flux objects ----------------------------------------------------------------------------
    def git_repository(self, name: str = "fleet", **spec: Any) -> Obj:
        body = {"url": self.repo.url, "interval": "5m", "ref": {"branch": "main"}, **spec}
        return self.client.create({"apiVersion": SOURCE_API, "kind": "GitRepository",
                                   "metadata": {"name": name, "namespace": self.ns}, "spec": body})

    def kustomization(self, name: str, path: str = "./", *, source: str = "fleet", **spec: Any) -> Obj:
        body = {"sourceRef": {"kind": "GitRepository", "name": source}, "interval": "5m", "path": path,
                "prune": True, **spec}
        return self.client.create({"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
                                   "metadata": {"name": name, "namespace": self.ns}, "spec": body})

    def patch_spec(self, kind: str, name: str, spec: Obj) -> Obj:
        api = SOURCE_API if kind == "GitRepository" else KUSTOMIZE_API
        return self.client.merge_patch(api, kind, name, self.ns, {"spec": spec})

    def delete(self, kind: str, name: str) -> None:
        """Delete a Flux object of this story (its finalizer runs at the next sync)."""
        api = SOURCE_API if kind == "GitRepository" else KUSTOMIZE_API
        self.client.delete(api, kind, name, self.ns)

    # -- running and reading ---------------------------------------------------------------------
    def sync(self, **kwargs: Any) -> SyncReport:
        return self.manager.sync(timeout=60, **kwargs)

    def ks(self, name: str) -> Kustomization:
        obj = self.client.get(KUSTOMIZE_API, "Kustomization", name, self.ns)
        assert obj is not None
        return Kustomization(obj)

    def gitrepo(self, name: str = "fleet") -> GitRepository:
        obj = self.client.get(SOURCE_API, "GitRepository", name, self.ns)
        assert obj is not None
        return GitRepository(obj)

    def condition(self, name: str, type_: str) -> Obj:
        """The Kustomization's condition of that type, which must be set."""
        cond = self.ks(name).condition(type_)
        assert cond is not None, f"Kustomization {name} has no {type_} condition"
        return cond

    def artifact(self, name: str = "fleet") -> Obj:
        """The GitRepository's artifact, which must be stored."""
        artifact = self.gitrepo(name).artifact
        assert artifact is not None, f"GitRepository {name} has no artifact"
        return artifact

    def exists(self, kind: str, name: str) -> bool:
        api = SOURCE_API if kind == "GitRepository" else KUSTOMIZE_API
        return self.client.get(api, kind, name, self.ns) is not None

    def ready(self, kind: str, name: str) -> tuple[str, str, str]:
        view = self.ks(name) if kind == "Kustomization" else self.gitrepo(name)
        return conditions.summary(view.obj)

    def inventory(self, name: str, manager: Manager | None = None) -> list[str]:
        return (manager or self.manager).inventory(name, self.ns)

    def change_set(self, name: str) -> str:
        return self.manager.last_change_set(name, self.ns)

    def get(self, kind: str, name: str, namespace: str | None = None, api_version: str | None = None) -> Obj | None:
        """A live object; namespaced kinds are looked up in `apps` unless `namespace` says otherwise."""
        api = api_version or CORE_APIS[kind]
        return self.client.get(api, kind, name, None if kind == "Namespace" else namespace or self.apps)

    def obj(self, kind: str, name: str, namespace: str | None = None) -> Obj:
        """The live object, which must exist (same lookup as `get`)."""
        live = self.get(kind, name, namespace)
        assert live is not None, f"{kind} {name} not found"
        return live

    def events(self, kind: str | None = None, name: str | None = None) -> list[tuple[str, str, str]]:
        return [(e["type"], e["reason"], e["message"])
                for e in self.manager.events(kind=kind, name=name, namespace=self.ns)]


@contextmanager
def open_story(cluster: Any, tmp_path: Path, namespaces: LabNamespaces) -> Iterator[Story]:
    """A story on `cluster` in the test's own namespaces; its Flux objects are removed afterwards."""
    story = Story(cluster, tmp_path, namespaces)
    try:
        yield story
    finally:
        story.close()
