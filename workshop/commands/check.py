"""`workshop check NN [PATH]`: run a lesson's exercise check from a terminal, as the notebook's check cell does."""

from __future__ import annotations

import argparse
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

#: lesson -> (check function in workshop.checks, the folder the notebook's exercise writes to, relative to notebooks/)
FILE_CHECKS = {
    "01": ("check_01", ".work/01/production"),
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("check", help="check a lesson's exercise: prints PASS or what is still missing")
    parser.add_argument("lesson", help="the lesson number, e.g. 01")
    parser.add_argument("path", nargs="?", help="the folder to check (default: the one the notebook uses)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    lesson = args.lesson.zfill(2)
    if lesson not in FILE_CHECKS:
        known = ", ".join(sorted(FILE_CHECKS))
        print(f"workshop check: no terminal check for lesson {lesson} (checks here: {known}); "
              f"run the check cell in notebook {lesson} instead")
        return 2
    name, default = FILE_CHECKS[lesson]
    from workshop import checks  # imported here: it needs git, which `workshop up` must not

    check = getattr(checks, name)
    result = check(Path(args.path) if args.path else NOTEBOOKS / default)
    print(result)
    return 0 if result.passed else 1
