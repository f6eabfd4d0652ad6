"""GitRepository events and messages as source-controller writes them: one event for a no-op interval, semver
misses without go-git's clone prefix."""

from __future__ import annotations

from kustomization.story import Story


def test_no_op_interval_sends_exactly_one_event(story: Story) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    story.git_repository()
    story.sync()
    revision = story.artifact()["revision"]
    before = len(story.events("GitRepository", "fleet"))
    story.manager.reconcile("GitRepository", "fleet", story.ns)
    new = story.events("GitRepository", "fleet")[before:]
    assert new == [("Normal", "GitOperationSucceeded",
                    f"no changes since last reconciliation: observed revision '{revision}'")]


def test_semver_without_a_matching_tag(story: Story) -> None:
    story.commit("v1", {"a.yaml": story.configmap("a")})
    story.repo.git.create_tag("v1.0.0")
    story.repo.git.git.push("origin", "--tags")
    story.git_repository(ref={"semver": ">=2.0.0"})
    story.sync()
    assert story.ready("GitRepository", "fleet") == (
        "False", "GitOperationFailed", "failed to checkout and determine revision: no match found for semver: >=2.0.0")
