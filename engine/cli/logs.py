"""`gitops logs`: the controllers' JSON-lines log, printed and filtered as `flux logs` does.

flux reads the controller pods' logs; this kit has no controller pods, so every manager the CLI starts
(`gitops run`, and the in-process reconcile of `gitops reconcile/create/resume/delete`) appends its JSON lines to
one file per cluster: `$GITOPS_DATA_DIR/logs/<api-server host>-<port>.jsonl`
(default data dir `~/.local/share/gitops-workshop`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from engine.api.duration import DurationError, parse_duration
from engine.cli.output import CLIError
from engine.cli.session import Session
from engine.jsonobj import Obj
from engine.paths import log_file

LEVELS = ("debug", "info", "error")
FOLLOW_POLL = 0.2
HELP = (f"{__doc__.split(chr(10), 1)[1].strip()}\n\n"
        "Lines print as `<ts> <level> <Kind>/<name>.<namespace> - <msg> <error>`; without -A only objects of\n"
        "--namespace are shown.")


def log_path(s: Session) -> Path:
    """The log file of the cluster the session's kubeconfig/context points at."""
    return log_file(s.client.api_client.configuration.host)


def kind_of(entry: Obj) -> str:
    return str(entry.get("controllerKind") or entry.get("reconciler kind") or "")


def format_entry(entry: Obj) -> str:
    """flux's template: `{ts} {level} {Kind}[/{name}.{namespace}] - {msg} {error}`."""
    name = entry.get("name") or ""
    obj = kind_of(entry) + (f"/{name}.{entry.get('namespace') or ''}" if name else "")
    return f"{entry.get('ts', '')} {entry.get('level', '')} {obj} - {entry.get('msg', '')} {entry.get('error') or ''}"


def parse_lines(lines: Iterable[str]) -> Iterator[Obj]:
    """JSON objects from log lines; other lines (partial writes, stray text) are skipped."""
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


def _timestamp(entry: Obj) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(entry.get("ts", "")).replace("Z", "+00:00"))
    except ValueError:
        return None


class Filter:
    """`--level`, `--kind`, `--name` (case-insensitive), namespace unless -A, `--since`/`--since-time`."""

    def __init__(self, s: Session, args: argparse.Namespace) -> None:
        self.level = args.level
        self.kind = (args.kind or "").lower()
        self.name = (args.name or "").lower()
        self.namespace = None if s.all_namespaces else s.namespace.lower()
        self.since = since(args)

    def __call__(self, entry: Obj) -> bool:
        if self.level and entry.get("level") != self.level:
            return False
        if self.kind and kind_of(entry).lower() != self.kind:
            return False
        if self.name and str(entry.get("name") or "").lower() != self.name:
            return False
        if self.namespace is not None and str(entry.get("namespace") or "").lower() != self.namespace:
            return False
        if self.since is not None:
            when = _timestamp(entry)
            return when is not None and when >= self.since
        return True


def since(args: argparse.Namespace) -> dt.datetime | None:
    if args.since and args.since_time:
        raise CLIError("at most one of `sinceTime` or `sinceSeconds` may be specified")
    if args.since:
        try:
            return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=round(parse_duration(args.since)))
        except DurationError as err:
            raise CLIError(f'invalid argument "{args.since}" for "--since" flag: {err}') from None
    if args.since_time:
        try:
            when = dt.datetime.fromisoformat(args.since_time.replace("Z", "+00:00"))
        except ValueError:
            raise CLIError(f"{args.since_time} is not a valid (RFC3339) time") from None
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return None


def cmd_logs(s: Session, args: argparse.Namespace) -> int:
    path = log_path(s)
    keep = Filter(s, args)
    if not path.exists() and not args.follow:
        raise CLIError(f"no controller logs for this cluster yet: start the controllers with `gitops run` "
                       f"(they write {path})")
    data = path.read_bytes() if path.exists() else b""
    offset = data.rfind(b"\n") + 1
    entries = [e for e in parse_lines(data[:offset].decode("utf-8", "replace").splitlines()) if keep(e)]
    if args.tail is not None and args.tail >= 0:
        entries = entries[len(entries) - args.tail:] if args.tail else []
    for entry in entries:
        print(format_entry(entry), flush=True)
    if args.follow:
        follow(path, offset, keep, args.exit_after)
    return 0


def follow(path: Path, offset: int, keep: Filter, exit_after: float | None) -> None:
    """Print lines appended after `offset` (bytes of complete lines already read) until Ctrl-C."""
    end = time.monotonic() + exit_after if exit_after is not None else None
    pending = b""
    while end is None or time.monotonic() < end:
        if path.exists():
            with path.open("rb") as src:
                src.seek(offset)
                chunk = src.read()
            offset += len(chunk)
            pending += chunk
            *lines, rest = pending.split(b"\n")
            pending = rest
            for entry in parse_lines(line.decode("utf-8", "replace") for line in lines):
                if keep(entry):
                    print(format_entry(entry), flush=True)
        time.sleep(FOLLOW_POLL)


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("logs", parents=[common], help="display formatted logs of the engine's controllers",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--level", choices=LEVELS, help="log level: debug|info|error")
    p.add_argument("--kind", help="displays logs of a particular toolkit kind e.g. GitRepository")
    p.add_argument("--name", help="specifies the name of the object logs to be displayed")
    p.add_argument("-f", "--follow", action="store_true", help="specifies if the logs should be streamed")
    p.add_argument("--tail", type=int, default=-1, help="the last N matching lines to display (default all)")
    p.add_argument("--since", help="only logs newer than a relative duration like 5s, 2m or 3h")
    p.add_argument("--since-time", help="only logs after a specific date (RFC3339)")
    p.add_argument("--exit-after", type=float, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_logs)
