"""Kustomization stories: plain directories are applied, changed, pruned; status and events as Flux writes them."""

from __future__ import annotations

from kustomization.story import READY_IMAGE, Story, configmap, namespace


def test_plain_directory_is_applied_with_inventory_and_events(story: Story) -> None:
    apps = story.apps
    sha = story.commit("Add web", {"apps/web.yaml": story.deployment("web", image=READY_IMAGE),
                                   "apps/config/cm.yaml": story.configmap("web-config"), "apps/README.md": "not yaml"})
    story.git_repository()
    story.kustomization("apps", "./apps", wait=True)
    report = story.sync()
    assert report.ok, str(report)
    revision = f"main@sha1:{sha}"
    ks = story.ks("apps")
    assert story.ready("Kustomization", "apps") == ("True", "ReconciliationSucceeded", f"Applied revision: {revision}")
    assert ks.last_applied_revision == revision and ks.last_attempted_revision == revision
    assert ks.inventory == [{"id": f"{apps}_web-config__ConfigMap", "v": "v1"},
                            {"id": f"{apps}_web_apps_Deployment", "v": "v1"}]
    assert story.inventory("apps") == [f"ConfigMap/{apps}/web-config", f"Deployment/{apps}/web"]
    conds = {c["type"]: c for c in ks.status["conditions"]}
    assert conds["Healthy"]["status"] == "True" and conds["Healthy"]["message"].startswith("Health check passed in ")
    assert "Reconciling" not in conds and ks.status["observedGeneration"] == 1
    web = story.get("Deployment", "web")
    owner = {"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": story.ns}
    assert web is not None and owner.items() <= web["metadata"]["labels"].items()
    created = f"ConfigMap/{apps}/web-config created\nDeployment/{apps}/web created"
    events = story.events("Kustomization", "apps")
    assert ("Normal", "Progressing", created) in events
    finished = [m for t, r, m in events if r == "ReconciliationSucceeded"]
    assert finished and finished[0].startswith("Reconciliation finished in ") and finished[0].endswith(", next run in 5m0s")
    assert story.change_set("apps") == created


def test_no_op_resync_and_a_changed_commit(story: Story) -> None:
    apps = story.apps
    story.commit("Add web", {"apps/web.yaml": story.deployment("web"), "apps/cm.yaml": story.configmap("cfg")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    uid = story.obj("Deployment", "web")["metadata"]["uid"]
    story.sync(drift=True)
    assert story.change_set("apps") == f"ConfigMap/{apps}/cfg unchanged\nDeployment/{apps}/web unchanged"
    sha = story.commit("Bump image", {"apps/web.yaml": story.deployment("web", image="nginx:1.28")})
    story.sync()
    assert story.change_set("apps") == f"ConfigMap/{apps}/cfg unchanged\nDeployment/{apps}/web configured"
    web = story.obj("Deployment", "web")
    assert web["metadata"]["uid"] == uid
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert story.ks("apps").last_applied_revision == f"main@sha1:{sha}"
    assert ("Normal", "Progressing", f"Deployment/{apps}/web configured") in story.events("Kustomization", "apps")


def test_removed_and_renamed_objects_are_pruned(story: Story) -> None:
    apps = story.apps
    story.commit("Add", {"apps/a.yaml": story.configmap("a"), "apps/b.yaml": story.configmap("b"),
                         "apps/keep.yaml": story.configmap("keep").replace(
                             "metadata:\n", "metadata:\n  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    story.commit("Rename a to a2, drop b and keep", {"apps/a.yaml": story.configmap("a2"), "apps/b.yaml": None,
                                                     "apps/keep.yaml": None})
    story.sync()
    assert story.get("ConfigMap", "a") is None and story.get("ConfigMap", "b") is None
    assert story.get("ConfigMap", "a2") is not None
    assert story.get("ConfigMap", "keep") is not None  # prune: disabled
    assert story.inventory("apps") == [f"ConfigMap/{apps}/a2"]
    events = story.events("Kustomization", "apps")
    assert ("Normal", "Progressing", f"ConfigMap/{apps}/keep skipped\nConfigMap/{apps}/b deleted\n"
            f"ConfigMap/{apps}/a deleted") in events or any(
        r == "Progressing" and f"ConfigMap/{apps}/a deleted" in m and f"ConfigMap/{apps}/b deleted" in m
        for _, r, m in events)


def test_prune_false_keeps_stale_objects(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps", prune=False)
    story.sync()
    story.commit("Drop a", {"apps/a.yaml": None, "apps/b.yaml": story.configmap("b")})
    story.sync()
    assert story.get("ConfigMap", "a") is not None
    assert story.inventory("apps") == [f"ConfigMap/{story.apps}/b"]


def test_empty_directory_prunes_everything(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a"), "apps/notes.txt": "x"})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    story.commit("Remove all YAML", {"apps/a.yaml": None})
    story.sync()
    assert story.get("ConfigMap", "a") is None
    assert story.ks("apps").inventory == []
    assert story.ready("Kustomization", "apps")[1] == "ReconciliationSucceeded"


def test_namespaces_are_applied_before_their_contents(story: Story) -> None:
    team = story.namespace("team")
    story.commit("Add", {"apps/web.yaml": configmap("cfg", namespace=team), "apps/ns.yaml": namespace(team)})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    assert story.change_set("apps") == f"Namespace/{team} created\nConfigMap/{team}/cfg created"
    assert story.ks("apps").inventory[0] == {"id": f"_{team}__Namespace", "v": "v1"}


def test_objects_without_a_namespace_go_to_default_and_are_pruned_from_there(story: Story) -> None:
    name = f"{story.ns}-cfg"  # `default` is shared by every test on a kind cluster
    story.commit("Add", {"apps/cm.yaml": configmap(name)})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    assert story.inventory("apps") == [f"ConfigMap/default/{name}"]
    assert story.get("ConfigMap", name, "default") is not None
    story.delete("Kustomization", "apps")
    story.sync(sources=False)
    assert story.get("ConfigMap", name, "default") is None


def test_manual_drift_is_reverted(story: Story) -> None:
    apps = story.apps
    story.commit("Add", {"apps/web.yaml": story.deployment("web", replicas=2), "apps/cm.yaml": story.configmap("cfg")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    story.client.merge_patch("apps/v1", "Deployment", "web", apps, {"spec": {"replicas": 5}},
                             field_manager="kubectl-edit")
    story.client.merge_patch("v1", "ConfigMap", "cfg", apps, {"data": {"key": "edited"}},
                             field_manager="kubectl-edit")
    story.sync(drift=True)
    assert story.obj("Deployment", "web")["spec"]["replicas"] == 2
    assert story.obj("ConfigMap", "cfg")["data"]["key"] == "value"
    assert story.change_set("apps") == f"ConfigMap/{apps}/cfg configured\nDeployment/{apps}/web configured"
