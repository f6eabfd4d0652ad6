"""Every case in image-policy-cases.yaml picks what Flux picks (or fails with Flux's message)."""

from __future__ import annotations

import re

import pytest
import yaml

from engine.image import PolicyError, select_latest
from engine.image.policy import TagFilter
from engine.image.registry import RegistryError, apply_exclusions, latest_tags
from tests.corpus import IMAGE_AUTOMATION_CORPUS

CONFORMANCE = IMAGE_AUTOMATION_CORPUS
CASES = yaml.safe_load((CONFORMANCE / "image-policy-cases.yaml").read_text())
POLICY_CASES = [c for section in ("semver", "alphabetical", "numerical", "filterTags") for c in CASES[section]]


def test_the_table_is_complete() -> None:
    assert len(POLICY_CASES) >= 70


@pytest.mark.parametrize("case", POLICY_CASES, ids=[c["id"] for c in POLICY_CASES])
def test_policy_case(case: dict) -> None:
    spec = {"policy": case["policy"]}
    if "filterTags" in case:
        spec["filterTags"] = case["filterTags"]
    tags = [str(t) for t in case["tags"]]
    if "error" in case["expect"]:
        with pytest.raises(PolicyError) as err:
            select_latest(spec, tags)
        expected = case["expect"]["error"]
        assert err.value.message == expected
        assert err.value.stalled == ("invalid policy" in expected or "failed to filter" in expected)
    else:
        assert select_latest(spec, tags) == str(case["expect"]["pick"])


@pytest.mark.parametrize("case", CASES["filterTags_items_only"], ids=lambda c: c["id"])
def test_filter_items(case: dict) -> None:
    f = TagFilter(case["filterTags"]["pattern"], case["filterTags"].get("extract", ""))
    assert sorted(f.apply(case["tags"])) == sorted(case["expect_items"])


@pytest.mark.parametrize("case", CASES["imageRepository_exclusionList"], ids=lambda c: c["id"])
def test_exclusion_list(case: dict) -> None:
    tags = [str(t) for t in case["tags"]]
    if case.get("expect_error"):
        with pytest.raises(RegistryError, match=re.escape("failed to compile regex [=: error parsing regexp: missing closing ]")):
            apply_exclusions(tags, case["exclusionList"], default_when_empty=False)
    else:
        assert apply_exclusions(tags, case["exclusionList"], default_when_empty=False) == case["expect_kept"]


@pytest.mark.parametrize("case", CASES["imageRepository_latestTags"], ids=lambda c: c["id"])
def test_latest_tags(case: dict) -> None:
    assert latest_tags(case["tags"]) == case["expect_latestTags"]
