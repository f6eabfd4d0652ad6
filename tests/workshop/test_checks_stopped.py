"""Every lab check run after the lesson's clean-up cell says the lab is stopped and how to start it again."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.checks import CheckResult, check_06
from workshop.checks_02 import check_02
from workshop.checks_03 import check_03
from workshop.checks_04 import check_04
from workshop.checks_05 import check_05
from workshop.checks_07 import check_07
from workshop.lab import Lab


@pytest.mark.parametrize("check", [check_02, check_03, check_04, check_05, check_06, check_07])
def test_a_check_on_a_stopped_lab_says_how_to_start_it_again(check, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lab = Lab.start("05-image-automation", root=tmp_path / "05-image-automation", quiet=True)
    lab.stop()
    result = check(lab)
    assert isinstance(result, CheckResult) and not result.passed
    assert result.problems == [
        "lab 05-image-automation is stopped (its clean-up cell, lab.stop(), ran), so there is nothing to check: "
        "run the set-up cell at the top of the notebook again (Lab.start('05-image-automation', ...)) and the "
        "lesson's cells from there, then this check"]
    assert str(result).splitlines()[0].endswith(": 1 thing(s) still to do")
