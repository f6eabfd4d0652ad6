"""Ref resolution with Flux's precedence and defaults, semver ranges, credential scrubbing."""

from __future__ import annotations

import base64

import pytest

from engine.gitaccess.remote import Credentials, GitError, resolve_ref
from engine.gitaccess.semverrange import highest_match

REFS = {
    "HEAD": "a" * 40, "refs/heads/main": "a" * 40, "refs/heads/master": "b" * 40,
    "refs/tags/v1.0.0": "c" * 40, "refs/tags/v1.2.0": "d" * 40, "refs/tags/v2.0.0-rc.1": "e" * 40,
    "refs/pull/420/head": "f" * 40,
}


def test_revision_formats_follow_rfc_0005() -> None:
    assert resolve_ref("file:///r", {"branch": "main"}, REFS).revision == f"main@sha1:{'a' * 40}"
    assert resolve_ref("file:///r", {}, REFS).revision == f"master@sha1:{'b' * 40}"  # default is master
    assert resolve_ref("file:///r", {"tag": "v1.0.0"}, REFS).revision == f"v1.0.0@sha1:{'c' * 40}"
    assert resolve_ref("file:///r", {"semver": ">=1.0.0"}, REFS).revision == f"v1.2.0@sha1:{'d' * 40}"
    assert resolve_ref("file:///r", {"name": "refs/pull/420/head"}, REFS).revision == \
        f"refs/pull/420/head@sha1:{'f' * 40}"
    assert resolve_ref("file:///r", {"commit": "1" * 40}, REFS).revision == f"sha1:{'1' * 40}"
    assert resolve_ref("file:///r", {"branch": "main", "commit": "1" * 40}, REFS).revision == \
        f"main@sha1:{'1' * 40}"


def test_precedence_commit_name_tag_semver_branch() -> None:
    ref = {"branch": "main", "tag": "v1.0.0", "semver": ">=1.2.0", "name": "refs/pull/420/head"}
    assert resolve_ref("u", ref, REFS).pointer == "refs/pull/420/head"
    del ref["name"]
    assert resolve_ref("u", ref, REFS).pointer == "v1.0.0"  # tag beats semver in go-git's switch
    del ref["tag"]
    assert resolve_ref("u", ref, REFS).pointer == "v1.2.0"


def test_missing_refs_and_empty_repositories() -> None:
    with pytest.raises(GitError) as err:
        resolve_ref("file:///r.git", {"branch": "gone"}, REFS)
    assert err.value.reason == "GitOperationFailed"
    assert str(err.value) == ("failed to checkout and determine revision: unable to clone 'file:///r.git': "
                              "couldn't find remote ref \"refs/heads/gone\"")
    with pytest.raises(GitError) as err:
        resolve_ref("file:///r.git", {"branch": "main"}, {})
    assert (err.value.reason, err.value.message) == ("EmptyGitRepository", "git repository is empty")
    with pytest.raises(GitError, match="no match found for semver: >=3.0.0"):
        resolve_ref("u", {"semver": ">=3.0.0"}, REFS)


@pytest.mark.parametrize(("constraint", "expected"), [
    (">=1.0.0 <2.0.0", "v1.10.0"), ("^1.2", "v1.10.0"), ("~1.2.0", "v1.2.3"), ("1.x", "v1.10.0"),
    ("*", "v2.0.0"), (">=2.1.0-0", "v2.1.0-rc.1"), ("1.0.0 - 1.5", "v1.2.3"), ("2.x || 0.x", "v2.0.0"),
    ("<1.0.0", "0.1.0"), (">=5", None),
])
def test_semver_ranges(constraint: str, expected: str | None) -> None:
    tags = ["v1.0.0", "v1.2.3", "v1.10.0", "v2.0.0", "v2.1.0-rc.1", "0.1.0", "latest"]
    assert highest_match(constraint, tags) == expected


def test_credentials_are_scrubbed_from_messages() -> None:
    secret = {"data": {k: base64.b64encode(v.encode()).decode() for k, v in
                       {"username": "git", "password": "s3cr3t-pass", "bearerToken": "tok-123456"}.items()}}
    creds = Credentials.from_secret(secret)
    text = creds.scrub("fatal: https://git:s3cr3t-pass@host failed with tok-123456")
    assert "s3cr3t-pass" not in text and "tok-123456" not in text
    with pytest.raises(GitError) as err:
        Credentials(username="git").validate("https://host/repo")
    assert err.value.reason == "AuthenticationFailed"
