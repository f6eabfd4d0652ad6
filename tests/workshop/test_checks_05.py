"""workshop.checks_05: the lesson 05 exercise check, on a fake lab (no cluster)."""

from __future__ import annotations

from typing import Any

import pytest

from workshop.checks import CheckResult
from workshop.checks_05 import PIN_EXPECTED_TAG, check_05

HOST = "127.0.0.1:5000"


class FakeLab:
    def __init__(self, range_: str | None = "~1.1", latest: str | None = PIN_EXPECTED_TAG,
                 image: str | None = f"{HOST}/team/web:{PIN_EXPECTED_TAG}") -> None:
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        if range_ is not None:
            status = {"latestRef": {"name": f"{HOST}/team/web", "tag": latest}} if latest else {}
            self.objects[("ImagePolicy", "web")] = {
                "spec": {"imageRepositoryRef": {"name": "web"}, "policy": {"semver": {"range": range_}}},
                "status": status}
        if image is not None:
            self.objects[("Deployment", "web")] = {
                "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}}

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = "default") -> Any:
        return self.objects.get((kind, name))


@pytest.mark.parametrize("range_", ["~1.1", ">=1.1.0 <1.2.0", "1.1.x", "~1.1.0"])
def test_patch_ranges_pass(range_: str) -> None:
    result = check_05(FakeLab(range_))
    assert isinstance(result, CheckResult) and result.passed, str(result)
    assert str(result) == ("PASS: 05 pin production to patch releases: the policy only takes 1.1.x patches; "
                           "web runs 1.1.1")


@pytest.mark.parametrize("range_", [">=1.0.0 <2.0.0", "^1.1", ">=1.1.0", "~1.0", "1.1.0"])
def test_wider_or_wrong_ranges_fail(range_: str) -> None:
    result = check_05(FakeLab(range_))
    assert not result.passed
    assert len(result.problems) == 1 and "it should pick 1.1.7" in result.problems[0]
    assert str(result).startswith("NOT YET: 05 pin production to patch releases: 1 thing(s) still to do")


def test_invalid_range_is_a_problem_not_an_exception() -> None:
    result = check_05(FakeLab("not a range"))
    assert not result.passed and "picks nothing" in result.problems[0]


def test_not_synced_yet() -> None:
    result = check_05(FakeLab("~1.1", latest="1.1.0", image=f"{HOST}/team/web:1.1.0"))
    assert len(result.problems) == 2
    assert "latest tag is 1.1.0, not 1.1.1" in result.problems[0]
    assert "runs tag 1.1.0, not 1.1.1" in result.problems[1]
    assert HOST not in str(result)


def test_unresolved_policy_and_missing_objects() -> None:
    assert "not resolved yet" in str(check_05(FakeLab(latest=None)))
    missing_policy = check_05(FakeLab(range_=None))
    assert missing_policy.problems == ["there is no ImagePolicy flux-system/web: run the cells of section 4 first"]
    assert "there is no Deployment web" in str(check_05(FakeLab(image=None)))


def test_image_by_digest_and_without_tag() -> None:
    assert check_05(FakeLab(image=f"{HOST}/team/web:1.1.1@sha256:abc")).passed
    assert "runs tag latest" in str(check_05(FakeLab(image=f"{HOST}/team/web")))
