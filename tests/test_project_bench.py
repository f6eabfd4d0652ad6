"""`python -m bench`: discovery of bench/*_bench.py, the comparison table, and the reference run."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

import bench.__main__ as runner


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
