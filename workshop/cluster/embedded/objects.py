"""Small helpers on plain JSON objects: fast copies, timestamps, identity, deterministic names."""

from __future__ import annotations

import datetime as _dt
import hashlib
import uuid

from engine.jsonobj import Obj
from engine.patch.jsondata import clone as clone

NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def rfc3339(t: _dt.datetime) -> str:
    return t.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> _dt.datetime | None:
    if not value:
        return None
    try:
        return _dt.datetime.strptime(value.replace(".000000", "")[:20].rstrip("Z") + "Z",
                                     "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.UTC)
    except ValueError:
        try:
            return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None


def deterministic_uid(seed: str, n: int) -> str:
    """A uuid4-shaped uid derived from a counter, so a fresh lab always hands out the same uids."""
    digest = hashlib.sha256(f"{seed}:{n}".encode()).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4))


def name_suffix(seed: str, length: int = 5) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(NAME_ALPHABET[b % len(NAME_ALPHABET)] for b in digest[:length])


def meta(obj: Obj) -> Obj:
    """The object's metadata dict (created when missing)."""
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = {}
        obj["metadata"] = m
    return m


def human_duration(seconds: float) -> str:
    """Kubernetes' HumanDuration: 5s, 3m4s, 2d5h, 16535h style."""
    s = int(seconds)
    if s < 0:
        s = 0
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rem = s % 60
        return f"{minutes}m{rem}s" if rem else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rem = (s % 3600) // 60
        return f"{hours}h{rem}m" if rem else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rem = hours % 24
        return f"{hours // 24}d{rem}h" if rem else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24
        rem = days % 365
        return f"{days // 365}y{rem}d" if rem else f"{days // 365}y"
    return f"{hours // 24 // 365}y"


def age(timestamp: str | None, at: _dt.datetime | None = None) -> str:
    t = parse_time(timestamp)
    if t is None:
        return "<unknown>"
    return human_duration(((at or now()) - t).total_seconds())
