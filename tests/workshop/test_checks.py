"""workshop.checks.check_00 and check_01: the learner's work, right and wrong in the ways learners get it wrong."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import yaml

from workshop.checks import CheckResult, check_00, check_01
from workshop.repo import LabRepo

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "notebooks" / "solutions" / "01_production_overlay.py"
SOLUTION_00 = ROOT / "notebooks" / "solutions" / "00_first_commit.py"

BASE_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: webserver
  labels:
    app: webserver
spec:
  replicas: 1
  selector:
    matchLabels:
      app: webserver
  template:
    metadata:
      labels:
        app: webserver
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        resources:
          limits:
            cpu: 500m
            memory: 128Mi
"""


@pytest.fixture
def lesson(tmp_path: Path) -> Path:
    """A lesson folder with the base written, as notebook 01 leaves it before the exercise."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "deployment.yaml").write_text(BASE_DEPLOYMENT)
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n- deployment.yaml\n")
    return tmp_path


def write_overlay(lesson: Path, text: str) -> Path:
    folder = lesson / "production"
    folder.mkdir(exist_ok=True)
    (folder / "kustomization.yaml").write_text(text)
    return folder


def test_the_solution_passes_with_one_stable_line(lesson: Path) -> None:
    write_solution = runpy.run_path(str(SOLUTION))["write_solution"]
    write_solution(lesson)
    result = check_01(lesson / "production")
    assert result.passed and bool(result)
    text = str(result)
    assert text.startswith("PASS: 01 production overlay: ")
    assert "\n" not in text
    assert "webserver-prod" in text and "nginx:1.25.4" in text


def test_the_solution_script_keeps_a_learners_file(lesson: Path) -> None:
    write_solution = runpy.run_path(str(SOLUTION))["write_solution"]
    folder = write_overlay(lesson, "resources:\n- ../base\n")
    assert write_solution(lesson).startswith("kept your")
    assert (folder / "kustomization.yaml").read_text() == "resources:\n- ../base\n"
    assert write_solution(lesson, overwrite=True).startswith("wrote the solution")
    assert check_01(folder).passed


def test_commonlabels_and_a_replicas_patch_also_pass(lesson: Path) -> None:
    folder = write_overlay(
        lesson,
        "resources:\n- ../base\nnameSuffix: -prod\ncommonLabels:\n  env: production\n"
        "images:\n- name: nginx\n  newTag: 1.25.4\n"
        "patches:\n- patch: |-\n    - op: replace\n      path: /spec/replicas\n      value: 3\n"
        "  target:\n    kind: Deployment\n",
    )
    assert check_01(folder).passed, str(check_01(folder))


def test_a_missing_folder_says_what_to_create(lesson: Path) -> None:
    result = check_01(str(lesson / "production"))
    assert not result.passed
    assert "create the folder" in str(result)


def test_a_missing_kustomization_says_what_to_write(lesson: Path) -> None:
    (lesson / "production").mkdir()
    assert "write " in check_01(lesson / "production").problems[0]


def test_a_bare_base_lists_every_missing_change(lesson: Path) -> None:
    result = check_01(write_overlay(lesson, "resources:\n- ../base\n"))
    text = str(result)
    assert text.splitlines()[0] == "NOT YET: 01 production overlay: 4 thing(s) still to do"
    assert "nameSuffix: -prod" in text
    assert "make it 3" in text
    assert "nginx:1.25.4" in text
    assert "env: production" in text


def test_a_copy_of_the_base_is_not_an_overlay(lesson: Path) -> None:
    folder = lesson / "production"
    folder.mkdir()
    (folder / "deployment.yaml").write_text(BASE_DEPLOYMENT)
    (folder / "kustomization.yaml").write_text(
        "resources:\n- deployment.yaml\nnameSuffix: -prod\nlabels:\n- pairs:\n    env: production\n"
        "replicas:\n- name: webserver\n  count: 3\nimages:\n- name: nginx\n  newTag: 1.25.4\n"
    )
    result = check_01(folder)
    assert result.problems == ["list the base under resources: (resources: [../base]) instead of copying it"]


DEV_OVERLAY = "resources:\n- ../base\nnameSuffix: -dev\nimages:\n- name: nginx\n  newTag: 1.25-alpine\n"


def test_building_on_the_dev_overlay_names_the_inherited_suffix(lesson: Path) -> None:
    (lesson / "overlay").mkdir()
    (lesson / "overlay" / "kustomization.yaml").write_text(DEV_OVERLAY)
    folder = write_overlay(
        lesson, "resources:\n- ../overlay\nnameSuffix: -prod\nlabels:\n- pairs:\n    env: production\n"
                "replicas:\n- name: webserver-dev\n  count: 3\nimages:\n- name: nginx\n  newTag: 1.25.4\n")
    result = check_01(folder)
    assert result.problems == [
        "resources: lists ../overlay, another overlay of the base, not the base itself: production inherits its "
        "nameSuffix: -dev, images. Build on the base: resources: [../base]",
        "the Deployment is called webserver-dev-prod, not webserver-prod: the name changes of the overlay under "
        "resources: add up with yours; build on the base and keep nameSuffix: -prod",
    ]
    assert not any("instead of copying it" in p or "add nameSuffix" in p for p in result.problems)


def test_a_wrong_label_value_is_named(lesson: Path) -> None:
    folder = write_overlay(
        lesson, "resources:\n- ../base\nnameSuffix: -prod\nlabels:\n- pairs:\n    env: prod\n"
                "replicas:\n- name: webserver\n  count: 3\nimages:\n- name: nginx\n  newTag: 1.25.4\n")
    assert check_01(folder).problems == [
        "the Deployment's label is env: prod; the exercise wants env: production, spelled out"]


def test_a_wrong_suffix_is_named(lesson: Path) -> None:
    folder = write_overlay(
        lesson, "resources:\n- ../base\nnameSuffix: -production\nlabels:\n- pairs:\n    env: production\n"
                "replicas:\n- name: webserver\n  count: 3\nimages:\n- name: nginx\n  newTag: 1.25.4\n")
    assert check_01(folder).problems == [
        "the Deployment is called webserver-production: nameSuffix is -production; make it -prod to get webserver-prod"]


def test_invalid_yaml_names_the_line(lesson: Path) -> None:
    result = check_01(write_overlay(lesson, "resources:\n- ../base\nnameSuffix: [-prod\n"))
    assert len(result.problems) == 1
    assert "not valid YAML" in result.problems[0] and "line" in result.problems[0]


def test_a_build_error_is_reported_without_the_absolute_path(lesson: Path) -> None:
    result = check_01(write_overlay(lesson, "resources:\n- ../base\n- missing.yaml\n"))
    assert not result.passed
    text = str(result)
    assert "kustomize build fails" in text
    assert str(lesson) not in text


def test_result_repr_is_its_text() -> None:
    result = CheckResult("x", "all good")
    assert repr(result) == str(result) == "PASS: x: all good"


# -- lesson 00: the toy reconcile loop reads apps.yaml from Git --------------------------------------------

START_APPS = {"api": {"image": "api:1.4", "replicas": 1}, "webserver": {"image": "nginx:1.25", "replicas": 2}}
GOAL_APPS = {"cache": {"image": "redis:7.2", "replicas": 1}, "webserver": {"image": "nginx:1.25", "replicas": 2}}


@pytest.fixture
def fleet(tmp_path: Path) -> LabRepo:
    """Notebook 00's repo before the exercise: apps.yaml with webserver and api, committed and pushed."""
    repo = LabRepo.create(tmp_path, "fleet")
    repo.write("apps.yaml", yaml.safe_dump(START_APPS))
    repo.commit("Describe the apps")
    return repo


