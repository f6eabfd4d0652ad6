"""`python -m bench` (`make bench`): run every bench/*_bench.py and compare with the stored reference run.

A benchmark module defines `run() -> list[dict]`; each dict is one measurement:
`{"name": str, "value": float, "unit": str, "target": float | None, "lower_is_better": bool}`, plus
`"error": str` (and value None) for a measurement that could not be taken: the table says FAILED and the
run exits 1. Modules are found by name (bench/<name>_bench.py); there is no list to edit.
The table shows each value beside the reference run's (bench/reference.json) and their ratio
(value / reference: below 1.0 is faster for lower-is-better metrics). `--save-reference` stores this run
(when only some modules ran, their values replace theirs in the reference and the others are kept).
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REFERENCE = BENCH_DIR / "reference.json"
RESULTS = BENCH_DIR / "results"


def discover(only: list[str] | None = None) -> list[str]:
    """Names of the benchmark modules present (`apiserver` for bench/apiserver_bench.py), sorted."""
    names = sorted(p.stem.removesuffix("_bench") for p in BENCH_DIR.glob("*_bench.py"))
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise SystemExit(f"bench: no module for {', '.join(unknown)}; present: {', '.join(names) or 'none'}")
        names = [n for n in names if n in only]
    return names


def run_module(name: str) -> list[dict[str, Any]]:
    """Import bench/<name>_bench.py and return its measurements, each tagged with the module name."""
    module = importlib.import_module(f"bench.{name}_bench")
    results = module.run()
    return [{"bench": name, "lower_is_better": True, "target": None, **r} for r in results]


def meets(row: dict[str, Any]) -> str:
    if row.get("error"):
        return f"FAILED: {row['error']}"
    target = row.get("target")
    if target is None or row.get("value") is None:
        return ""
    ok = row["value"] <= target if row["lower_is_better"] else row["value"] >= target
    return "ok" if ok else "MISSED"


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def table(rows: list[dict[str, Any]], reference: dict[str, float]) -> str:
    """A plain-text table: benchmark, metric, value, reference, ratio, target, verdict."""
    header = ["bench", "metric", "value", "unit", "reference", "ratio", "target", ""]
    lines = [header]
    for row in rows:
        key = f"{row['bench']}/{row['name']}"
        ref = reference.get(key)
        value = row.get("value")
        ratio = f"{value / ref:.2f}x" if ref and value is not None else "-"
        target = row.get("target")
        target_text = ("< " if row["lower_is_better"] else "> ") + _fmt(target) if target is not None else ""
        lines.append([row["bench"], row["name"], _fmt(value), row.get("unit", ""), _fmt(ref), ratio,
                      target_text, meets(row)])
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    out = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def load_reference(path: Path | None = None) -> dict[str, float]:
    """The stored reference run as {"bench/metric": value} (empty when none is stored)."""
    path = path or REFERENCE
    if not path.is_file():
        return {}
    return {k: float(v) for k, v in json.loads(path.read_text()).get("results", {}).items()}


def save(rows: list[dict[str, Any]], path: Path, keep: dict[str, float] | None = None) -> None:
    """Write the run to path; `keep` holds earlier results (of modules that did not run) to carry over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ran = {row["bench"] for row in rows}
    results = {k: v for k, v in (keep or {}).items() if k.split("/", 1)[0] not in ran}
    results.update({f"{r['bench']}/{r['name']}": r["value"] for r in rows if r.get("value") is not None})
    data = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
        "results": results,
    }
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--save-reference", action="store_true", help=f"store this run as {REFERENCE.name}")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    failed = []
    for name in discover(args.only):
        print(f"running bench/{name}_bench.py ...", flush=True)
        try:
            rows.extend(run_module(name))
        except Exception:
            failed.append(name)
            traceback.print_exc()
    print()
    print(table(rows, load_reference()))
    save(rows, RESULTS / "latest.json")
    if args.save_reference:
        save(rows, REFERENCE, keep=load_reference() if args.only else None)
        print(f"\nstored as the reference run: {REFERENCE}")
    if failed:
        print(f"\nbench: {', '.join(failed)} failed (traceback above)", file=sys.stderr)
    errors = [f"{r['bench']}/{r['name']}" for r in rows if r.get("error")]
    if errors:
        print(f"\nbench: no measurement for {', '.join(errors)} (FAILED rows above)", file=sys.stderr)
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
