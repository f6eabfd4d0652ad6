"""`python -m engine.kustomize build DIR`: print the build like `kustomize build`, errors as one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import build_result, render
from .errors import KustomizeError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m engine.kustomize", description="kustomize build in pure Python"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build a kustomization directory and print its objects as YAML")
    b.add_argument("dir", nargs="?", default=".", help="directory holding kustomization.yaml (default: .)")
    args = parser.parse_args(argv)
    try:
        result = build_result(args.dir, warn=lambda w: print(w, file=sys.stderr))
        text = render(result.objects)
    except KustomizeError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    except RecursionError:
        print("Error: the kustomization nests too deeply (a reference cycle?)", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0
