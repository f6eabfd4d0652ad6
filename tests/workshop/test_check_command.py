"""`workshop check 01` runs the same check as notebook 01's check cell."""

from pathlib import Path

import pytest

from workshop.cli import main

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_check_01_passes_on_the_solution(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import runpy
    import sys

    from tests.workshop.test_checks import BASE_DEPLOYMENT

    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "deployment.yaml").write_text(BASE_DEPLOYMENT)
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n- deployment.yaml\n")
    argv = sys.argv
    sys.argv = ["01_production_overlay.py", str(tmp_path)]
    try:
        runpy.run_path(str(NOTEBOOKS / "solutions" / "01_production_overlay.py"), run_name="__main__")
    finally:
        sys.argv = argv
    capsys.readouterr()
    assert main(["check", "01", str(tmp_path / "production")]) == 0
    assert capsys.readouterr().out.startswith("PASS: ")


def test_check_01_says_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "1", str(tmp_path / "nothing-here")]) == 1
    assert capsys.readouterr().out.startswith("NOT YET: ")


def test_unknown_lesson(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "42"]) == 2
    assert "no terminal check for lesson 42" in capsys.readouterr().out
