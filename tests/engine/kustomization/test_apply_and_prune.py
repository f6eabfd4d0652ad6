"""Kustomization stories: plain directories are applied, changed, pruned; status and events as Flux writes them."""

from __future__ import annotations

from kustomization.story import Story, configmap, deployment

OWNER = {"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "default"}


def test_plain_directory_is_applied_with_inventory_and_events(story: Story) -> None:
    sha = story.commit("Add web", {"apps/web.yaml": deployment("web"), "apps/config/cm.yaml": configmap("web-config"),
                                   "apps/README.md": "not yaml"})
    story.git_repository()
    story.kustomization("apps", "./apps", wait=True)
    report = story.sync()
    assert report.ok, str(report)
    revision = f"main@sha1:{sha}"
    ks = story.ks("apps")
    assert story.ready("Kustomization", "apps") == ("True", "ReconciliationSucceeded", f"Applied revision: {revision}")
    assert ks.last_applied_revision == revision and ks.last_attempted_revision == revision
    assert ks.inventory == [{"id": "default_web-config__ConfigMap", "v": "v1"},
                            {"id": "default_web_apps_Deployment", "v": "v1"}]
    assert story.manager.inventory("apps") == ["ConfigMap/default/web-config", "Deployment/default/web"]
    conds = {c["type"]: c for c in ks.status["conditions"]}
    assert conds["Healthy"]["status"] == "True" and conds["Healthy"]["message"].startswith("Health check passed in ")
    assert "Reconciling" not in conds and ks.status["observedGeneration"] == 1
    web = story.get("Deployment", "web")
    assert web is not None and OWNER.items() <= web["metadata"]["labels"].items()
    events = story.events("Kustomization", "apps")
    assert ("Normal", "Progressing", "ConfigMap/default/web-config created\nDeployment/default/web created") in events
    finished = [m for t, r, m in events if r == "ReconciliationSucceeded"]
    assert finished and finished[0].startswith("Reconciliation finished in ") and finished[0].endswith(", next run in 5m0s")
    assert story.manager.last_change_set("apps") == \
        "ConfigMap/default/web-config created\nDeployment/default/web created"


def test_no_op_resync_and_a_changed_commit(story: Story) -> None:
    story.commit("Add web", {"apps/web.yaml": deployment("web"), "apps/cm.yaml": configmap("cfg")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    uid = story.get("Deployment", "web")["metadata"]["uid"]
    story.sync(drift=True)
    assert story.manager.last_change_set("apps") == "ConfigMap/default/cfg unchanged\nDeployment/default/web unchanged"
    sha = story.commit("Bump image", {"apps/web.yaml": deployment("web", image="nginx:1.28")})
    story.sync()
    assert story.manager.last_change_set("apps") == "ConfigMap/default/cfg unchanged\nDeployment/default/web configured"
    web = story.get("Deployment", "web")
    assert web["metadata"]["uid"] == uid
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert story.ks("apps").last_applied_revision == f"main@sha1:{sha}"
    assert ("Normal", "Progressing", "Deployment/default/web configured") in story.events("Kustomization", "apps")


def test_removed_and_renamed_objects_are_pruned(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": configmap("a"), "apps/b.yaml": configmap("b"),
                         "apps/keep.yaml": configmap("keep").replace(
                             "metadata:\n", "metadata:\n  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    story.commit("Rename a to a2, drop b and keep", {"apps/a.yaml": configmap("a2"), "apps/b.yaml": None,
                                                     "apps/keep.yaml": None})
    story.sync()
    assert story.get("ConfigMap", "a") is None and story.get("ConfigMap", "b") is None
    assert story.get("ConfigMap", "a2") is not None
    assert story.get("ConfigMap", "keep") is not None  # prune: disabled
    assert story.manager.inventory("apps") == ["ConfigMap/default/a2"]
    events = story.events("Kustomization", "apps")
    assert ("Normal", "Progressing", "ConfigMap/default/keep skipped\nConfigMap/default/b deleted\n"
            "ConfigMap/default/a deleted") in events or any(
        r == "Progressing" and "ConfigMap/default/a deleted" in m and "ConfigMap/default/b deleted" in m
        for _, r, m in events)


def test_prune_false_keeps_stale_objects(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps", prune=False)
    story.sync()
    story.commit("Drop a", {"apps/a.yaml": None, "apps/b.yaml": configmap("b")})
    story.sync()
    assert story.get("ConfigMap", "a") is not None
    assert story.manager.inventory("apps") == ["ConfigMap/default/b"]


def test_empty_directory_prunes_everything(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": configmap("a"), "apps/notes.txt": "x"})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    story.commit("Remove all YAML", {"apps/a.yaml": None})
    story.sync()
    assert story.get("ConfigMap", "a") is None
    assert story.ks("apps").inventory == []
    assert story.ready("Kustomization", "apps")[1] == "ReconciliationSucceeded"


def test_namespaces_are_applied_before_their_contents(story: Story) -> None:
    story.commit("Add", {"apps/web.yaml": configmap("cfg", namespace="team"),
                         "apps/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n"})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    assert story.manager.last_change_set("apps") == "Namespace/team created\nConfigMap/team/cfg created"
    assert story.ks("apps").inventory[0] == {"id": "_team__Namespace", "v": "v1"}


def test_manual_drift_is_reverted(story: Story) -> None:
    story.commit("Add", {"apps/web.yaml": deployment("web", replicas=2), "apps/cm.yaml": configmap("cfg")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    story.client.merge_patch("apps/v1", "Deployment", "web", "default", {"spec": {"replicas": 5}},
                             field_manager="kubectl-edit")
    story.client.merge_patch("v1", "ConfigMap", "cfg", "default", {"data": {"key": "edited"}},
                             field_manager="kubectl-edit")
    story.sync(drift=True)
    assert story.get("Deployment", "web")["spec"]["replicas"] == 2
    assert story.get("ConfigMap", "cfg")["data"]["key"] == "value"
    assert story.manager.last_change_set("apps") == "ConfigMap/default/cfg configured\nDeployment/default/web configured"
