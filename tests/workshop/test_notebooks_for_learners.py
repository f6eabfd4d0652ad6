"""What a learner sees in the shipped notebooks: no test plumbing, text art that fits, a terminal line per lab."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def cells(notebook: Path, kind: str) -> list[dict]:
    return [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == kind]


def source(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.stem)
def test_no_test_plumbing_in_cells(notebook: Path) -> None:
    for cell in cells(notebook, "code"):
        text = source(cell)
        assert "NBVAL_" not in text, f"{notebook.name}: use the cell tag nbval-ignore-output, not a comment"
        assert "# noqa" not in text, f"{notebook.name}: a linter comment in a lesson cell: {text[:80]!r}"
        if "Lab.start(" in notebook.read_text():
            assert not re.search(r"os\.environ\[\s*['\"]PATH['\"]\s*\]\s*=", text), \
                f"{notebook.name}: Lab.start puts the kit's bin on PATH; no cell sets it by hand"


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.stem)
def test_text_art_fits_80_columns(notebook: Path) -> None:
    for cell in cells(notebook, "markdown"):
        for block in re.findall(r"```\n(.*?)```", source(cell), re.S):  # text art: blocks without a language
            wide = [line for line in block.splitlines() if len(line) > 80]
            assert not wide, f"{notebook.name}: {len(wide[0])} columns wraps in JupyterLab: {wide[0]!r}"


@pytest.mark.parametrize("notebook", [nb for nb in LESSONS if "Lab.start(" in nb.read_text()], ids=lambda p: p.stem)
def test_a_lesson_lab_prints_the_line_for_a_terminal(notebook: Path) -> None:
    starts = [c for c in cells(notebook, "code") if "Lab.start(" in source(c)]
    printed = "".join("".join(o.get("text", "")) for c in starts for o in c.get("outputs", []))
    assert f'terminal: eval "$(workshop env {notebook.name[:2]})"' in printed


def test_the_nbval_sanitizer_lives_with_the_tests() -> None:
    assert not (NOTEBOOKS / "sanitize.cfg").exists()
    assert (NOTEBOOKS.parent / "tests" / "nbval-sanitize.cfg").is_file()
