"""`workshop reset NN` on a notebooks folder in tmp_path: what it removes, what it refuses, what it restores."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from workshop.cli import main
from workshop.cluster.embedded import EmbeddedCluster
from workshop.testing import FakeApiServer, write_kubeconfig


def notebook(*code: str) -> str:
    cells: list[dict[str, object]] = [{"cell_type": "markdown", "metadata": {}, "source": ["# lesson\n", "see .work/99 in prose\n"]}]
    cells += [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": [c]}
              for c in code]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "00-welcome.ipynb").write_text(notebook("print('hello')"))
    (folder / "01-kustomize.ipynb").write_text(notebook('WORK = Path(".work/01")', "%%writefile .work/01/a.yaml"))
    (folder / "03-internals.ipynb").write_text(notebook('lab = Lab.start("03-internals")'))
    (folder / "04-layout.ipynb").write_text(notebook('lab = Lab.start("04-layout")', 'Path(".work/promote")'))
    (folder / "README.md").write_text("# lessons\n")
    return folder


def reset(notebooks: Path, *args: str) -> int:
    return main(["reset", *args, "--notebooks", str(notebooks)])


def make(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "file.yaml").write_text("kind: ConfigMap\n")
    return folder


def test_removes_the_lab_and_exercise_folders_of_that_lesson_only(notebooks: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    lab = make(notebooks / ".labs" / "04-layout" / "git")
    promote = make(notebooks / ".work" / "promote")
    own = make(notebooks / ".work" / "04")
    other_lab = make(notebooks / ".labs" / "03-internals" / "git")
    other_work = make(notebooks / ".work" / "01")

    assert reset(notebooks, "4") == 0
    assert capsys.readouterr().out.splitlines() == [
        "resetting lesson 04 (04-layout.ipynb)",
        "removed notebooks/.labs/04-layout/ (lab folder)",
        "removed notebooks/.work/04/ (exercise folder)",
        "removed notebooks/.work/promote/ (exercise folder)",
        "next: restart the kernel (Kernel > Restart Kernel) and run the notebook from the top",
    ]
    assert not lab.parent.exists() and not promote.exists() and not own.exists()
    assert other_lab.is_dir() and other_work.is_dir()
    assert (notebooks / "04-layout.ipynb").is_file()


def test_removes_the_empty_work_folder_and_says_when_there_is_nothing_to_do(
        notebooks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make(notebooks / ".work" / "01")
    assert reset(notebooks, "01") == 0
    assert "removed notebooks/.work/01/ (exercise folder)" in capsys.readouterr().out
    assert not (notebooks / ".work").exists()
    assert reset(notebooks, "01-kustomize") == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_unknown_lesson_lists_the_lessons_from_the_file_names(notebooks: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert reset(notebooks, "02") == 2
    err = capsys.readouterr().err
    assert "no lesson '02'" in err
    assert "lessons: 00 (00-welcome), 01 (01-kustomize), 03 (03-internals), 04 (04-layout)" in err
    assert reset(notebooks, "03-wrong-name") == 2


def test_a_lab_folder_outside_the_notebooks_folder(tmp_path_factory: pytest.TempPathFactory, notebooks: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "02-boot"
    tmp_path = notebooks.parent
    (notebooks / "02-boot.ipynb").write_text(notebook(f'lab = Lab.start("02-boot", root=Path("{elsewhere}"))'))
    (notebooks / "05-odd.ipynb").write_text(notebook(f'lab = Lab.start("05-odd", root=Path("{tmp_path}"))'))
    make(elsewhere / "git")
    assert reset(notebooks, "02") == 0
    assert f"removed {elsewhere.as_posix()}/ (lab folder)" in capsys.readouterr().out
    assert not elsewhere.exists() and elsewhere.parent.is_dir()
    assert reset(notebooks, "05") == 0
    assert "nothing to remove" in capsys.readouterr().out
    assert notebooks.is_dir()


def test_refuses_while_the_lab_still_answers(notebooks: Path, fake_apiserver: FakeApiServer,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    lab = notebooks / ".labs" / "03-internals"
    write_kubeconfig(lab / "cluster" / "kubeconfig", {"lab-03-internals": fake_apiserver.url}, "lab-03-internals")

    assert reset(notebooks, "03") == 1
    err = capsys.readouterr().err
    assert f"lesson 03's lab is still running: its cluster answers at {fake_apiserver.url}" in err
    assert "restart its kernel" in err and "Nothing was removed" in err
    assert lab.is_dir()

    fake_apiserver.close()
    assert reset(notebooks, "03") == 0
    assert "removed notebooks/.labs/03-internals/ (lab folder)" in capsys.readouterr().out
    assert not lab.exists()


def test_a_live_embedded_cluster_of_a_multi_cluster_lab_is_seen(notebooks: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    cluster = EmbeddedCluster("lab-03-internals-production",
                              workdir=notebooks / ".labs" / "03-internals" / "cluster-production")
    cluster.start()
    try:
        assert reset(notebooks, "03") == 1
    finally:
        cluster.stop()
    assert "still running" in capsys.readouterr().err
    assert reset(notebooks, "03") == 0


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_notebook_is_restored_from_git_and_the_learners_copy_kept(notebooks: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    git(notebooks.parent, "init", "-q", "-b", "main")
    git(notebooks.parent, "add", "notebooks")
    git(notebooks.parent, "commit", "-q", "-m", "lessons")
    path = notebooks / "03-internals.ipynb"
    stored = path.read_text()
    path.write_text(notebook("my notes"))

    assert reset(notebooks, "03", "--notebook") == 0
    out = capsys.readouterr().out
    assert ("restored notebooks/03-internals.ipynb from git; your version is in notebooks/03-internals.ipynb.bak"
            in out)
    assert path.read_text() == stored
    assert "my notes" in (notebooks / "03-internals.ipynb.bak").read_text()

    assert reset(notebooks, "03", "--notebook") == 0
    assert "kept notebooks/03-internals.ipynb: it is already the stored version" in capsys.readouterr().out

    path.write_text(notebook("second try"))
    assert reset(notebooks, "03", "--notebook") == 0
    assert "your version is in notebooks/03-internals.ipynb.bak2" in capsys.readouterr().out
    assert "my notes" in (notebooks / "03-internals.ipynb.bak").read_text()
    assert "second try" in (notebooks / "03-internals.ipynb.bak2").read_text()


def test_notebook_outside_git_is_left_alone_with_a_reason(notebooks: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(notebooks.parent))
    before = (notebooks / "01-kustomize.ipynb").read_text()
    work = make(notebooks / ".work" / "01")
    assert reset(notebooks, "01", "--notebook") == 1
    assert "is not in a git checkout" in capsys.readouterr().err
    assert (notebooks / "01-kustomize.ipynb").read_text() == before
    assert not list(notebooks.glob("*.bak")) and work.is_dir()


def test_refuses_while_a_kernel_holds_the_lab_folder(notebooks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    from workshop.labfolder import LabLock

    lab = make(notebooks / ".labs" / "03-internals" / "git").parent
    lock = LabLock(lab, "03-internals").acquire()
    try:
        assert reset(notebooks, "03") == 1
        err = capsys.readouterr().err
        assert f"lab folder notebooks/.labs/03-internals is held by process {os.getpid()}" in err
        assert "lab.stop()" in err and "Nothing was removed" in err
        assert lab.is_dir()
    finally:
        lock.release()
    assert reset(notebooks, "03") == 0
    assert not lab.exists()
