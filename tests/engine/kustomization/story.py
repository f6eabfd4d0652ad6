"""A learner's story in code: a lab git repo, a GitRepository and Kustomizations, `manager.sync()`."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from engine.api import conditions
from engine.api.types import GitRepository, Kustomization
from engine.manager import Manager, SyncReport
from workshop.repo import LabRepo

Obj = dict[str, Any]
SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"


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


class Story:
    """Everything a test needs: `repo` (lab remote + clone), `manager`, `client`, helpers to read results."""

    def __init__(self, cluster: Any, tmp_path: Path) -> None:
        self.cluster = cluster
        self.tmp_path = tmp_path
        self.repo = LabRepo.create(tmp_path / "git")
        self.storage_dir = tmp_path / "artifacts"
        self.manager = self.new_manager()
        self.manager.install_crds()
        self.client = self.manager.client

    def new_manager(self) -> Manager:
        """A fresh manager (as after a restart): no memory besides what is in the cluster."""
        return Manager(self.cluster.api_client(), storage_dir=self.storage_dir, health_poll=0.05)

    # -- git ---------------------------------------------------------------------------------------
    def commit(self, message: str, files: dict[str, str | None]) -> str:
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
                                   "metadata": {"name": name, "namespace": "default"}, "spec": body})

    def kustomization(self, name: str, path: str = "./", *, source: str = "fleet", **spec: Any) -> Obj:
        body = {"sourceRef": {"kind": "GitRepository", "name": source}, "interval": "5m", "path": path,
                "prune": True, **spec}
        return self.client.create({"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
                                   "metadata": {"name": name, "namespace": "default"}, "spec": body})

    def patch_spec(self, kind: str, name: str, spec: Obj) -> Obj:
        api = SOURCE_API if kind == "GitRepository" else KUSTOMIZE_API
        return self.client.merge_patch(api, kind, name, "default", {"spec": spec})

    # -- running and reading ---------------------------------------------------------------------
    def sync(self, **kwargs: Any) -> SyncReport:
        return self.manager.sync(timeout=60, **kwargs)

    def ks(self, name: str) -> Kustomization:
        obj = self.client.get(KUSTOMIZE_API, "Kustomization", name, "default")
        assert obj is not None
        return Kustomization(obj)

    def gitrepo(self, name: str = "fleet") -> GitRepository:
        obj = self.client.get(SOURCE_API, "GitRepository", name, "default")
        assert obj is not None
        return GitRepository(obj)

    def ready(self, kind: str, name: str) -> tuple[str, str, str]:
        view = self.ks(name) if kind == "Kustomization" else self.gitrepo(name)
        return conditions.summary(view.obj)

    def get(self, kind: str, name: str, namespace: str | None = "default", api_version: str | None = None) -> Obj | None:
        api = api_version or {"Deployment": "apps/v1", "Namespace": "v1", "ConfigMap": "v1", "Service": "v1",
                              "Secret": "v1"}[kind]
        return self.client.get(api, kind, name, namespace if kind != "Namespace" else None)

    def events(self, kind: str | None = None, name: str | None = None) -> list[tuple[str, str, str]]:
        return [(e["type"], e["reason"], e["message"]) for e in self.manager.events(kind=kind, name=name)]
