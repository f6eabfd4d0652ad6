"""What every `gitops create <kind>` shares: flag values as flux parses them (durations, comma lists,
`Kind/name`) and flux's create flow (generate, apply, wait for Ready, or print the `--export` YAML)."""

from __future__ import annotations

import argparse
from typing import Any

from engine.api.duration import DurationError, format_duration, parse_duration
from engine.cli.output import CLIError, export
from engine.cli.session import Session
from engine.cli.wait import apply_object, reconcile_and_wait
from engine.client import NoMatchError


def duration(text: str, flag: str) -> str:
    try:
        return format_duration(parse_duration(text))
    except DurationError:
        raise CLIError(f'invalid argument "{text}" for "{flag}" flag: time: invalid duration "{text}"') from None


def comma_list(values: list[str]) -> list[str]:
    """A repeatable flag that also accepts comma-separated values (cobra's StringSlice)."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def kind_name(text: str) -> tuple[str, str]:
    """`Kind/name` -> (kind, name); no slash -> ("", text), as flux's ParseObjectKindName."""
    parts = text.split("/")
    return (parts[0], parts[1]) if len(parts) == 2 else ("", text)


def kind_names(values: list[str]) -> list[tuple[str, str]]:
    """The `Kind/name` items of a repeatable comma-list flag (--event-source, --resource)."""
    pairs = [kind_name(item) for item in comma_list(values)]
    for kind, name in pairs:
        if not kind:
            raise CLIError(f"invalid event source '{name}', must be in format <kind>/<name>")
    return pairs


def apply_and_wait(s: Session, obj: dict[str, Any], label: str = "", *, quote: bool = False,
                   prepare: Any = None) -> dict[str, Any]:
    """flux's create flow: generate, (`prepare()`, e.g. a credentials Secret), apply, wait for Ready (progress lines
    name `label`, default the kind); the live object. `quote`: a failure's message in quotes, as `flux create
    source git`."""
    kind, name = obj["kind"], obj["metadata"]["name"]
    label = label or kind
    p = s.printer
    p.generate(f"generating {label}")
    if prepare is not None:
        prepare()
    p.action(f"applying {label}")
    try:
        created = apply_object(s, obj)
    except NoMatchError as err:
        raise CLIError(f"{err}: the {kind} CRD is not installed, run `gitops install` "
                       "(image kinds: `gitops install --components-extra=image-reflector-controller,"
                       "image-automation-controller`)") from None
    p.success(f"{label} {'created' if created else 'updated'}")
    p.waiting(f"waiting for {label} reconciliation")
    return reconcile_and_wait(s, kind, name, quote=quote)


def is_ready(s: Session, live: dict[str, Any]) -> None:
    s.printer.success(f"{live['kind']} {live['metadata']['name']} is ready")


def create_command(build: Any, after: Any = is_ready, label: str = "", *, quote: bool = False,
                   prepare: Any = None) -> Any:
    """A `create` verb: print the export, or apply, wait and let `after(session, live)` print the last lines;
    `prepare(session, args, obj)` runs between generating and applying (not for --export)."""
    def run(s: Session, args: argparse.Namespace) -> int:
        obj = build(s, args)
        if args.export:
            print(export([obj]), end="")
            return 0
        ready = (lambda: prepare(s, args, obj)) if prepare is not None else None
        after(s, apply_and_wait(s, obj, label, quote=quote, prepare=ready))
        return 0
    return run


def create_parser(sub: Any, name: str, common: argparse.ArgumentParser, help_: str, command: Any,
                  **options: Any) -> argparse.ArgumentParser:
    """A `create <kind>` sub-command taking NAME and --export; the caller adds the kind's own flags."""
    p: argparse.ArgumentParser = sub.add_parser(name, parents=[common], help=help_, **options)
    p.add_argument("name")
    p.add_argument("--export", action="store_true")
    p.set_defaults(func=command)
    return p
