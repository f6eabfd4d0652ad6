"""End to end on the embedded cluster: registry -> ImageRepository -> ImagePolicy -> ImageUpdateAutomation
-> git -> GitRepository -> Kustomization -> Deployment."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git
import pytest

from engine.image.reconcilers import register_image_reconcilers
from engine.manager import Manager
from workshop.registry import LabRegistry, available_kinds
from workshop.repo import LabRepo

NS = "default"
TEMPLATE = ("Update images\n\n{{ range .Changed.Changes }}- {{ .OldValue }} -> {{ .NewValue }}\n{{ end }}")


def deployment(image: str, policy: str = "default:web") -> str:
    """The `web` Deployment with an image setter marker naming `policy` (namespace:name)."""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: {image} # {{"$imagepolicy": "{policy}"}}
"""


def ready(manager: Manager, kind: str, name: str) -> tuple[str, str, str]:
    obj = manager.get(kind, name, NS) or {}
    cond: dict[str, Any] = next((c for c in (obj.get("status") or {}).get("conditions", []) if c["type"] == "Ready"), {})
    return cond.get("status", ""), cond.get("reason", ""), cond.get("message", "")


def deployed_image(manager: Manager) -> str:
    dep = manager.client.get("apps/v1", "Deployment", "web", NS)
    assert dep is not None
    return str(dep["spec"]["template"]["spec"]["containers"][0]["image"])


@pytest.mark.parametrize("registry_kind", available_kinds()[:1])
def test_new_tag_rolls_out_through_git(embedded_cluster: Any, tmp_path: Path, registry_kind: str) -> None:
    registry = LabRegistry(tmp_path / "registry", kind=registry_kind).start()
    try:
        embedded_cluster.image_available = registry.image_available
        registry.publish("team/web", "1.0.0")
        repo = LabRepo.create(tmp_path / "lab", "fleet")
        repo.write("apps/web.yaml", deployment(registry.image("team/web", "1.0.0")))
        repo.commit("Add web")

        manager = Manager(embedded_cluster.api_client(), storage_dir=tmp_path / "store")
        register_image_reconcilers(manager, commit_date=datetime(2026, 1, 2, tzinfo=UTC), workdir=tmp_path)
        manager.install_crds()
        create = manager.client.create
        create({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": "fleet", "namespace": NS},
                "spec": {"url": repo.url, "interval": "1m", "ref": {"branch": "main"}}})
        create({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": {"name": "apps", "namespace": NS},
                "spec": {"interval": "1m", "path": "./apps", "prune": True,
                         "sourceRef": {"kind": "GitRepository", "name": "fleet"}}})
        create({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageRepository",
                "metadata": {"name": "web", "namespace": NS},
                "spec": {"image": f"{registry.host}/team/web", "interval": "1m"}})
        create({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImagePolicy",
                "metadata": {"name": "web", "namespace": NS},
                "spec": {"imageRepositoryRef": {"name": "web"}, "policy": {"semver": {"range": ">=1.0.0 <2.0.0"}}}})
        create({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
                "metadata": {"name": "auto", "namespace": NS},
                "spec": {"interval": "1m", "sourceRef": {"kind": "GitRepository", "name": "fleet"},
                         "git": {"checkout": {"ref": {"branch": "main"}},
                                 "commit": {"author": {"name": "fluxbot", "email": "fluxbot@example.com"},
                                            "messageTemplate": TEMPLATE},
                                 "push": {"branch": "main"}},
                         "update": {"path": "./apps", "strategy": "Setters"}}})
        manager.sync()
        assert deployed_image(manager) == registry.image("team/web", "1.0.0")
        assert ready(manager, "ImagePolicy", "web")[2] == \
            f"Latest image tag for {registry.host}/team/web resolved to 1.0.0"
        assert ready(manager, "ImageUpdateAutomation", "auto")[:2] == ("True", "Succeeded")
        head_before = git.Repo(repo.remote_path).commit("main").hexsha

        registry.publish("team/web", "1.1.0")
        registry.publish("team/web", "2.0.0-rc.1")
        manager.sync()  # sync(sources=True) rescans the registry, as the scan interval would
        # Flux says "(previously …)" only on the reconcile where the latest tag changed.
        assert ready(manager, "ImagePolicy", "web")[2].endswith(f"(previously {registry.host}/team/web:1.0.0)")
        manager.sync()  # the source sees the pushed commit, the Kustomization applies it

        bare = git.Repo(repo.remote_path)
        commit = bare.commit("main")
        assert commit.parents[0].hexsha == head_before
        old, new = registry.image("team/web", "1.0.0"), registry.image("team/web", "1.1.0")
        assert commit.message == f"Update images\n\n- {old} -> {new}\n"
        assert list(commit.stats.files) == ["apps/web.yaml"]
        assert commit.stats.total["lines"] == 2
        auto = manager.get("ImageUpdateAutomation", "auto", NS) or {}
        assert auto["status"]["lastPushCommit"] == commit.hexsha
        assert deployed_image(manager) == new
        scan = (manager.get("ImageRepository", "web", NS) or {})["status"]["lastScanResult"]
        assert scan["tagCount"] == 3 and scan["latestTags"] == ["2.0.0-rc.1", "1.1.0", "1.0.0"]
    finally:
        registry.stop()


