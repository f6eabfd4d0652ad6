"""Notebook benchmark: wall time to execute each notebooks/NN-*.ipynb from a fresh kernel, as nbval does.

Each notebook runs in the `python3` kernel (the kit's venv) with notebooks/ as its working directory,
kernel start-up included; the stored file is not rewritten. The budget is 60 s per notebook on the
embedded cluster. nbval, a learner and this benchmark share the lab folders in notebooks/.labs/, so a
notebook whose lab cluster still answers (another kernel runs it) is not run but reported. Run alone with
`python -m bench notebooks`, or `python -m bench.notebooks_bench [NN ...]` for some lessons only.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
KERNEL = "python3"
BUDGET_S = 60.0
CELL_TIMEOUT_S = 300


def lesson_notebooks(folder: Path = NOTEBOOKS, only: list[str] | None = None) -> list[Path]:
    """The lesson notebooks (NN-*.ipynb) in lesson order; with only, the lessons whose number is listed."""
    found = sorted(folder.glob("[0-9][0-9]-*.ipynb"))
    if only:
        wanted = {n.zfill(2) for n in only}
        unknown = wanted - {p.name[:2] for p in found}
        if unknown:
            raise SystemExit(f"no lesson notebook for {', '.join(sorted(unknown))} in {folder}")
        found = [p for p in found if p.name[:2] in wanted]
    return found


def execute(path: Path, kernel: str = KERNEL) -> float:
    """Seconds to run every cell of the notebook at `path` in a new kernel; raises on the first failing cell."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name=kernel, timeout=CELL_TIMEOUT_S,
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()
    return time.perf_counter() - started


def running_elsewhere(path: Path) -> str | None:
    """Why this notebook must not run now (its lab cluster answers: another kernel has it open), else None."""
    from workshop.commands.reset import lesson, live_cluster

    live = live_cluster(lesson(path.parent, path.stem))
    return None if live is None else f"its lab is running elsewhere ({live[1]}); not run"


def _failure(exc: Exception) -> str:
    """`Error: message` of a failed cell (its exception inside the kernel), or of the failure itself."""
    name, value = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if name:
        return f"{name}: {value}"[:160]
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:160]


def run(folder: Path = NOTEBOOKS, only: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per notebook (seconds, budget 60 s; a failed one carries `error`), then the total."""
    rows: list[dict[str, Any]] = []
    total = 0.0
    for path in lesson_notebooks(folder, only):
        print(f"  {path.name} ...", end=" ", flush=True)
        busy = running_elsewhere(path)
        if busy:
            print("skipped", flush=True)
            rows.append({"name": path.stem, "value": None, "unit": "s", "target": BUDGET_S, "error": busy})
            continue
        try:
            seconds = execute(path)
        except Exception as exc:
            print("failed", flush=True)
            rows.append({"name": path.stem, "value": None, "unit": "s", "target": BUDGET_S,
                         "error": _failure(exc)})
            continue
        print(f"{seconds:.1f}s", flush=True)
        total += seconds
        rows.append({"name": path.stem, "value": seconds, "unit": "s", "target": BUDGET_S})
    failed = sum(1 for row in rows if row.get("error"))
    if failed:
        rows.append({"name": "all notebooks", "value": None, "unit": "s", "target": None,
                     "error": f"{failed} notebook(s) failed or not run, no total"})
    else:
        rows.append({"name": "all notebooks", "value": total, "unit": "s", "target": None})
    return rows


if __name__ == "__main__":
    results = run(only=sys.argv[1:])
    for row in results:
        value = "-" if row["value"] is None else f"{row['value']:.1f} s"
        print(f"{row['name']:<32} {value:>8}  {row.get('error', '')}")
    sys.exit(1 if any(row.get("error") for row in results) else 0)
