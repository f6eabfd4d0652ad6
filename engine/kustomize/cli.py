"""`python -m engine.kustomize build DIR`: print the build like `kustomize build`, errors as one line."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def _parse(argv: list[str]) -> str:
    """The directory of `build [DIR]`; anything else (help, unknown options) goes through argparse."""
    if argv and argv[0] == "build" and len(argv) <= 2 and not any(a.startswith("-") for a in argv[1:]):
        return argv[1] if len(argv) == 2 else "."
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m engine.kustomize", description="kustomize build in pure Python"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build a kustomization directory and print its objects as YAML")
    b.add_argument("dir", nargs="?", default=".", help="directory holding kustomization.yaml (default: .)")
    return str(parser.parse_args(argv).dir)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    directory = _parse(list(sys.argv[1:] if argv is None else argv))
    from . import build_result, render
    from .errors import KustomizeError

    try:
        result = build_result(directory, warn=lambda w: print(w, file=sys.stderr))
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
