"""Bad input and faults: each yields Flux's reason with a message naming the file/object; nothing is lost."""

from __future__ import annotations

from typing import Any

import pytest

from engine.client import ApiError
from kustomization.story import Story


def applied(story: Story, files: dict[str, str], **spec: Any) -> str:
    sha = story.commit("Good commit", files)
    story.git_repository()
    story.kustomization("apps", "./apps", **spec)
    story.sync()
    assert story.ready("Kustomization", "apps")[0] == "True", story.ready("Kustomization", "apps")
    return f"main@sha1:{sha}"


def assert_kept(story: Story, good: str, *names: str) -> None:
    ks = story.ks("apps")
    assert ks.last_applied_revision == good
    for name in names:
        assert story.get("ConfigMap", name) is not None, f"ConfigMap {name} was lost"


def test_invalid_yaml_fails_the_build_and_keeps_everything(story: Story) -> None:
    good = applied(story, {"apps/a.yaml": story.configmap("a"), "apps/b.yaml": story.configmap("b")})
    bad = story.commit("Broken YAML", {"apps/b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [oops\n"})
    story.sync()
    status, reason, message = story.ready("Kustomization", "apps")
    assert (status, reason) == ("False", "BuildFailed")
    assert message.startswith("failed to decode Kubernetes YAML from apps/b.yaml: ")
    assert story.ks("apps").last_attempted_revision == f"main@sha1:{bad}"
    assert_kept(story, good, "a", "b")
    assert ("Warning", "BuildFailed", message) in story.events("Kustomization", "apps")
    story.commit("Fix YAML", {"apps/b.yaml": story.configmap("b", {"fixed": "yes"})})
    story.sync()
    assert story.ready("Kustomization", "apps")[1] == "ReconciliationSucceeded"
    assert story.obj("ConfigMap", "b")["data"] == {"fixed": "yes"}


def test_missing_path_never_prunes(story: Story) -> None:
    good = applied(story, {"apps/a.yaml": story.configmap("a"), "other/x.yaml": story.configmap("x")})
    story.commit("Delete the apps folder", {"apps/a.yaml": None})
    story.sync()
    assert story.ready("Kustomization", "apps") == (
        "False", "ArtifactFailed", "kustomization path not found: stat apps: no such file or directory")
    assert_kept(story, good, "a")


@pytest.mark.parametrize(("path", "shown"), [("../../../etc", "etc"), ("/etc", "etc"), ("apps/../../../tmp", "tmp")])
def test_paths_cannot_escape_the_artifact(story: Story, path: str, shown: str) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", path)
    story.sync()
    # `..` and absolute paths are resolved inside the artifact root (securejoin): nothing outside is read
    assert story.ready("Kustomization", "apps") == (
        "False", "ArtifactFailed", f"kustomization path not found: stat {shown}: no such file or directory")


def test_dot_dot_at_the_root_stays_at_the_root(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "apps/../..")
    story.sync()
    assert story.inventory("apps") == [f"ConfigMap/{story.apps}/a"]


def test_symlinks_do_not_reach_outside(story: Story) -> None:
    story.repo.write("apps/a.yaml", story.configmap("a"))
    (story.repo.path / "apps" / "etc").symlink_to("/etc")
    story.repo.commit("Symlink to /etc")
    story.git_repository()
    story.kustomization("apps", "./apps/etc")
    story.sync()
    assert story.ready("Kustomization", "apps") == (
        "False", "ArtifactFailed", "kustomization path not found: stat apps/etc: no such file or directory")


def test_patch_for_a_missing_object_fails_the_build(story: Story) -> None:
    good = applied(story, {"apps/a.yaml": story.configmap("a")})
    story.patch_spec("Kustomization", "apps", {"patches": [{"patch": "apiVersion: apps/v1\nkind: Deployment\n"
                                                                     "metadata:\n  name: nope\nspec:\n  replicas: 3\n"}]})
    story.sync()
    status, reason, message = story.ready("Kustomization", "apps")
    assert (status, reason) == ("False", "BuildFailed")
    assert message.startswith("kustomize build failed: ") and "nope" in message
    assert_kept(story, good, "a")


