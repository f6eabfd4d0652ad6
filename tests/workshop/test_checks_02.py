"""workshop.checks_02.check_02: lesson 02's exercise (a second app whose Kustomization dependsOn the first)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from engine.cli import main
from engine.cli.bootstrap import components_yaml
from engine.cli.install import FLUX_VERSION
from workshop.checks_02 import check_02
from workshop.lab import Lab
from workshop.repo import LabRepo

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SOLUTION = NOTEBOOKS / "solutions" / "02_web_after_cache.py"
NOTEBOOK = NOTEBOOKS / "02-bootstrap.ipynb"
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: {name}
        image: nginx:1.25-alpine
"""
WEB = ["create", "kustomization", "web", "--source=GitRepository/apps", "--path=./web", "--prune=true", "--wait"]


def gitops(args: list[str]) -> int:
    """The CLI in-process, on the lab cluster (the kubernetes client read KUBECONFIG when it was imported)."""
    return main([*args, f"--kubeconfig={os.environ['KUBECONFIG']}"])


def export(*args: str) -> str:
    """stdout of an in-process `gitops … --export`."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert gitops([*args, "--export"]) == 0
    return out.getvalue()


def reconcile() -> None:
    assert gitops(["reconcile", "kustomization", "flux-system", "--with-source"]) == 0


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """The lesson up to the exercise: bootstrapped fleet repo, an `apps` repo, the cache app applied."""
    the_lab = Lab.start("test-02", root=tmp_path / "lab", quiet=True)
    try:
        monkeypatch.setenv("GITOPS_DATA_DIR", str(the_lab.root))
        assert gitops(["bootstrap", "git", f"--url={the_lab.repo.url}", "--path=clusters/lab"]) == 0
        the_lab.repo.pull()
        apps = LabRepo.create(the_lab.root / "git", "apps")
        apps.write("cache/namespace.yaml", NAMESPACE)
        apps.write("cache/cache.yaml", DEPLOYMENT.format(name="cache"))
        apps.write("web/web.yaml", DEPLOYMENT.format(name="web"))
        apps.commit("cache and web")
        the_lab.repo.write("clusters/lab/apps-source.yaml",
                           export("create", "source", "git", "apps", f"--url={apps.url}", "--branch=main"))
        the_lab.repo.write("clusters/lab/cache.yaml", export(
            "create", "kustomization", "cache", "--source=GitRepository/apps", "--path=./cache", "--wait"))
        the_lab.commit("Add the apps source and the cache app")
        reconcile()
        yield the_lab
    finally:
        the_lab.stop()


def problems(lab: Lab) -> list[str]:
    result = check_02(lab)
    assert not result, "expected NOT YET"
    return result.problems


def test_each_missing_step_is_named_until_it_passes(lab: Lab) -> None:
    assert problems(lab) == [
        "write clusters/lab/web.yaml in the fleet repo: a Kustomization web for path ./web of GitRepository/apps "
        "with dependsOn cache (gitops create kustomization web … --export)"]

    lab.repo.write("clusters/lab/web.yaml", export(*WEB))
    assert problems(lab) == ["clusters/lab/web.yaml is not committed: git add clusters/lab/web.yaml, git commit "
                             "and git push origin main (or lab.commit(...))"]

    lab.repo.commit("Add web", push=False)
    assert problems(lab) == ["the commit with clusters/lab/web.yaml is not pushed: git push origin main"]

    lab.repo.push()
    no_depends_on = ("the Kustomization web in Git has no dependsOn on cache: add `dependsOn: [{name: cache}]` "
                     "(gitops create kustomization … --depends-on=cache)")
    assert problems(lab) == [no_depends_on]

    lab.repo.write("clusters/lab/web.yaml", export(*WEB, "--depends-on=cache"))
    assert problems(lab) == ["clusters/lab/web.yaml has changes that are not committed: git add, git commit and "
                             "git push origin main (or lab.commit(...))", no_depends_on]

    lab.commit("web after cache")
    reconcile_hint = "run `gitops reconcile kustomization flux-system --with-source`"
    assert problems(lab) == [
        f"the flux-system Kustomization has not applied your latest fleet commit: {reconcile_hint}",
        f"the Kustomization web is not in the cluster: {reconcile_hint}"]

    reconcile()
    result = check_02(lab)
    assert result, str(result)
    assert str(result) == ("PASS: 02 second app with dependsOn: Kustomization web (./web of GitRepository/apps) "
                           "depends on cache; both are Ready at the same revision; Deployment/shop/web run in "
                           "the cluster")


def test_wrong_source_and_path_are_named(lab: Lab) -> None:
    lab.repo.write("clusters/lab/web.yaml", export(
        "create", "kustomization", "web", "--source=GitRepository/flux-system", "--path=./apps/web",
        "--depends-on=cache"))
    lab.commit("web, pointing at the wrong place")
    assert problems(lab) == [
        "the Kustomization web in Git must use sourceRef GitRepository/apps (it has GitRepository/flux-system)",
        "the Kustomization web in Git must have path ./web (it has ./apps/web)"]


def test_a_dependency_that_is_not_ready_is_named(lab: Lab) -> None:
    lab.repo.write("clusters/lab/web.yaml", export(*WEB, "--depends-on=cache"))
    lab.commit("web after cache")
    apps = LabRepo.open(lab.root / "git", "apps")
    apps.write("cache/kustomization.yaml", "resources:\n- missing.yaml\n")
    apps.commit("break the cache's build")
    lab.sync()  # fetches every source, as their intervals would
    found = [p for p in problems(lab) if p.startswith("the Kustomization ")]
    assert [p.split(" (")[0] for p in found] == ["the Kustomization cache is not Ready",
                                                "the Kustomization web is not Ready"]
    assert found[0].startswith("the Kustomization cache is not Ready (BuildFailed: ")
    assert found[1].startswith("the Kustomization web is not Ready (DependencyNotReady: dependency "
                               "'flux-system/cache' is not ready)")


def test_the_solution_script_passes(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(SOLUTION), init_globals={"lab": lab})
    out = capsys.readouterr().out
    assert "wrote clusters/lab/web.yaml" in out
    assert check_02(lab), str(check_02(lab))


def test_stored_notebook_matches_the_install_manifests(tmp_path: Path) -> None:
    """Bootstrap commits `gitops install --export`: when that text changes, lesson 02's stored SHAs do too."""
    repo = git.Repo.init(tmp_path / "fleet", initial_branch="main")
    target = tmp_path / "fleet" / "clusters/lab/flux-system/gotk-components.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(components_yaml("flux-system"))
    repo.index.add([str(target.relative_to(tmp_path / "fleet"))])
    actor = git.Actor("Workshop Learner", "learner@workshop.local")
    when = "2026-01-01T09:00:00+0000"  # the notebook's GIT_AUTHOR_DATE / GIT_COMMITTER_DATE
    sha = repo.index.commit(f"Add Flux {FLUX_VERSION} component manifests", author=actor, committer=actor,
                            author_date=when, commit_date=when).hexsha
    notebook = json.loads(NOTEBOOK.read_text())
    outputs = "".join("".join(o.get("text", "")) for c in notebook["cells"] if c["cell_type"] == "code"
                      for o in c.get("outputs", []))
    assert f'committed component manifests to "main" ("{sha}")' in outputs, (
        "gitops install --export changed, so bootstrap's commits in notebooks/02-bootstrap.ipynb have new SHAs: "
        "re-execute it (cd notebooks && jupyter nbconvert --to notebook --execute --inplace 02-bootstrap.ipynb)")
