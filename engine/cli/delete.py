"""`gitops delete kustomization|source git|alert-provider|alert|receiver|image … NAME [-s]`, as flux does it.

flux asks `Are you sure you want to delete this <kind>` unless `-s/--silent` (any answer but y/yes, or no
terminal to answer from, aborts), then deletes the object. The controller's finalizer does the rest: a
Kustomization prunes what it applied (per `spec.prune` / `spec.deletionPolicy`), a GitRepository drops its
artifacts. When no `gitops run` holds the manager Lease, the CLI runs that finalization in-process; either way
the command returns once the object is gone.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from engine.cli.output import CLIError
from engine.cli.session import Session
from engine.cli.targets import Target, add_target_parsers
from engine.cli.wait import get_object, manager_running

FINALIZE_ATTEMPTS = 3
POLL = 0.2


def confirm(s: Session, question: str) -> bool:
    """flux's yes/no prompt (default no); stdin closed or not readable counts as no."""
    print(f"? {question}? [y/N] ", end="", file=s.printer.stream, flush=True)
    try:
        answer, echoed = sys.stdin.readline(), sys.stdin.isatty()
    except (OSError, ValueError):  # no stdin (captured, closed)
        answer, echoed = "", False
    if not (echoed and answer.endswith("\n")):  # a terminal echoes the Enter key; a pipe does not
        print(file=s.printer.stream)
    return answer.strip().lower() in ("y", "yes")


def finalize_in_process(s: Session, target: Target, name: str) -> None:
    """Run the controller's deletion path now (prune, artifact removal, finalizer) until the object is gone."""
    from engine.cli.controllers import register_installed

    manager = register_installed(s)
    if target.kind not in manager.reconcilers:
        raise CLIError(f"no controller for {target.kind} in this kit: its finalizer cannot be processed")
    error = ""
    for _ in range(FINALIZE_ATTEMPTS):
        if manager.get(target.kind, name, s.namespace) is None:
            return
        error = manager.reconcile(target.kind, name, s.namespace).error or ""
    if manager.get(target.kind, name, s.namespace) is not None:
        raise CLIError(f"{target.human} {name} is still being deleted: {error or 'finalizer not removed'}; "
                       "`gitops run` keeps retrying")


def wait_gone(s: Session, target: Target, name: str) -> None:
    """A running manager finalizes the object; wait until it has."""
    deadline = time.monotonic() + s.timeout
    while s.client.get(target.info.api_version, target.kind, name, s.namespace) is not None:
        if time.monotonic() > deadline:
            raise CLIError(f"timeout waiting for {target.human} {name} to be finalized: context deadline exceeded")
        time.sleep(POLL)


def cmd_delete(s: Session, args: argparse.Namespace) -> int:
    target: Target = args.target
    p = s.printer
    get_object(s, target.kind, args.name)
    if not args.silent and not confirm(s, f"Are you sure you want to delete this {target.human}"):
        raise CLIError("aborting")
    p.action(f"deleting {target.human} {args.name} in {s.namespace} namespace")
    s.client.delete(target.info.api_version, target.kind, args.name, s.namespace)
    if manager_running(s):
        wait_gone(s, target, args.name)
    else:
        finalize_in_process(s, target, args.name)
    p.success(f"{target.human} deleted")
    return 0


def _configure(p: argparse.ArgumentParser, target: Target) -> None:
    p.add_argument("name")
    p.add_argument("-s", "--silent", action="store_true", help="delete resource without asking for confirmation")
    p.set_defaults(func=cmd_delete)


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    verb = sub.add_parser("delete", parents=[common], help="delete sources and resources",
                          description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_target_parsers(verb, common, _configure)
