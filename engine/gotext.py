"""Go standard-library behaviours the engine depends on: `%q` quoting, `strconv.ParseFloat`,
RE2 patterns with `Regexp.Expand` templates, and RE2's error messages."""

from __future__ import annotations

import math
import re

_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v",
            "\\": "\\\\", '"': '\\"'}


def go_quote(text: str) -> str:
    """Go's `%q` of a string (printable characters kept, the rest escaped)."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


# --- strconv.ParseFloat ---------------------------------------------------------------------------

_DEC = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+")
_SPECIAL = re.compile(r"[+-]?(?:inf|infinity)|nan", re.IGNORECASE)


def _underscores_ok(s: str) -> bool:
    if s[:1] in "+-" and s:
        s = s[1:]
    saw, i, hexa = "^", 0, False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i, saw, hexa = 2, "0", s[1].lower() == "x"
    for ch in s[i:]:
        if ch.isdigit() or (hexa and ch.lower() in "abcdef"):
            saw = "0"
            continue
        if ch == "_":
            if saw != "0":
                return False
            saw = "_"
            continue
        if saw == "_":
            return False
        saw = "!"
    return saw != "_"


def go_parse_float(text: str) -> float | None:
    """`strconv.ParseFloat(text, 64)`: the value, or None where Go returns an error (syntax or range)."""
    if _SPECIAL.fullmatch(text):
        return float(text.lower().replace("infinity", "inf"))
    if "_" in text:
        if not _underscores_ok(text):
            return None
        text = text.replace("_", "")
    if _DEC.fullmatch(text):
        value = float(text)
    elif _HEX.fullmatch(text):
        sign = -1.0 if text[0] == "-" else 1.0
        try:
            value = sign * float.fromhex(text.lstrip("+-"))
        except OverflowError:
            return None
    else:
        return None
    return None if math.isinf(value) else value


# --- RE2 patterns -----------------------------------------------------------------------------------

class GoRegexError(ValueError):
    """A pattern RE2 rejects; the message is Go's `error parsing regexp: ...` text."""


_UNSUPPORTED = re.compile(r"\(\?(?:=|!|<=|<!)|\\[1-9]")


def _go_message(pattern: str, err: re.error) -> str:
    msg = err.msg
    pos = err.pos or 0
    if msg.startswith("missing ), unterminated subpattern"):
        return f"missing closing ): `{pattern}`"
    if msg.startswith("unbalanced parenthesis"):
        return f"unexpected ): `{pattern}`"
    if msg.startswith("unterminated character set"):
        return f"missing closing ]: `{pattern[pos:]}`"
    if msg.startswith("nothing to repeat"):
        return f"missing argument to repetition operator: `{pattern[pos:pos + 1]}`"
    if msg.startswith("multiple repeat"):
        return f"invalid nested repetition operator: `{pattern[max(pos - 1, 0):pos + 1]}`"
    if msg.startswith("bad escape"):
        return f"invalid escape sequence: `{pattern[pos:pos + 2]}`"
    if msg.startswith("bad character range"):
        return f"invalid character class range: `{pattern[pos:pos + 3]}`"
    return msg


def compile_go_regex(pattern: str) -> re.Pattern[str]:
    """Compile an RE2 pattern with Python's `re`, rejecting what RE2 rejects (lookaround, backrefs)."""
    bad = _UNSUPPORTED.search(pattern)
    if bad:
        if bad.group(0).startswith("\\"):
            raise GoRegexError(f"error parsing regexp: invalid escape sequence: `{bad.group(0)}`")
        raise GoRegexError(f"error parsing regexp: invalid or unsupported Perl syntax: `{bad.group(0)}`")
    translated = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pattern).replace(r"\z", r"\Z")
    try:
        return re.compile(translated)
    except re.error as err:
        raise GoRegexError(f"error parsing regexp: {_go_message(pattern, err)}") from err


_NAME = re.compile(r"[A-Za-z0-9_]+")


def go_expand(template: str, match: re.Match[str]) -> str:
    """Go's `Regexp.ExpandString`: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown groups expand to ``."""
    out: list[str] = []
    names = match.re.groupindex
    while True:
        before, sep, after = template.partition("$")
        out.append(before)
        if not sep:
            break
        template = after
        if template.startswith("$"):
            out.append("$")
            template = template[1:]
            continue
        if template.startswith("{"):
            end = template.find("}")
            name = template[1:end] if end > 0 else ""
            if not name or not _NAME.fullmatch(name):
                out.append("$")
                continue
            rest = template[end + 1:]
        else:
            m = _NAME.match(template)
            if not m:
                out.append("$")
                continue
            name, rest = m.group(0), template[m.end():]
        template = rest
        index: int | None = None
        if name.isdigit() and len(name) < 10:
            index = int(name)
        elif name in names:
            index = names[name]
        if index is not None and index <= (match.re.groups or 0) and match.group(index) is not None:
            out.append(match.group(index))
    return "".join(out)
