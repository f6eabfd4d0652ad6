"""`python -m bench`: discovery of bench/*_bench.py, the comparison table, and the reference run."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

import bench.__main__ as runner
from workshop.testing import FakeApiServer, write_kubeconfig


def test_discovers_the_apiserver_benchmark() -> None:
    assert "apiserver" in runner.discover()
    with pytest.raises(SystemExit, match="no module for nope"):
        runner.discover(["nope"])


def test_table_shows_value_reference_ratio_and_target() -> None:
    rows = [
        {"bench": "api", "name": "get p50", "value": 0.5, "unit": "ms", "target": 1.0, "lower_is_better": True},
        {"bench": "api", "name": "ssa p50", "value": 4.0, "unit": "ms", "target": 3.0, "lower_is_better": True},
        {"bench": "api", "name": "objects/s", "value": 900.0, "unit": "obj/s", "target": None,
         "lower_is_better": False},
    ]
    text = runner.table(rows, {"api/get p50": 1.0, "api/objects/s": 1200.0})
    lines = text.splitlines()
    assert lines[0].split() == ["bench", "metric", "value", "unit", "reference", "ratio", "target"]
    get, ssa, throughput = lines[2:]
    assert get.split()[-5:] == ["1", "0.50x", "<", "1", "ok"]
    assert ssa.rstrip().endswith("MISSED") and " - " in ssa
    assert "0.75x" in throughput


def test_main_runs_modules_and_stores_the_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "fake_bench.py").write_text("")
    module = types.ModuleType("bench.fake_bench")
    module.run = lambda: [{"name": "latency", "value": 2.0, "unit": "ms", "target": 5.0}]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench.fake_bench", module)
    monkeypatch.setattr(runner, "BENCH_DIR", tmp_path)
    monkeypatch.setattr(runner, "REFERENCE", tmp_path / "reference.json")
    monkeypatch.setattr(runner, "RESULTS", tmp_path / "results")
    assert runner.main(["--save-reference"]) == 0
    assert runner.load_reference(tmp_path / "reference.json") == {"fake/latency": 2.0}
    assert (tmp_path / "results" / "latest.json").is_file()
    module.run = lambda: [{"name": "latency", "value": 3.0, "unit": "ms", "target": 5.0}]  # type: ignore[attr-defined]
    assert runner.main([]) == 0
    assert "1.50x" in capsys.readouterr().out


def test_a_failing_module_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken_bench.py").write_text("")
    module = types.ModuleType("bench.broken_bench")

    def run() -> list[dict]:
        raise RuntimeError("server did not start")

    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench.broken_bench", module)
    monkeypatch.setattr(runner, "BENCH_DIR", tmp_path)
    monkeypatch.setattr(runner, "RESULTS", tmp_path / "results")
    assert runner.main([]) == 1


def test_discovers_the_notebooks_benchmark() -> None:
    assert "notebooks" in runner.discover()


def test_an_error_row_is_shown_as_failed_and_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "nb_bench.py").write_text("")
    module = types.ModuleType("bench.nb_bench")
    module.run = lambda: [  # type: ignore[attr-defined]
        {"name": "00-welcome", "value": 4.0, "unit": "s", "target": 60.0},
        {"name": "02-bootstrap", "value": None, "unit": "s", "target": 60.0, "error": "CellExecutionError: boom"},
    ]
    monkeypatch.setitem(sys.modules, "bench.nb_bench", module)
    monkeypatch.setattr(runner, "BENCH_DIR", tmp_path)
    monkeypatch.setattr(runner, "REFERENCE", tmp_path / "reference.json")
    monkeypatch.setattr(runner, "RESULTS", tmp_path / "results")
    assert runner.main([]) == 1
    captured = capsys.readouterr()
    welcome, bootstrap = captured.out.splitlines()[-2:]
    assert welcome.split()[-2:] == ["60", "ok"]
    assert bootstrap.endswith("FAILED: CellExecutionError: boom")
    assert "no measurement for nb/02-bootstrap" in captured.err


def test_saving_the_reference_for_some_modules_keeps_the_others(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("fast", "slow"):
        (tmp_path / f"{name}_bench.py").write_text("")
        module = types.ModuleType(f"bench.{name}_bench")
        module.run = lambda: [{"name": "t", "value": 1.0, "unit": "s"}]  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, f"bench.{name}_bench", module)
    monkeypatch.setattr(runner, "BENCH_DIR", tmp_path)
    monkeypatch.setattr(runner, "REFERENCE", tmp_path / "reference.json")
    monkeypatch.setattr(runner, "RESULTS", tmp_path / "results")
    assert runner.main(["--save-reference"]) == 0
    sys.modules["bench.fast_bench"].run = lambda: [{"name": "t", "value": 3.0, "unit": "s"}]  # type: ignore[attr-defined]
    assert runner.main(["fast", "--save-reference"]) == 0
    assert runner.load_reference(tmp_path / "reference.json") == {"fast/t": 3.0, "slow/t": 1.0}


def test_notebooks_bench_times_each_lesson_and_reports_a_failing_one(tmp_path: Path,
                                                                     fake_apiserver: FakeApiServer) -> None:
    import nbformat

    from bench import notebooks_bench

    def write(name: str, *code: str) -> None:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in code])
        nbformat.write(nb, tmp_path / name)

    write("00-ok.ipynb", "from pathlib import Path", "assert Path('README.md').is_file()")
    write("01-broken.ipynb", "raise ValueError('the lab did not start')")
    write("02-busy.ipynb", "lab = Lab.start('02-busy')", "open('ran.txt', 'w').close()")
    write_kubeconfig(tmp_path / ".labs" / "02-busy" / "cluster" / "kubeconfig", {"lab": fake_apiserver.url}, "lab")
    write("notes.ipynb", "raise SystemExit('not a lesson, never run')")
    (tmp_path / "README.md").write_text("# lessons\n")
    ok, broken, busy, total = notebooks_bench.run(tmp_path)
    assert ok["name"] == "00-ok" and ok["value"] > 0 and ok["target"] == 60.0 and "error" not in ok
    assert broken["name"] == "01-broken" and broken["value"] is None
    assert broken["error"] == "ValueError: the lab did not start"
    assert busy["value"] is None and busy["error"] == f"its lab is running elsewhere ({fake_apiserver.url}); not run"
    assert not (tmp_path / "ran.txt").exists()
    assert total["name"] == "all notebooks" and total["value"] is None
    assert total["error"] == "2 notebook(s) failed or not run, no total"
    assert nbformat.read(tmp_path / "00-ok.ipynb", as_version=4).cells[0].outputs == []


def test_notebooks_bench_runs_only_the_lessons_asked_for(tmp_path: Path) -> None:
    import nbformat

    from bench import notebooks_bench

    for name, code in (("00-ok.ipynb", "x = 1"), ("03-never.ipynb", "raise ValueError('ran')")):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), tmp_path / name)
    rows = notebooks_bench.run(tmp_path, only=["0"])
    assert [(r["name"], "error" in r) for r in rows] == [("00-ok", False), ("all notebooks", False)]
    with pytest.raises(SystemExit, match="no lesson notebook for 07"):
        notebooks_bench.run(tmp_path, only=["7"])
