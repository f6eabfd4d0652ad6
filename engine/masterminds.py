"""Masterminds/semver v3.5 versions and constraints, as Flux evaluates them (image policies, Helm chart versions).

A library module with no engine dependencies, so that every controller package may use it (the controller
packages are independent layers). Flux's version parser (fluxcd/pkg `version.ParseVersion`) needs at least two
dots, then Masterminds' coercing `NewVersion`: `v?N(.N)?(.N)?(-PRE)?(+META)?` with leading zeros allowed in N.
Constraints follow Masterminds' grammar (`||` groups, comma/space AND lists, hyphen ranges, x-ranges, `~`, `^`),
and a prerelease in any constraint of an AND group opens prereleases for that whole group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.gotext import go_quote

_UINT64_MAX = 2**64 - 1
_NUMBER = re.compile(r"[0-9]+")
_IDENT = r"[0-9A-Za-z-]+"
_COERCE = re.compile(
    rf"v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-({_IDENT}(?:\.{_IDENT})*))?(?:\+({_IDENT}(?:\.{_IDENT})*))?"
)


class ConstraintError(ValueError):
    """A semver range does not parse; the message is Masterminds' own."""


@dataclass(frozen=True)
class Version:
    """A parsed version; `original` is the text it came from (returned as the policy's pick)."""

    major: int
    minor: int
    patch: int
    pre: str
    metadata: str
    original: str

    def compare(self, other: Version) -> int:
        for a, b in ((self.major, other.major), (self.minor, other.minor), (self.patch, other.patch)):
            if a != b:
                return 1 if a > b else -1
        if not self.pre and not other.pre:
            return 0
        if not self.pre:
            return 1
        if not other.pre:
            return -1
        return compare_prerelease(self.pre, other.pre)


def new_version(text: str) -> Version | None:
    """Masterminds `NewVersion` (coercing): the version, or None when `text` is not one."""
    m = _COERCE.fullmatch(text)
    if not m:
        return None
    major, minor, patch, pre, meta = m.groups()
    nums = [int(major), int(minor or 0), int(patch or 0)]
    if any(n > _UINT64_MAX for n in nums):
        return None
    if pre and any(_NUMBER.fullmatch(part) and len(part) > 1 and part[0] == "0" for part in pre.split(".")):
        return None
    return Version(nums[0], nums[1], nums[2], pre or "", meta or "", text)


def parse_tag(tag: str) -> Version | None:
    """Flux's `version.ParseVersion`: at least three dot-separated parts, then `new_version`."""
    if len(tag.split(".", 2)) < 3:
        return None
    return new_version(tag)


def _parse_uint(text: str) -> int | None:
    if _NUMBER.fullmatch(text) and int(text) <= _UINT64_MAX:
        return int(text)
    return None


def _compare_pre_part(s: str, o: str) -> int:
    if s == o:
        return 0
    if s == "":
        return -1
    if o == "":
        return 1
    si, oi = _parse_uint(s), _parse_uint(o)
    if si is None and oi is None:
        return 1 if s.encode() > o.encode() else -1
    if oi is None:
        return -1
    if si is None:
        return 1
    return 1 if si > oi else -1


def compare_prerelease(a: str, b: str) -> int:
    """Masterminds' prerelease precedence (numeric < alphanumeric, more identifiers rank higher)."""
    ap, bp = a.split("."), b.split(".")
    for i in range(max(len(ap), len(bp))):
        d = _compare_pre_part(ap[i] if i < len(ap) else "", bp[i] if i < len(bp) else "")
        if d:
            return d
    return 0



# --- constraints ---------------------------------------------------------------------------------

_WS = r"[ \t\n\f\r]"
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_CONSTRAINT = re.compile(rf"^{_WS}*({_OPS}){_WS}*({_CV}){_WS}*\Z")
_RANGE = re.compile(rf"{_WS}*({_CV}){_WS}+-{_WS}+({_CV}){_WS}*")
_FIND = re.compile(rf"({_OPS}){_WS}*({_CV})")
_VALID = re.compile(rf"^({_WS}*({_OPS}){_WS}*({_CV}){_WS}*)((?:{_WS}+|,{_WS}*)({_OPS}){_WS}*({_CV}){_WS}*)*\Z")


def _is_x(s: str) -> bool:
    return s in ("x", "X", "*")


@dataclass(frozen=True)
class _Atom:
    op: str
    con: Version
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool

    def check(self, v: Version, include_pre: bool) -> bool:
        if v.pre and not include_pre:
            return False
        return _CHECKS[self.op](v, self)