def test_missing_dependency_and_cycles(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a"), "infra/i.yaml": story.configmap("i")})
    story.git_repository()
    story.kustomization("apps", "./apps", dependsOn=[{"name": "infra"}])
    story.kustomization("x", "./infra", dependsOn=[{"name": "y"}])
    story.kustomization("y", "./infra", dependsOn=[{"name": "x"}])
    story.sync()
    ns = story.ns
    assert story.ready("Kustomization", "apps") == (
        "False", "DependencyNotReady",
        f"dependency '{ns}/infra' not found: kustomizations.kustomize.toolkit.fluxcd.io \"infra\" not found")
    assert ("Normal", "DependencyNotReady", "Dependencies do not meet ready condition, retrying in 30s") in \
        story.events("Kustomization", "apps")
    status, reason, message = story.ready("Kustomization", "x")
    assert (status, reason) == ("False", "DependencyNotReady")
    assert message == f"dependency '{ns}/y' is not ready (circular dependency: {ns}/x -> {ns}/y -> {ns}/x)"
    assert story.get("ConfigMap", "a") is None and story.get("ConfigMap", "i") is None


def test_dependencies_are_reconciled_first_in_one_sync(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a"), "infra/i.yaml": story.configmap("i")})
    story.git_repository()
    story.kustomization("apps", "./apps", dependsOn=[{"name": "infra"}])
    story.kustomization("infra", "./infra")
    report = story.sync()
    assert story.ready("Kustomization", "apps")[1] == "ReconciliationSucceeded", str(report)
    order = [o.key[2] for o in report.outcomes if o.key[0] == "Kustomization"]
    assert order.index("infra") < len(order) - 1 - order[::-1].index("apps")
    # same source: a new commit must be applied by infra before apps proceeds
    sha = story.commit("Change both", {"apps/a.yaml": story.configmap("a", {"v": "2"}), "infra/i.yaml": story.configmap("i", {"v": "2"})})
    story.sync()
    assert story.ks("apps").last_applied_revision == story.ks("infra").last_applied_revision == f"main@sha1:{sha}"


def test_immutable_field_change_without_and_with_force(story: Story) -> None:
    applied(story, {"apps/web.yaml": story.deployment("web")})
    uid = story.obj("Deployment", "web")["metadata"]["uid"]
    changed = story.deployment("web").replace("app: web", "app: web2")
    story.commit("Change selector", {"apps/web.yaml": changed})
    story.sync()
    status, reason, message = story.ready("Kustomization", "apps")
    assert (status, reason) == ("False", "ReconciliationFailed")
    assert message.startswith(f"Deployment/{story.apps}/web dry-run failed (Invalid): ") and "immutable" in message
    assert story.obj("Deployment", "web")["metadata"]["uid"] == uid
    story.patch_spec("Kustomization", "apps", {"force": True})
    story.sync()
    assert story.ready("Kustomization", "apps")[1] == "ReconciliationSucceeded"
    web = story.obj("Deployment", "web")
    assert web["metadata"]["uid"] != uid and web["spec"]["selector"]["matchLabels"] == {"app": "web2"}
    assert story.change_set("apps") == f"Deployment/{story.apps}/web created"


def test_target_namespace_must_exist(story: Story) -> None:
    team = story.namespace("team-a")
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps", targetNamespace=team)
    story.sync()
    status, reason, message = story.ready("Kustomization", "apps")
    assert (status, reason) == ("False", "ReconciliationFailed")
    assert message.startswith(f"ConfigMap/{team}/a not found: ") and f'"{team}"' in message
    story.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": team}})
    story.sync(drift=True)
    assert story.get("ConfigMap", "a", team) is not None


def test_custom_resource_without_its_crd(story: Story) -> None:
    cr = f"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: {story.apps}\nspec: {{}}\n"
    good = applied(story, {"apps/a.yaml": story.configmap("a")})
    story.commit("Add a Widget", {"apps/w.yaml": cr, "apps/b.yaml": story.configmap("b")})
    story.sync()
    status, reason, message = story.ready("Kustomization", "apps")
    assert (status, reason) == ("False", "ReconciliationFailed")
    assert message == f'Widget/{story.apps}/w dry-run failed: no matches for kind "Widget" in version "example.com/v1"'
    assert_kept(story, good, "a")
    assert story.get("ConfigMap", "b") is None  # nothing of the failing stage was written


def test_object_moved_between_kustomizations_survives(story: Story) -> None:
    story.commit("Add", {"old/shared.yaml": story.configmap("shared"), "old/a.yaml": story.configmap("a"),
                         "new/b.yaml": story.configmap("b")})
    story.git_repository()
    story.kustomization("apps-old", "./old")
    story.kustomization("apps-new", "./new")
    story.sync()
    uid = story.obj("ConfigMap", "shared")["metadata"]["uid"]
    story.commit("Move shared to new", {"old/shared.yaml": None, "new/shared.yaml": story.configmap("shared")})
    story.sync()
    shared = story.get("ConfigMap", "shared")
    assert shared is not None and shared["metadata"]["uid"] == uid
    assert shared["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] == "apps-new"
    assert story.inventory("apps-old") == [f"ConfigMap/{story.apps}/a"]


def test_api_failure_mid_apply_keeps_state_and_recovers(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    good = applied(story, {"apps/a.yaml": story.configmap("a"), "apps/b.yaml": story.configmap("b")})
    story.commit("Replace b by c and d", {"apps/b.yaml": None, "apps/c.yaml": story.configmap("c"), "apps/d.yaml": story.configmap("d")})
    real_apply = story.client.apply
    calls = {"n": 0}

    def flaky(obj: dict, **kwargs: Any) -> dict:
        if not kwargs.get("dry_run"):
            calls["n"] += 1
            if calls["n"] == 2:
                raise ApiError(503, "ServiceUnavailable", "the API server is unreachable: connection refused")
        return real_apply(obj, **kwargs)

    monkeypatch.setattr(story.client, "apply", flaky)
    story.sync()
    status, reason, message = story.ready("Kustomization", "apps")
    assert (status, reason) == ("False", "ReconciliationFailed")
    assert message.startswith(f"ConfigMap/{story.apps}/d apply failed (ServiceUnavailable)")
    assert_kept(story, good, "a", "b")  # no prune after a failed apply
    # the inventory keeps the old entries and records c, which this failed apply did create: a later run can
    # prune it if it leaves Git before the apply ever succeeds
    assert story.inventory("apps") == [f"ConfigMap/{story.apps}/{n}" for n in ("a", "b", "c")]
    monkeypatch.setattr(story.client, "apply", real_apply)
    story.sync(drift=True)
    assert story.get("ConfigMap", "b") is None and story.get("ConfigMap", "d") is not None


def test_engine_killed_mid_reconcile_carries_on_after_restart(story: Story) -> None:
    applied(story, {"apps/a.yaml": story.configmap("a"), "apps/b.yaml": story.configmap("b")})
    sha = story.commit("Replace b by c", {"apps/b.yaml": None, "apps/c.yaml": story.configmap("c")})
    story.manager.reconcile("GitRepository", "fleet", story.ns)
    reconciler = story.manager.reconciler("Kustomization")
    obj = story.ks("apps").obj
    steps = reconciler.step(obj)
    for report in steps:
        if report.phase == "apply":
            break  # the process dies here: objects written, the final status not
    assert story.get("ConfigMap", "c") is not None and story.get("ConfigMap", "b") is not None
    assert story.ks("apps").last_applied_revision != f"main@sha1:{sha}"
    restarted = story.new_manager()
    restarted.sync(drift=True)
    assert story.ks("apps").last_applied_revision == f"main@sha1:{sha}"
    assert story.get("ConfigMap", "b") is None
    assert story.inventory("apps", restarted) == [f"ConfigMap/{story.apps}/a", f"ConfigMap/{story.apps}/c"]
