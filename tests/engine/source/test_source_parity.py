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


def test_verify_with_a_missing_secret_fails_as_flux_and_stores_nothing(story: Story) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    story.git_repository(verify={"mode": "HEAD", "secretRef": {"name": "pgp-keys"}})
    story.sync()
    repo = story.gitrepo()
    assert story.ready("GitRepository", "fleet") == (
        "False", "VerificationError", 'public keys secret error: secrets "pgp-keys" not found')
    verified = repo.condition("SourceVerified")
    assert verified is not None and (verified["status"], verified["reason"]) == ("False", "VerificationError")
    assert repo.artifact is None
    assert ("Warning", "VerificationError", 'public keys secret error: secrets "pgp-keys" not found') in \
        story.events("GitRepository", "fleet")


def test_verify_with_keys_says_the_kit_cannot_verify_and_removing_it_recovers(story: Story) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    story.client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "keys", "namespace": story.ns},
                         "stringData": {"author.asc": "-----BEGIN PGP PUBLIC KEY BLOCK-----"}})
    story.git_repository(verify={"mode": "HEAD", "secretRef": {"name": "keys"}})
    story.sync()
    status, reason, message = story.ready("GitRepository", "fleet")
    assert (status, reason) == ("False", "VerificationError")
    assert message.startswith("signature verification of commit '") and "cannot verify PGP or SSH" in message
    story.patch_spec("GitRepository", "fleet", {"verify": None})
    story.sync()
    assert story.ready("GitRepository", "fleet")[:2] == ("True", "Succeeded")
    assert story.gitrepo().condition("SourceVerified") is None