def _parse_atom(text: str) -> _Atom:
    if not text:
        return _Atom("", Version(0, 0, 0, "", "", "0.0.0"), True, False, False)
    m = _CONSTRAINT.match(text)
    if not m:
        raise ConstraintError(f"improper constraint: {go_quote(text)}")
    op, whole, major, minor, patch, pre = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)
    minor, patch, pre = minor or "", patch or "", pre or ""
    dirty = minor_dirty = patch_dirty = False
    ver = whole
    if _is_x(major) or major == "":
        ver, dirty = f"0.0.0{pre}", True
    elif _is_x(minor[1:]) or minor == "":
        ver, dirty, minor_dirty = f"{major}.0.0{pre}", True, True
    elif _is_x(patch[1:]) or patch == "":
        ver, dirty, patch_dirty = f"{major}{minor}.0{pre}", True, True
    con = new_version(ver)
    if con is None:
        raise ConstraintError("constraint parser error")
    return _Atom(op, con, dirty, minor_dirty, patch_dirty)


def _not_equal(v: Version, c: _Atom) -> bool:
    if c.dirty:
        if c.con.major != v.major:
            return True
        if c.con.minor != v.minor and not c.minor_dirty:
            return True
        if c.minor_dirty:
            return False
        if c.con.patch != v.patch and not c.patch_dirty:
            return True
        if c.patch_dirty:
            if v.pre or c.con.pre:
                return compare_prerelease(v.pre, c.con.pre) != 0
            return False
    return v.compare(c.con) != 0


def _greater(v: Version, c: _Atom) -> bool:
    if not c.dirty:
        return v.compare(c.con) == 1
    if v.major > c.con.major:
        return True
    if v.major < c.con.major or c.minor_dirty:
        return False
    if c.patch_dirty:
        return v.minor > c.con.minor
    return v.compare(c.con) == 1


def _less_equal(v: Version, c: _Atom) -> bool:
    if not c.dirty:
        return v.compare(c.con) <= 0
    if v.major > c.con.major:
        return False
    return not (v.major == c.con.major and v.minor > c.con.minor and not c.minor_dirty)


def _tilde(v: Version, c: _Atom) -> bool:
    if v.compare(c.con) < 0:
        return False
    if (c.con.major, c.con.minor, c.con.patch) == (0, 0, 0) and not c.minor_dirty and not c.patch_dirty:
        return True
    if v.major != c.con.major:
        return False
    return not (v.minor != c.con.minor and not c.minor_dirty)


def _tilde_or_equal(v: Version, c: _Atom) -> bool:
    return _tilde(v, c) if c.dirty else v.compare(c.con) == 0


def _caret(v: Version, c: _Atom) -> bool:
    if v.compare(c.con) < 0:
        return False
    if c.con.major > 0 or c.minor_dirty:
        return v.major == c.con.major
    if v.major > 0:
        return False
    if c.con.minor > 0 or c.patch_dirty:
        return v.minor == c.con.minor
    if v.minor > 0:
        return False
    return v.patch == c.con.patch


_CHECKS = {
    "": _tilde_or_equal,
    "=": _tilde_or_equal,
    "!=": _not_equal,
    ">": _greater,
    "<": lambda v, c: v.compare(c.con) < 0,
    ">=": lambda v, c: v.compare(c.con) >= 0,
    "=>": lambda v, c: v.compare(c.con) >= 0,
    "<=": _less_equal,
    "=<": _less_equal,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}


def _rewrite_range(text: str) -> str:
    out = text
    for m in _RANGE.finditer(text):
        out = out.replace(m.group(0), f">= {m.group(1)}, <= {m.group(11)} ", 1)
    return out


class Constraints:
    """A Masterminds constraint string such as `>=1.0.0 <2.0.0 || ^3.1`."""

    def __init__(self, text: str) -> None:
        self.text = text
        if len(text) > 512:
            raise ConstraintError("constraint string is too long (max 512 bytes)")
        groups = _rewrite_range(text).split("||")
        if len(groups) > 32:
            raise ConstraintError("too many constraint groups (max 32)")
        self.groups: list[tuple[list[_Atom], bool]] = []
        for group in groups:
            if not _VALID.match(group):
                raise ConstraintError(f"improper constraint: {go_quote(group)}")
            parts = [m.group(0) for m in _FIND.finditer(group)] or [group]
            atoms = [_parse_atom(p) for p in parts]
            self.groups.append((atoms, any(a.con.pre for a in atoms)))

    def check(self, v: Version) -> bool:
        return any(all(a.check(v, has_pre) for a in atoms) for atoms, has_pre in self.groups)