def test_failures_are_conditions_and_leave_git_alone(embedded_cluster: Any, tmp_path: Path) -> None:
    with LabRegistry(kind="embedded") as registry:
        registry.publish("team/web", "1.0.0")
        repo = LabRepo.create(tmp_path / "lab", "fleet")
        repo.write("apps/web.yaml", deployment(registry.image("team/web", "1.0.0")))
        repo.commit("Add web")
        head = git.Repo(repo.remote_path).commit("main").hexsha
        manager = Manager(embedded_cluster.api_client(), storage_dir=tmp_path / "store")
        register_image_reconcilers(manager, workdir=tmp_path)
        manager.install_crds()
        create = manager.client.create
        create({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": "fleet", "namespace": NS},
                "spec": {"url": repo.url, "interval": "1m", "ref": {"branch": "main"}}})
        for name, image in [("dead", "127.0.0.1:1/team/web"), ("scheme", f"http://{registry.host}/team/web"),
                            ("web", f"{registry.host}/team/web")]:
            create({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageRepository",
                    "metadata": {"name": name, "namespace": NS}, "spec": {"image": image, "interval": "1m"}})
        create({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImagePolicy",
                "metadata": {"name": "web", "namespace": NS},
                "spec": {"imageRepositoryRef": {"name": "web"}, "policy": {"semver": {"range": ">=3.0.0"}}}})
        create({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
                "metadata": {"name": "auto", "namespace": NS},
                "spec": {"interval": "1m", "sourceRef": {"kind": "GitRepository", "name": "fleet"},
                         "git": {"commit": {"author": {"email": "fluxbot@example.com"}}, "push": {"branch": "main"},
                                 "checkout": {"ref": {"branch": "main"}}},
                         "update": {"path": "./nowhere"}}})
        manager.sync()
        status, reason, message = ready(manager, "ImageRepository", "dead")
        assert (status, reason) == ("False", "ReadOperationFailed") and "connection refused" in message
        assert ready(manager, "ImageRepository", "scheme")[1:] == (
            "ImageURLInvalid", f"image 'http://{registry.host}/team/web' should not include URL scheme; "
                               "remove 'http://'")
        assert ready(manager, "ImagePolicy", "web") == (
            "False", "Failure", "unable to determine latest version from provided list")
        assert ready(manager, "ImageUpdateAutomation", "auto")[1] == "UpdateFailed"
        assert git.Repo(repo.remote_path).commit("main").hexsha == head
