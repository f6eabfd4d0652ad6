"""`workshop env [NN]`: the shell lines that point a terminal at a lab, for `eval "$(workshop env 03)"`.

With a lesson number, the lab that lesson's notebook runs (its `<lab folder>/env.sh`, written by Lab.start);
without one, the cluster `workshop up` started. Only shell code goes to stdout, so `eval` is safe; when there is
no running lab the reason and what to do go to stderr and the exit code is 1.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from workshop.commands.reset import NOTEBOOKS, lesson
from workshop.labfolder import ENV_FILE, holder_of


class EnvError(Exception):
    """No running lab to point at; the message says how to start one."""


def kit_bin() -> Path:
    """The folder holding the kit's console scripts (gitops, workshop, and kubectl after `make setup`)."""
    return Path(sys.executable).parent


def lesson_env(notebooks: Path, wanted: str) -> str:
    """The env.sh of the running lab of lesson `wanted`; EnvError when none runs."""
    chosen = lesson(notebooks, wanted)
    stale: Path | None = None
    for folder in chosen.labs.values():
        script = folder / ENV_FILE
        if not script.is_file():
            continue
        if holder_of(folder) is None:
            stale = folder
            continue
        return script.read_text()
    first_cell = f"run the first code cell of notebooks/{chosen.notebook.name} (Lab.start)"
    if stale is not None:
        raise EnvError(f"lesson {chosen.number}'s lab in {stale} is not running any more (its kernel ended "
                       f"without lab.stop()): {first_cell}, then run this command again")
    raise EnvError(f"lesson {chosen.number}'s lab is not running: {first_cell}, then run this command again")


def up_env() -> str:
    """Shell lines for the cluster `workshop up` started; EnvError when none is up."""
    from workshop.cli import LabState, lab_home

    state = LabState.load(lab_home())
    if state is None:
        raise EnvError("no lab cluster is up: start one with `workshop up`, or name a lesson whose notebook runs "
                       "a lab: `workshop env 03`")
    q = shlex.quote
    path = q(str(kit_bin()))
    return (f"# Points this shell at the {state.backend} cluster {state.name!r} that `workshop up` started.\n"
            f"export KUBECONFIG={q(state.kubeconfig)}\n"
            f'case ":$PATH:" in *:{path}:*) ;; *) export PATH={path}:"$PATH" ;; esac\n')


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("env", help='print the shell lines that point a terminal at a lab: eval "$(workshop env 03)"')
    parser.add_argument("lesson", nargs="?", help="a lesson number (its notebook's running lab); "
                                                  "default: the cluster `workshop up` started")
    parser.add_argument("--notebooks", metavar="DIR", type=Path, default=NOTEBOOKS,
                        help="the notebooks folder (default: the kit's notebooks/)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        text = lesson_env(Path(args.notebooks), args.lesson) if args.lesson else up_env()
    except LookupError as exc:
        print(f"workshop env: {exc.args[0]}", file=sys.stderr)
        return 2
    except EnvError as exc:
        print(f"workshop env: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    if os.isatty(1):
        print(f'# to use it: eval "$(workshop env{" " + args.lesson if args.lesson else ""})"', file=sys.stderr)
    return 0
