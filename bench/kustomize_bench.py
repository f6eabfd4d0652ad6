"""Whole-process time of `python -m engine.kustomize build` against `kubectl kustomize` on the same trees.

Trees: the workshop conformance case (000) and gen-large-tree.py's trees at 1,000 and 2,000 resources.
Prints the median wall time of each tool, the ratio (ours / kubectl) and peak RSS. Not a test.
Goals: <= 0.5x on the workshop tree, <= 0.15x on 1,000 resources, linear growth.
Run: `python bench/kustomize_bench.py [--runs N]` or as part of `python -m bench`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "conformance" / "kustomize"
GOALS = {"workshop (000)": 0.5, "generated 1000 resources": 0.15}


def _measure(cmd: list[str], runs: int) -> tuple[float, float, bytes]:
    """Median wall seconds, median peak RSS (MiB) and the stdout of the last run."""
    times, rss, out = [], [], b""
    for _ in range(runs):
        with tempfile.TemporaryFile() as fh:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.DEVNULL, cwd=REPO)
            _, status, usage = os.wait4(proc.pid, 0)
            times.append(time.perf_counter() - start)
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
            rss.append(usage.ru_maxrss / 1024)
            fh.seek(0)
            out = fh.read()
    return statistics.median(times), statistics.median(rss), out


def _trees(workdir: Path) -> list[tuple[str, Path]]:
    trees = [("workshop (000)", CORPUS / "000-workshop-nginx-dev" / "overlays" / "dev")]
    gen = CORPUS / "gen-large-tree.py"
    for count, apps in ((1000, 25), (2000, 50)):
        out = workdir / f"large-{count}"
        subprocess.run(
            [sys.executable, str(gen), str(out), "--bases", "20", "--apps-per-base", str(apps)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        trees.append((f"generated {count} resources", out / "overlay"))
    return trees


def measure(runs: int = 3) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, tree in _trees(Path(tmp)):
            ours_t, ours_rss, ours_out = _measure(
                [sys.executable, "-m", "engine.kustomize", "build", str(tree)], runs
            )
            row: dict[str, Any] = {"tree": label, "ours_s": ours_t, "ours_rss_mib": ours_rss}
            if kubectl:
                k_t, k_rss, k_out = _measure([kubectl, "kustomize", str(tree)], runs)
                row.update(
                    kubectl_s=k_t, kubectl_rss_mib=k_rss, ratio=ours_t / k_t, identical=ours_out == k_out
                )
            rows.append(row)
    return rows


def run() -> list[dict[str, Any]]:
    """Measurements for `python -m bench`."""
    out = []
    for row in measure(runs=3):
        out.append(
            {
                "name": f"kustomize build {row['tree']}",
                "value": row["ours_s"],
                "unit": "s",
                "target": None,
                "lower_is_better": True,
            }
        )
        if "ratio" in row:
            out.append(
                {
                    "name": f"kustomize build {row['tree']} vs kubectl",
                    "value": row["ratio"],
                    "unit": "x",
                    "target": GOALS.get(row["tree"]),
                    "lower_is_better": True,
                }
            )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per tool and tree (median is reported)")
    args = parser.parse_args()
    rows = measure(args.runs)
    print(
        f"{'tree':28} {'ours':>8} {'kubectl':>8} {'ratio':>7} {'goal':>6} {'ours RSS':>9} {'kubectl RSS':>11} identical"
    )
    for r in rows:
        goal = GOALS.get(r["tree"])
        print(
            f"{r['tree']:28} {r['ours_s']:7.2f}s {r.get('kubectl_s', float('nan')):7.2f}s "
            f"{r.get('ratio', float('nan')):6.2f}x {(f'{goal:.2f}x' if goal else '-'):>6} "
            f"{r['ours_rss_mib']:7.1f}Mi {r.get('kubectl_rss_mib', float('nan')):9.1f}Mi {r.get('identical', '-')}"
        )
    big = [r for r in rows if r["tree"].startswith("generated")]
    if len(big) == 2:
        print(f"growth 1000 -> 2000 resources: ours {big[1]['ours_s'] / big[0]['ours_s']:.2f}x", end="")
        if "kubectl_s" in big[0]:
            print(f", kubectl {big[1]['kubectl_s'] / big[0]['kubectl_s']:.2f}x", end="")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
