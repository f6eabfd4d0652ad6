"""Go durations: parse `1m30s`-style intervals and print them as Go's `time.Duration.String()` does."""

from __future__ import annotations

import re

DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"
TIMEOUT_PATTERN = r"^([0-9]+(\.[0-9]+)?(ms|s|m))+$"
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class DurationError(ValueError):
    """A duration string does not match Go's syntax."""


def parse_duration(text: str) -> float:
    """Seconds in a Go duration like `5m`, `1m30s`, `500ms`."""
    if not isinstance(text, str) or not re.fullmatch(DURATION_PATTERN, text):
        raise DurationError(f"invalid duration {text!r}: use a Go duration such as 30s, 5m or 1h0m0s")
    return sum(float(n) * _UNIT[u] for n, u in _PART.findall(text))


def _trim(value: str) -> str:
    return value.rstrip("0").rstrip(".") if "." in value else value


def format_duration(seconds: float) -> str:
    """Go's `time.Duration.String()`: `5m0s`, `1h0m0s`, `1.5s`, `502.123456ms`, `850µs`, `0s`."""
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_trim(f'{ns / 1e3:.3f}')}µs"
    if ns < 1_000_000_000:
        return f"{sign}{_trim(f'{ns / 1e6:.6f}')}ms"
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    secs = _trim(f"{rest / 1e9:.9f}")
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"


def spec_interval(obj: dict, default: float = 600.0) -> float:
    """An object's spec.interval in seconds; `default` when it is missing, zero or not a Go duration."""
    try:
        return parse_duration(str((obj.get("spec") or {}).get("interval") or "")) or default
    except ValueError:
        return default
