"""workshop.checks_04.check_04: lesson 04's exercise (promote staging's podinfo tag to production)."""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.checks_04 import check_04
from workshop.lab import Lab
from workshop.monorepo import PODINFO_IMAGE, apply_cluster_vars, write_layout

SOLUTION = Path(__file__).resolve().parents[2] / "notebooks" / "solutions" / "04_promote_podinfo.py"
OVERLAY = "apps/production/kustomization.yaml"


def set_tag(lab: Lab, env: str, tag: str) -> None:
    path = f"apps/{env}/kustomization.yaml"
    text = lab.repo.read(path)
    lab.repo.write(path, text.replace("newTag: 6.5.0", f"newTag: {tag}"))


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """Two clusters on the lesson's layout, staging already on podinfo 6.5.1 (the lesson's section 5)."""
    the_lab = Lab.start("test-04", root=tmp_path / "lab", clusters=("staging", "production"), quiet=True,
                        helm=True)
    try:
        for prefix in ("clusters/", "infrastructure/", "apps/"):
            write_layout(the_lab.repo, prefix)
        the_lab.commit("Scaffold the fleet")
        assert the_lab.charts is not None
        for site in the_lab.sites.values():
            apply_cluster_vars(site, the_lab.charts.url)
            site.apply_flux("flux-system", f"./clusters/{site.name}")
        set_tag(the_lab, "staging", "6.5.1")
        the_lab.commit("staging: podinfo 6.5.1")
        for site in the_lab.sites.values():
            site.sync()  # the HelmRelease's first run finds its new HelmChart not ready yet, the next one installs
            assert [site.ready(n)[0] for n in ("infra-controllers", "infra-configs", "apps")] == ["True"] * 3
            assert site.ready("ingress-nginx", "HelmRelease", "ingress-nginx")[0] == "True"
        yield the_lab
    finally:
        the_lab.stop()


def test_not_yet_uncommitted_then_unsynced_then_pass_on_the_solution(lab: Lab) -> None:
    production = lab.site("production")
    before = check_04(lab)
    assert not before
    assert before.problems == [
        f"production runs {PODINFO_IMAGE}:6.5.0, staging runs {PODINFO_IMAGE}:6.5.1: set newTag: 6.5.1 for "
        f"{PODINFO_IMAGE} in {OVERLAY}, commit, then production.sync()"]

    set_tag(lab, "production", "6.5.1")
    uncommitted = check_04(lab)
    assert f"not committed yet: {OVERLAY}: lab.commit(...), then production.sync()" in uncommitted.problems

    lab.commit("Promote podinfo 6.5.1")
    lab.sync()
    unsynced = check_04(lab)
    assert "production has not applied the latest commit yet: run production.sync()" in unsynced.problems
    assert len(unsynced.problems) == 2, str(unsynced)

    production.sync()
    assert str(check_04(lab)) == (f"PASS: 04 promote to production: production runs {PODINFO_IMAGE}:6.5.1 "
                                  "from its own overlay, as staging does")


def test_the_solution_passes(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(SOLUTION), init_globals={"lab": lab})
    out = capsys.readouterr().out
    assert f"{OVERLAY}: newTag 6.5.0 -> 6.5.1" in out
    assert check_04(lab).passed, str(check_04(lab))
    deploy = lab.site("production").get("apps/v1", "Deployment", "podinfo", "podinfo")
    assert deploy is not None and deploy["spec"]["replicas"] == 2


def test_not_yet_when_production_builds_the_staging_overlay(lab: Lab) -> None:
    path = "clusters/production/apps.yaml"
    lab.repo.write(path, lab.repo.read(path).replace("./apps/production", "./apps/staging"))
    lab.commit("production: use the staging overlay")
    lab.site("production").sync()
    result = check_04(lab)
    assert not result
    assert any(p.startswith("production's apps Kustomization builds ./apps/staging, not ./apps/production")
               for p in result.problems), str(result)
    assert "production's podinfo has 1 replica(s) and env=staging: production keeps 2 replicas and " \
           "env=production from its overlay; change only the image tag" in result.problems


def test_not_yet_without_a_production_cluster(tmp_path: Path) -> None:
    with Lab.start("test-04-one", root=tmp_path / "one", quiet=True) as one:
        result = check_04(one)
    assert result.problems == ["this lab has no staging or production cluster: start it with "
                               "Lab.start(..., clusters=('staging', 'production'))"]
