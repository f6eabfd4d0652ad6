"""The lab git remote: deterministic SHAs, copy-to-enable, push to the bare remote."""

from pathlib import Path

import git
import pytest

from workshop.repo import LabRepo, LabRepoError

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_same_steps_give_the_same_shas(tmp_path: Path) -> None:
    shas = []
    for run in ("a", "b"):
        repo = LabRepo.create(tmp_path / run, seed_from=REPO_ROOT / "gitops", seed_dest="gitops")
        repo.copy("gitops/disabled/postgres", "gitops/apps/postgres")
        shas.append((repo.log(1)[0].sha, repo.commit("Enable postgres")))
    assert shas[0] == shas[1]
    assert shas[0][0] != shas[0][1]


def test_commit_pushes_to_the_bare_remote(tmp_path: Path) -> None:
    repo = LabRepo.create(tmp_path)
    repo.write("apps/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n")
    sha = repo.commit("Add demo namespace")
    remote = git.Repo(repo.remote_path)
    assert remote.commit("main").hexsha == sha
    assert repo.url.startswith("file://")
    assert [str(c) for c in repo.log()] == [f"{sha[:7]} Add demo namespace"]


def test_nothing_to_commit_returns_none(tmp_path: Path) -> None:
    repo = LabRepo.create(tmp_path)
    repo.write("a.txt", "x\n")
    assert repo.commit("first") is not None
    assert repo.commit("again") is None


def test_paths_cannot_escape_the_repository(tmp_path: Path) -> None:
    repo = LabRepo.create(tmp_path)
    with pytest.raises(LabRepoError, match="outside the lab repository"):
        repo.write("../escape.txt", "no")


def test_remove_then_commit_deletes_the_file(tmp_path: Path) -> None:
    repo = LabRepo.create(tmp_path)
    repo.write("apps/a.yaml", "a: 1\n")
    repo.commit("add")
    repo.remove("apps/a.yaml")
    repo.commit("remove")
    assert "apps/a.yaml" not in repo.git.git.ls_files()
    with pytest.raises(LabRepoError, match="does not exist"):
        repo.remove("apps/a.yaml")
