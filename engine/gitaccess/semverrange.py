"""Masterminds-style semver constraints (`>=1.0.0 <2.0.0`, `^1.2`, `~1.2.3`, `1.x`, `1.2 - 1.4`, `a || b`)."""

from __future__ import annotations

import re

import semver

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$")
_CLAUSE = re.compile(r"^\s*(=|!=|>=|<=|>|<|~>|~|\^)?\s*v?([0-9xX*]+(?:\.[0-9xX*]+){0,2}(?:-[0-9A-Za-z.-]+)?)\s*$")


class ConstraintError(ValueError):
    """A semver range cannot be parsed."""


def parse_version(text: str) -> semver.Version | None:
    """A tag as a version (leading `v` and missing minor/patch allowed), or None."""
    m = _VERSION.match(text.strip())
    if not m:
        return None
    major, minor, patch, pre, build = m.groups()
    return semver.Version(int(major), int(minor or 0), int(patch or 0), pre, build)


def _bounds(op: str, ver: str) -> list[tuple[str, semver.Version]]:
    core, _, pre = ver.partition("-")
    nums = core.split(".")
    wild = [n.lower() in ("x", "*") for n in nums]
    fixed = [int(n) for n, w in zip(nums, wild, strict=True) if not w]
    if wild and wild[0] or not fixed:
        return [] if op in ("", "=", ">=", "<=", "^", "~", "~>") else [("<", semver.Version(0, 0, 0))]
    while len(fixed) < 3 and (len(fixed) < len(nums) and not wild[len(fixed)]):
        fixed.append(0)
    exact = len(fixed) == 3 and not any(wild)
    major, minor, patch = (fixed + [0, 0, 0])[:3]
    base = semver.Version(major, minor, patch, prerelease=pre or None)
    if op in ("", "=") and not exact:
        op = "~" if len(fixed) == 2 else "^x"
    if op in ("", "="):
        return [("=", base)]
    if op == "!=":
        return [("!=", base)]
    if op in ("~", "~>"):
        upper = base.bump_minor() if len(fixed) >= 2 else base.bump_major()
        return [(">=", base), ("<", upper)]
    if op == "^x":
        return [(">=", base), ("<", base.bump_major())]
    if op == "^":
        if base.major > 0 or len(fixed) == 1:
            upper = base.bump_major()
        elif base.minor > 0 or len(fixed) == 2:
            upper = base.bump_minor()
        else:
            upper = base.bump_patch()
        return [(">=", base), ("<", upper)]
    if op == ">" and not exact:
        return [(">=", base.bump_minor() if len(fixed) == 2 else base.bump_major())]
    if op == "<=" and not exact:
        return [("<", base.bump_minor() if len(fixed) == 2 else base.bump_major())]
    return [(op, base)]


def _check(op: str, bound: semver.Version, v: semver.Version) -> bool:
    c = v.compare(bound)
    return {"=": c == 0, "!=": c != 0, ">": c > 0, "<": c < 0, ">=": c >= 0, "<=": c <= 0}[op]


class Constraint:
    """A parsed range; `allows(version)` follows Masterminds (pre-releases only when the range names one)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.alternatives: list[list[tuple[str, semver.Version]]] = []
        self.has_pre = "-" in re.sub(r"\s-\s", " ", text)
        for alt in text.split("||"):
            alt = alt.strip()
            hyphen = re.match(r"^(\S+)\s+-\s+(\S+)$", alt)
            if hyphen:
                clauses = _bounds(">=", hyphen.group(1).lstrip("v")) + _bounds("<=", hyphen.group(2).lstrip("v"))
            else:
                clauses = []
                tokens = re.findall(r"(?:=|!=|>=|<=|>|<|~>|~|\^)?\s*[^\s,]+", alt.replace(",", " "))
                if not tokens:
                    raise ConstraintError(f"improper constraint: {text}")
                for token in tokens:
                    m = _CLAUSE.match(token)
                    if not m:
                        raise ConstraintError(f"improper constraint: {text}")
                    clauses += _bounds(m.group(1) or "", m.group(2))
            self.alternatives.append(clauses)

    def allows(self, v: semver.Version) -> bool:
        if v.prerelease and not self.has_pre:
            return False
        return any(all(_check(op, b, v) for op, b in alt) for alt in self.alternatives)


def highest_match(constraint: str, tags: list[str]) -> str | None:
    """The tag with the highest version allowed by `constraint` (ConstraintError if it does not parse)."""
    c = Constraint(constraint)
    best: tuple[semver.Version, str] | None = None
    for tag in tags:
        v = parse_version(tag)
        if v is not None and c.allows(v) and (best is None or v.compare(best[0]) > 0):
            best = (v, tag)
    return best[1] if best else None
