"""ImageUpdateAutomation clones and pushes with its GitRepository's access (secretRef credentials here), as
image-automation-controller builds its git client from the GitRepository; a failure is SourceManagerFailed."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git

from engine.image.reconcilers import register_image_reconcilers
from engine.manager import Manager
from source.http_servers import git_server
from workshop.registry import LabRegistry, available_kinds

NS = "default"
USER, PASSWORD = "fluxbot", "s3cret"


def _web(image: str) -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n"
            f"    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n"
            f"      containers:\n        - name: web\n          image: {image} # {{\"$imagepolicy\": \"default:web\"}}\n")


def _bare_repo(root: Path, image: str) -> Path:
    bare = root / "fleet.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "config", "http.receivepack", "true"], check=True)
    work = git.Repo.init(root / "work", initial_branch="main")
    (root / "work" / "apps").mkdir()
    (root / "work" / "apps" / "web.yaml").write_text(_web(image))
    work.index.add(["apps/web.yaml"])
    work.index.commit("Add web", author=git.Actor("lab", "lab@example.com"),
                      committer=git.Actor("lab", "lab@example.com"))
    work.git.push(str(bare), "main")
    return bare


def _ready(manager: Manager, kind: str, name: str) -> tuple[str, str, str]:
    obj = manager.get(kind, name, NS) or {}
    cond: dict[str, Any] = next((c for c in (obj.get("status") or {}).get("conditions", []) if c["type"] == "Ready"), {})
    return cond.get("status", ""), cond.get("reason", ""), cond.get("message", "")


def _objects(manager: Manager, registry: LabRegistry, url: str, secret_ref: str) -> None:
    create = manager.client.create
    create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "https-creds", "namespace": NS},
            "data": {"username": base64.b64encode(USER.encode()).decode(),
                     "password": base64.b64encode(PASSWORD.encode()).decode()}})
    create({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "fleet", "namespace": NS},
            "spec": {"url": url, "interval": "1m", "ref": {"branch": "main"}, "secretRef": {"name": secret_ref}}})
    create({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageRepository",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {"image": f"{registry.host}/team/web", "interval": "1m"}})
    create({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImagePolicy", "metadata": {"name": "web", "namespace": NS},
            "spec": {"imageRepositoryRef": {"name": "web"}, "policy": {"semver": {"range": ">=1.0.0"}}}})
    create({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
            "metadata": {"name": "auto", "namespace": NS},
            "spec": {"interval": "1m", "sourceRef": {"kind": "GitRepository", "name": "fleet"},
                     "git": {"checkout": {"ref": {"branch": "main"}}, "push": {"branch": "main"},
                             "commit": {"author": {"name": "fluxbot", "email": "fluxbot@example.com"}}},
                     "update": {"path": "./apps", "strategy": "Setters"}}})


@contextmanager
def _lab(cluster: Any, tmp: Path, secret_ref: str, tags: tuple[str, ...]) -> Iterator[tuple[Manager, Any, Path, str]]:
    """A registry with `tags` of team/web, an authenticated git server with fleet.git (web at the first tag)
    and the image automation objects; yields (manager, server, bare repository, image of the last tag)."""
    registry = LabRegistry(tmp / "registry", kind=available_kinds()[0]).start()
    try:
        for tag in tags:
            registry.publish("team/web", tag)
        bare = _bare_repo(tmp / "git", registry.image("team/web", tags[0]))
        with git_server(tmp / "git", basic_auth=(USER, PASSWORD)) as server:
            manager = Manager(cluster.api_client(), storage_dir=tmp / "store")
            register_image_reconcilers(manager, commit_date=datetime(2026, 1, 2, tzinfo=UTC), workdir=tmp)
            manager.install_crds()
            _objects(manager, registry, server.url("fleet"), secret_ref)
            yield manager, server, bare, registry.image("team/web", tags[-1])
    finally:
        registry.stop()


def test_the_automation_pushes_with_the_git_repositorys_credentials(embedded_cluster: Any, tmp_path: Path) -> None:
    with _lab(embedded_cluster, tmp_path, "https-creds", ("1.0.0", "1.1.0")) as (manager, server, bare, latest):
        manager.sync()
        manager.sync()
        assert _ready(manager, "ImageUpdateAutomation", "auto")[:2] == ("True", "Succeeded")
        head = git.Repo(bare).commit("main")
        assert head.author.name == "fluxbot"
        assert latest in head.tree["apps/web.yaml"].data_stream.read().decode()
        assert ("POST", "/fleet.git/git-receive-pack") in server.requests  # pushed over HTTP, authenticated


def test_a_missing_credentials_secret_is_source_manager_failed(embedded_cluster: Any, tmp_path: Path) -> None:
    with _lab(embedded_cluster, tmp_path, "missing", ("1.0.0",)) as (manager, server, _, _):
        manager.sync()
        status, reason, message = _ready(manager, "ImageUpdateAutomation", "auto")
        assert (status, reason) == ("False", "SourceManagerFailed")
        assert message.startswith("failed configuring source manager: ") and "'default/missing'" in message
        assert not any(path.endswith("git-receive-pack") for _, path in server.requests)
