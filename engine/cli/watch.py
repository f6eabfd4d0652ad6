"""`--watch` for `gitops get …` and `gitops events`: print a row whenever an object changes, as flux's watches do.

flux opens a Kubernetes watch and prints one table row per event: the first with the header, the later ones
without (each row is its own table, so columns are as wide as that row). Here the cluster is polled: every
object is reported once at the start (a watch's initial ADDED events), then again each time its
`resourceVersion` changes. The watch ends after `--timeout` with flux's error (`timed out waiting for the
condition`), or on Ctrl-C.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from engine.cli.output import CLIError, table

Key = tuple[str, ...]
Change = tuple[Key, str, list[str]]  # identity, resourceVersion, table row
POLL_SECONDS = 0.5


def print_row(header: list[str] | None, row: list[str]) -> None:
    """One row as its own table: with the header (first row) or without it."""
    if header:
        print(table(header, [row]), end="", flush=True)
    else:
        print(table([""] * len(row), [row]).split("\n", 1)[1], end="", flush=True)


def watch_rows(poll: Callable[[], list[Change]], header: list[str] | None, timeout: float, *,
               interval: float = POLL_SECONDS, clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep) -> int:
    """Poll until `timeout`, printing the row of each new or changed object."""
    seen: dict[Key, str] = {}
    first = True
    deadline = clock() + timeout
    try:
        while True:
            for key, version, row in poll():
                if seen.get(key) == version:
                    continue
                seen[key] = version
                print_row(header if first else None, row)
                first = False
            if clock() >= deadline:
                raise CLIError("timed out waiting for the condition")
            sleep(min(interval, max(deadline - clock(), 0.0)))
    except KeyboardInterrupt:
        return 0
