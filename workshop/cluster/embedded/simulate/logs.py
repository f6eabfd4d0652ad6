"""What a simulated container prints: deterministic, plausible log lines for the images the lessons run (nginx,
redis, postgres, shell commands with echo/date, the kit's own web images), timed from the container's start."""

from __future__ import annotations

import re
import shlex
from datetime import datetime, timedelta
from typing import Any

from .common import parse_timestamp

Line = tuple[datetime, str]


def _words(container: dict[str, Any]) -> list[str]:
    return [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]


def _script(container: dict[str, Any]) -> str:
    """The shell text a container runs (`sh -c '<script>'`), or its command line."""
    words = _words(container)
    for i, w in enumerate(words[:-1]):
        if w in ("-c", "-ec", "-ce") and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash", "dash"):
            return words[i + 1]
    return " ".join(shlex.quote(w) for w in words)


def _shell_output(script: str, start: datetime) -> list[str]:
    """The output of the echo/printf/date commands of a simple script (loops print their body once)."""
    out: list[str] = []
    for part in re.split(r"[;&|\n]+", script):
        try:
            tokens = shlex.split(part.strip())
        except ValueError:
            tokens = part.split()
        while tokens and tokens[0] in ("do", "then", "else", "done", "fi", "{", "}"):
            tokens.pop(0)  # shell keywords: a loop's body prints once
        if not tokens:
            continue
        cmd = tokens[0].rsplit("/", 1)[-1]
        if cmd == "echo":
            args = [t for t in tokens[1:] if t not in ("-n", "-e")]
            out.append(" ".join(args))
        elif cmd == "printf" and len(tokens) > 1:
            out.extend(t for t in tokens[1].replace("\\n", "\n").split("\n") if t)
        elif cmd == "date":
            out.append(f"{start.strftime('%a %b')} {start.day:2d} {start.strftime('%H:%M:%S')} UTC {start.year}")
    return out


def _nginx(image: str, start: datetime) -> list[str]:
    version = _tag(image) or "1.27.3"
    if not re.fullmatch(r"\d+(\.\d+)*(-\w+)?", version):
        version = "1.27.3"
    version = version.split("-")[0]
    if version.count(".") < 2:
        version += ".0" * (2 - version.count("."))
    stamp = start.strftime("%Y/%m/%d %H:%M:%S")
    entry = "/docker-entrypoint.sh"
    return [
        f"{entry}: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
        f"{entry}: Looking for shell scripts in /docker-entrypoint.d/",
        f"{entry}: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
        "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
        "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
        f"{entry}: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
        f"{entry}: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
        f"{entry}: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
        f"{entry}: Configuration complete; ready for start up",
        f'{stamp} [notice] 1#1: using the "epoll" event method',
        f"{stamp} [notice] 1#1: nginx/{version}",
        f"{stamp} [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14)",
        f"{stamp} [notice] 1#1: OS: Linux 6.1.0-lab",
        f"{stamp} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576",
        f"{stamp} [notice] 1#1: start worker processes",
        f"{stamp} [notice] 1#1: start worker process 29",
        f"{stamp} [notice] 1#1: start worker process 30",
    ]


def _redis(image: str, start: datetime) -> list[str]:
    version = _tag(image) or "7.2.4"
    stamp = start.strftime("%d %b %Y %H:%M:%S.000")
    return [f"1:C {stamp} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
            f"1:C {stamp} * Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, just started",
            f"1:C {stamp} # Warning: no config file specified, using the default config.",
            f"1:M {stamp} * monotonic clock: POSIX clock_gettime",
            f"1:M {stamp} * Running mode=standalone, port=6379.",
            f"1:M {stamp} * Server initialized",
            f"1:M {stamp} * Ready to accept connections tcp"]


def _postgres(image: str, start: datetime) -> list[str]:
    stamp = start.strftime("%Y-%m-%d %H:%M:%S.000 UTC")
    return [f"{stamp} [1] LOG:  starting PostgreSQL {_tag(image) or '16'} on x86_64-pc-linux-gnu",
            f'{stamp} [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432',
            f'{stamp} [1] LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"',
            f"{stamp} [1] LOG:  database system is ready to accept connections"]


def _web(image: str, container: dict[str, Any]) -> list[str]:
    """The kit's own images (pushed to the lab registry): a small web server that says what it serves."""
    name = image.rsplit("/", 1)[-1].split(":")[0].split("@")[0]
    ports = [p.get("containerPort") for p in container.get("ports") or [] if isinstance(p, dict)]
    port = ports[0] if ports else 8080
    return [f"{name} {_tag(image) or 'latest'} starting", f"listening on :{port}"]


def _tag(image: str) -> str:
    last = image.rsplit("/", 1)[-1].split("@")[0]
    return last.split(":", 1)[1] if ":" in last else ""


def output(pod: dict[str, Any], container: dict[str, Any], start: datetime, *, crashed: bool = False) -> list[Line]:
    """The lines one run of a container prints, each stamped (one millisecond apart from its start)."""
    image = str(container.get("image") or "")
    base = image.rsplit("/", 1)[-1].split(":")[0].split("@")[0]
    words = _words(container)
    if words:
        lines = _shell_output(_script(container), start)
        if crashed and not lines:
            lines = [f"{words[0].rsplit('/', 1)[-1]}: exited with an error"]
    elif base == "nginx" or "nginx" in base:
        lines = _nginx(image, start)
    elif base == "redis":
        lines = _redis(image, start)
    elif base == "postgres":
        lines = _postgres(image, start)
    elif image.startswith(("127.0.0.1", "localhost")) or base in ("web", "api", "podinfo"):
        lines = _web(image, container)
    else:
        lines = []
    return [(start + timedelta(milliseconds=i), line) for i, line in enumerate(lines)]


def instance_start(state: dict[str, Any]) -> datetime | None:
    """When a container state (running or terminated) started."""
    for key in ("running", "terminated"):
        inner = state.get(key)
        if isinstance(inner, dict) and inner.get("startedAt"):
            return parse_timestamp(str(inner["startedAt"]))
    return None
