"""The sample gitops/ tree: it builds (like kubectl kustomize), validates strictly, and the copy-to-enable flow works."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from engine.client import ApiError
from engine.kustomize import build, render
from tests.engine.kustomization.story import Story

GITOPS = Path(__file__).resolve().parents[2] / "gitops"
KUSTOMIZATIONS = sorted(p.parent.relative_to(GITOPS).as_posix() for p in GITOPS.rglob("kustomization.yaml"))
KUBECTL = shutil.which("kubectl")


def test_the_tree_has_the_expected_kustomizations() -> None:
    assert KUSTOMIZATIONS == ["base/backend", "base/frontend", "base/postgres", "disabled/nanomon", "disabled/postgres"]
    assert not (GITOPS / "apps" / "kustomization.yaml").exists(), "apps/ must stay a plain directory"


@pytest.mark.parametrize("path", KUSTOMIZATIONS)
def test_builds_and_pins_images(path: str) -> None:
    objs = build(GITOPS / path)
    assert objs
    for obj in objs:
        for container in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            image = container["image"]
            if path.startswith("disabled/"):
                assert ":" in image and not image.endswith(":latest"), f"{path}: {image} is not pinned"
                assert "placeholder" not in image


@pytest.mark.skipif(KUBECTL is None, reason="kubectl (with kustomize v5) is not installed: no oracle to compare with")
@pytest.mark.parametrize("path", KUSTOMIZATIONS)
def test_builds_exactly_like_kubectl(path: str) -> None:
    expected = subprocess.run([KUBECTL, "kustomize", str(GITOPS / path)], capture_output=True, text=True,
                              check=True, timeout=60).stdout
    assert render(build(GITOPS / path)) == expected


def test_every_object_passes_strict_server_side_dry_run(embedded_cluster: Any) -> None:
    from engine.client import APPLY_PATCH, Client

    client = Client(embedded_cluster.api_client())
    objs = [obj for path in KUSTOMIZATIONS if path.startswith("disabled/") for obj in build(GITOPS / path)]
    objs += build_plain(GITOPS / "apps")
    for obj in objs:
        meta = obj["metadata"]
        res = client.resource(obj["apiVersion"], obj["kind"])
        client.request("PATCH", res.path(meta.get("namespace"), meta["name"]), body=obj, content_type=APPLY_PATCH,
                       query=[("fieldManager", "dry-run"), ("dryRun", "All"), ("fieldValidation", "Strict")])


def test_a_stray_field_is_rejected_by_the_dry_run(embedded_cluster: Any) -> None:
    from engine.client import APPLY_PATCH, Client

    client = Client(embedded_cluster.api_client())
    [ingress] = [o for o in build(GITOPS / "base/frontend") if o["kind"] == "Ingress"]
    ingress["spec"]["host"] = None
    res = client.resource(ingress["apiVersion"], ingress["kind"])
    with pytest.raises(ApiError, match="host"):
        client.request("PATCH", res.path("default", "nanomon"), body=ingress, content_type=APPLY_PATCH,
                       query=[("fieldManager", "dry-run"), ("dryRun", "All"), ("fieldValidation", "Strict")])


def build_plain(folder: Path) -> list[dict]:
    from engine.kustomize.yamlio import load_documents

    return [doc for f in sorted(folder.glob("*.yaml")) for doc in load_documents(f.read_text(), source=str(f))]


@pytest.fixture
def lab(embedded_cluster: Any, tmp_path: Path) -> Story:
    story = Story(embedded_cluster, tmp_path)
    story.repo.copy_in(GITOPS, "gitops")
    story.repo.commit("Add the sample gitops tree")
    story.client.create({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                         "metadata": {"name": "database-creds", "namespace": "default"},
                         "stringData": {"password": "lab-only-password"}})
    story.git_repository()
    story.kustomization("apps", "./gitops/apps", wait=True, timeout="2m")
    return story


def ready_replicas(story: Story, api: str, kind: str, name: str) -> int:
    obj = story.client.get(api, kind, name, "default")
    assert obj is not None, f"{kind}/{name} was not applied"
    return int(obj.get("status", {}).get("readyReplicas", 0))


def test_enable_postgres_then_nanomon_then_disable(lab: Story) -> None:
    lab.sync()
    assert lab.ready("Kustomization", "apps")[0] == "True"
    assert lab.get("Namespace", "hello-world") is not None

    lab.repo.copy("gitops/disabled/postgres", "gitops/apps/postgres")
    lab.repo.commit("Enable postgres")
    lab.sync()
    status, _reason, message = lab.ready("Kustomization", "apps")
    assert status == "True", message
    assert ready_replicas(lab, "apps/v1", "StatefulSet", "postgres") == 1
    pvc = lab.client.get("v1", "PersistentVolumeClaim", "postgres-pvc-postgres-0", "default")
    assert pvc is not None and pvc["status"]["phase"] == "Bound"
    sts = lab.client.get("apps/v1", "StatefulSet", "postgres", "default")
    volumes = {v["name"]: v for v in sts["spec"]["template"]["spec"]["volumes"]}
    assert volumes["initdb-vol"]["configMap"]["name"].startswith("nanomon-sql-init-")

    lab.repo.copy("gitops/disabled/nanomon", "gitops/apps/nanomon")
    lab.repo.commit("Enable nanomon")
    lab.sync()
    status, _reason, message = lab.ready("Kustomization", "apps")
    assert status == "True", message
    assert ready_replicas(lab, "apps/v1", "Deployment", "nanomon-api") == 2
    assert ready_replicas(lab, "apps/v1", "Deployment", "nanomon-frontend") == 1
    assert ready_replicas(lab, "apps/v1", "Deployment", "nanomon-runner") == 1

    lab.repo.remove("gitops/apps/nanomon")
    lab.repo.remove("gitops/apps/postgres")
    lab.repo.commit("Disable nanomon and postgres")
    lab.sync()
    assert lab.ready("Kustomization", "apps")[0] == "True"
    for kind, api, name in [("Deployment", "apps/v1", "nanomon-api"), ("StatefulSet", "apps/v1", "postgres"),
                            ("Service", "v1", "database"), ("Ingress", "networking.k8s.io/v1", "nanomon")]:
        assert lab.client.get(api, kind, name, "default") is None, f"{kind}/{name} was not pruned"
    assert lab.get("Namespace", "hello-world") is not None
