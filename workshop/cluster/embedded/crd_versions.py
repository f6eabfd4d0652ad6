"""Served CRD versions: the `Warning` header a real server sends on every request to a deprecated version."""

from __future__ import annotations

from .resources import ResourceInfo, _version_priority


def _older(a: str, b: str) -> bool:
    """CompareKubeAwareVersionStrings(a, b) < 0: GA > beta > alpha, then higher numbers."""
    return _version_priority(a) > _version_priority(b)


def deprecation_warning(info: ResourceInfo) -> str | None:
    """The warning text for a deprecated served version (its deprecationWarning or the server's default)."""
    version = info.crd_version
    if not version or not version.get("deprecated"):
        return None
    if isinstance(version.get("deprecationWarning"), str):
        return str(version["deprecationWarning"])
    spec = (info.crd or {}).get("spec") or {}
    msg = f"{info.group}/{info.version} {info.kind} is deprecated"
    newer = [str(v.get("name")) for v in spec.get("versions") or []
             if isinstance(v, dict) and v.get("served") and not v.get("deprecated")
             and _older(info.version, str(v.get("name")))]
    if newer:
        newer.sort(key=_version_priority)
        msg += f"; use {info.group}/{newer[0]} {info.kind}"
    return msg


def warning_header(text: str) -> tuple[str, str]:
    """A `Warning: 299 - "text"` header (quotes and backslashes escaped as the server does)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return ("Warning", f'299 - "{escaped}"')
