"""GitRepository stories: a learner points a GitRepository at the lab remote and syncs."""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

import pytest
from kustomization.story import Story

from engine.client import ApiError


def test_first_sync_stores_an_artifact_as_flux_does(story: Story) -> None:
    sha = story.commit("Add app config", {"apps/cm.yaml": story.configmap("web"), "logo.png": "img"})
    story.git_repository()
    story.sync()
    repo = story.gitrepo()
    artifact = repo.artifact
    assert artifact is not None
    assert artifact["revision"] == f"main@sha1:{sha}"
    assert artifact["path"] == f"gitrepository/{story.ns}/fleet/{sha}.tar.gz"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", artifact["digest"])
    assert artifact["url"].startswith("file://") and artifact["size"] > 0
    assert story.ready("GitRepository", "fleet") == ("True", "Succeeded", f"stored artifact for revision 'main@sha1:{sha}'")
    cond = {c["type"]: c for c in repo.status["conditions"]}
    assert cond["ArtifactInStorage"]["message"] == f"stored artifact for revision 'main@sha1:{sha}'"
    assert "Reconciling" not in cond and repo.status["observedGeneration"] == 1
    assert "finalizers.fluxcd.io" in repo.metadata["finalizers"]
    with tarfile.open(story.storage_dir / artifact["path"]) as tar:
        assert tar.getnames() == [".", "apps", "apps/cm.yaml"]  # .git and *.png excluded by default
    assert ("Normal", "NewArtifact", "stored artifact for commit 'Add app config'") in story.events("GitRepository")


def test_nothing_changed_short_circuits_and_a_new_commit_is_picked_up(story: Story) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    story.git_repository()
    story.sync()
    first = story.artifact()
    story.sync()
    assert story.gitrepo().artifact == first
    assert ("Normal", "GitOperationSucceeded",
            f"no changes since last reconciliation: observed revision '{first['revision']}'") in story.events()
    long_subject = "Raise the replica count of the web deployment for the launch"
    sha = story.commit(long_subject, {"a.yaml": story.configmap("a", {"k": "2"})})
    story.sync()
    assert story.gitrepo().revision == f"main@sha1:{sha}"
    assert ("Normal", "NewArtifact", f"stored artifact for commit '{long_subject[:50]}...'") in story.events()


def test_tag_and_semver_refs(story: Story) -> None:
    story.commit("v1", {"a.yaml": story.configmap("a")})
    story.repo.git.create_tag("v1.0.0")
    sha2 = story.commit("v1.1", {"a.yaml": story.configmap("a", {"k": "v"})})
    story.repo.git.create_tag("v1.1.0")
    story.commit("unreleased", {"b.yaml": story.configmap("b")})
    story.repo.git.git.push("origin", "--tags")
    story.git_repository("tagged", ref={"tag": "v1.0.0"})
    story.git_repository("ranged", ref={"semver": "~1.0 || ^1.1"})
    story.sync()
    assert story.gitrepo("tagged").revision.startswith("v1.0.0@sha1:")
    assert story.gitrepo("ranged").revision == f"v1.1.0@sha1:{sha2}"


def test_commit_ref_checks_out_that_commit(story: Story) -> None:
    sha1 = story.commit("one", {"a.yaml": story.configmap("a")})
    story.commit("two", {"b.yaml": story.configmap("b")})
    story.git_repository(ref={"branch": "main", "commit": sha1})
    story.sync()
    artifact = story.artifact()
    assert artifact["revision"] == f"main@sha1:{sha1}"
    with tarfile.open(story.storage_dir / artifact["path"]) as tar:
        assert "b.yaml" not in tar.getnames()


def test_missing_branch_fails_and_keeps_the_last_artifact(story: Story) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    story.git_repository()
    story.sync()
    good = story.artifact()
    story.patch_spec("GitRepository", "fleet", {"ref": {"branch": "deleted"}})
    story.sync()
    repo = story.gitrepo()
    message = (f"failed to checkout and determine revision: unable to clone '{story.repo.url}': "
               "couldn't find remote ref \"refs/heads/deleted\"")
    assert story.ready("GitRepository", "fleet") == ("False", "GitOperationFailed", message)
    assert repo.artifact == good  # the last good artifact is still advertised
    cond = {c["type"]: c for c in repo.status["conditions"]}
    assert cond["FetchFailed"]["reason"] == "GitOperationFailed"
    assert cond["Reconciling"]["reason"] == "ProgressingWithRetry"
    assert ("Warning", "GitOperationFailed", message) in story.events()
    story.patch_spec("GitRepository", "fleet", {"ref": {"branch": "main"}})
    story.sync()
    assert story.ready("GitRepository", "fleet")[0] == "True"
    assert ("Normal", "Succeeded", f"stored artifact for revision '{good['revision']}'") in story.events()


def test_empty_and_unreachable_remotes(story: Story, tmp_path: Path) -> None:
    story.git_repository("empty")
    story.git_repository("nowhere", url=(tmp_path / "missing.git").as_uri())
    story.sync()
    assert story.ready("GitRepository", "empty") == ("False", "EmptyGitRepository", "git repository is empty")
    status, reason, message = story.ready("GitRepository", "nowhere")
    assert (status, reason) == ("False", "GitOperationFailed")
    assert message.startswith(f"failed to checkout and determine revision: unable to clone "
                              f"'{(tmp_path / 'missing.git').as_uri()}'")
    assert story.gitrepo("nowhere").artifact is None


def test_scp_url_is_refused_by_the_crd_and_missing_secret_fails_auth(story: Story) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    # Flux's CRD pattern refuses scp-style URLs, so a real cluster answers 422 before any reconcile
    with pytest.raises(ApiError) as refused:
        story.git_repository("scp", url="git@github.com:org/repo.git")
    assert (refused.value.status, refused.value.reason) == (422, "Invalid")
    assert refused.value.message == (
        'GitRepository.source.toolkit.fluxcd.io "scp" is invalid: spec.url: Invalid value: '
        '"git@github.com:org/repo.git": spec.url in body should match \'^(http|https|ssh|file)://.*$\'')
    story.git_repository("private", secretRef={"name": "git-creds"})
    report = story.sync()
    assert not report.ok
    assert story.ready("GitRepository", "private") == (
        "False", "AuthenticationFailed", f"failed to get secret '{story.ns}/git-creds': secrets \"git-creds\" not found")


def test_spec_ignore_change_rebuilds_and_suspend_stops(story: Story) -> None:
    story.commit("one", {"deploy/a.yaml": story.configmap("a"), "docs/readme.yaml": story.configmap("d")})
    story.git_repository()
    story.sync()
    before = story.artifact()
    story.patch_spec("GitRepository", "fleet", {"ignore": "/*\n!/deploy\n"})
    story.sync()
    after = story.artifact()
    assert after["digest"] != before["digest"] and story.gitrepo().status["observedIgnore"] == "/*\n!/deploy\n"
    with tarfile.open(story.storage_dir / after["path"]) as tar:
        assert tar.getnames() == [".", "deploy", "deploy/a.yaml"]
    story.patch_spec("GitRepository", "fleet", {"suspend": True})
    story.commit("two", {"deploy/b.yaml": story.configmap("b")})
    story.sync()
    assert story.artifact() == after


def test_deleting_the_gitrepository_removes_its_artifacts(story: Story) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    story.git_repository()
    story.sync()
    path = story.storage_dir / story.artifact()["path"]
    assert path.exists()
    story.delete("GitRepository", "fleet")
    story.sync()
    assert not path.exists()
    assert not story.exists("GitRepository", "fleet")