def test_00_the_solution_passes_once_reconciled(fleet: LabRepo, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(SOLUTION_00), init_globals={"repo": fleet})
    assert "] Add cache, remove api" in capsys.readouterr().out
    live = dict(START_APPS)
    assert check_00(fleet, live).problems == [
        "live differs from Git (to create: cache; to prune: api): "
        "run the reconcile cell, reconcile_from_git(repo, live)"]
    text = str(check_00(fleet, dict(GOAL_APPS)))
    assert text == "PASS: 00 first commit: Git has cache (redis:7.2, 1 replica) and no api, and live matches Git"


def test_00_an_edit_that_is_not_committed_does_not_count(fleet: LabRepo) -> None:
    fleet.write("apps.yaml", yaml.safe_dump(GOAL_APPS))
    result = check_00(fleet, dict(GOAL_APPS))
    assert str(result).splitlines()[0] == "NOT YET: 00 first commit: 4 thing(s) still to do"
    assert result.problems[0].startswith("apps.yaml is edited but not committed yet: run repo.commit(")
    assert result.problems[1].startswith("Git has no app `cache` yet")
    assert result.problems[2].startswith("`api` is still in apps.yaml in Git")
    assert result.problems[3].startswith("live differs from Git (to create: api; to prune: cache)")


def test_00_a_commit_that_is_not_pushed_does_not_count(fleet: LabRepo) -> None:
    fleet.write("apps.yaml", yaml.safe_dump(GOAL_APPS))
    fleet.commit("Add cache, remove api", push=False)
    result = check_00(fleet, dict(START_APPS))
    assert result.problems[0] == "your commit is not pushed yet: run repo.push(); the agent only sees pushed commits"
    fleet.push()
    assert check_00(fleet, dict(GOAL_APPS)).passed


def test_00_keeping_api_is_named(fleet: LabRepo) -> None:
    apps = {**START_APPS, "cache": GOAL_APPS["cache"]}
    fleet.write("apps.yaml", yaml.safe_dump(apps))
    fleet.commit("Add cache")
    assert check_00(fleet, apps).problems == [
        "`api` is still in apps.yaml in Git: delete its lines and commit (leaving Git is how an app gets pruned)"]


def test_00_a_wrong_cache_and_a_lost_webserver_are_named(fleet: LabRepo) -> None:
    apps = {"cache": {"image": "redis:7.2", "replicas": 2}}
    fleet.write("apps.yaml", yaml.safe_dump(apps))
    fleet.commit("Cache only")
    problems = check_00(fleet, apps).problems
    assert problems == [
        "`cache` in Git is {'image': 'redis:7.2', 'replicas': 2}; make it image: redis:7.2 and replicas: 1, "
        "then commit",
        "`webserver` is gone from Git: put it back, only `api` goes"]


def test_00_invalid_yaml_in_git_names_the_line(fleet: LabRepo) -> None:
    fleet.write("apps.yaml", "cache:\n  image: redis:7.2\n replicas: 1\n")
    fleet.commit("Broken indentation")
    problems = check_00(fleet, {}).problems
    assert len(problems) == 1
    assert problems[0].startswith("apps.yaml in Git is not valid YAML (line 3)")
