"""Post-build variable substitution (fluxcd/pkg/envsubst): bash-like `${var}` expressions over an object's YAML.

Supported: `${var}`, `${var:=d}`, `${var:-d}`, `${var=d}`, `${var-d}`, `${var:pos[:len]}`, `${var/p/r}`,
`${var//p/r}`, `${#var}`, `${var^}`, `${var^^}`, `${var,}`, `${var,,}`, `${var#p}`, `${var##p}`, `${var%p}`,
`${var%%p}`. `$var` without braces is left alone; `$${var}` gives a literal `${var}`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping

VAR_NAME = r"^[_a-zA-Z][_a-zA-Z0-9]*$"
_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")


class SubstitutionError(ValueError):
    """An expression is malformed, or (strict mode) a variable without a default is not set."""


class VarNameError(SubstitutionError):
    """A variable's name is not a valid shell name (checked before any expansion)."""


def _glob_rx(pattern: str, greedy: bool) -> str:
    rx = fnmatch.translate(pattern)  # '(?s:...)\\Z'
    body = rx[4:-3]
    return body if greedy else body.replace(".*", ".*?")


def _strip_prefix(value: str, pattern: str, longest: bool) -> str:
    ends = range(len(value), -1, -1) if longest else range(0, len(value) + 1)
    for end in ends:
        if fnmatch.fnmatchcase(value[:end], pattern):
            return value[end:]
    return value


def _strip_suffix(value: str, pattern: str, longest: bool) -> str:
    starts = range(0, len(value) + 1) if longest else range(len(value), -1, -1)
    for start in starts:
        if fnmatch.fnmatchcase(value[start:], pattern):
            return value[:start]
    return value


def _replace(value: str, pattern: str, repl: str, every: bool) -> str:
    rx = re.compile(_glob_rx(pattern, greedy=True))
    return rx.sub(lambda _m: repl, value, count=0 if every else 1)


class Substituter:
    def __init__(self, variables: Mapping[str, str], strict: bool) -> None:
        self.vars = variables
        self.strict = strict

    def lookup(self, name: str, has_default: bool) -> str | None:
        if name in self.vars:
            return self.vars[name]
        if self.strict and not has_default:
            raise SubstitutionError(f'variable not set (strict mode): "{name}"')
        return None

    def expand(self, text: str) -> str:
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch == "$" and text.startswith("$${", i):
                end = self._closing(text, i + 2)
                out.append(text[i + 1:end + 1])
                i = end + 1
            elif ch == "$" and text.startswith("${", i):
                end = self._closing(text, i + 1)
                out.append(self.evaluate(text[i + 2:end]))
                i = end + 1
            else:
                out.append(ch)
                i += 1
        return "".join(out)

    @staticmethod
    def _closing(text: str, open_at: int) -> int:
        depth = 0
        for j in range(open_at, len(text)):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    return j
        raise SubstitutionError(f"missing closing brace in '{text[open_at - 1:open_at + 40]}'")

    def evaluate(self, expr: str) -> str:
        if expr.startswith("#"):
            name = expr[1:]
            if not _NAME.fullmatch(name):
                raise SubstitutionError(f"bad substitution: '${{{expr}}}'")
            return str(len(self.lookup(name, False) or ""))
        m = _NAME.match(expr)
        if not m:
            raise SubstitutionError(f"bad substitution: '${{{expr}}}'")
        name, rest = m.group(0), expr[m.end():]
        if rest == "":
            return self.lookup(name, False) or ""
        for op in (":=", ":-", "=", "-"):
            if rest.startswith(op):
                value = self.lookup(name, True)
                default = self.expand(rest[len(op):])
                if value is None or (op.startswith(":") and value == ""):
                    return default
                return value
        if rest[0] in "+?" or rest.startswith((":+", ":?")):
            raise SubstitutionError(f"unsupported substitution: '${{{expr}}}'")
        value = self.lookup(name, False) or ""
        if rest in ("^", "^^", ",", ",,"):
            if rest == "^^":
                return value.upper()
            if rest == ",,":
                return value.lower()
            if not value:
                return value
            return (value[0].upper() if rest == "^" else value[0].lower()) + value[1:]
        if rest.startswith("##"):
            return _strip_prefix(value, self.expand(rest[2:]), True)
        if rest.startswith("#"):
            return _strip_prefix(value, self.expand(rest[1:]), False)
        if rest.startswith("%%"):
            return _strip_suffix(value, self.expand(rest[2:]), True)
        if rest.startswith("%"):
            return _strip_suffix(value, self.expand(rest[1:]), False)
        if rest.startswith("//") or rest.startswith("/"):
            every = rest.startswith("//")
            body = rest[2:] if every else rest[1:]
            pattern, _, repl = body.partition("/")
            return _replace(value, self.expand(pattern), self.expand(repl), every)
        if rest.startswith(":"):
            parts = rest[1:].split(":")
            try:
                pos = int(parts[0].strip() or 0)
                length = int(parts[1]) if len(parts) > 1 else None
            except ValueError:
                raise SubstitutionError(f"bad substitution: '${{{expr}}}'") from None
            start = max(len(value) + pos, 0) if pos < 0 else min(pos, len(value))
            return value[start:] if length is None else value[start:start + max(length, 0)]
        raise SubstitutionError(f"bad substitution: '${{{expr}}}'")


def substitute(text: str, variables: Mapping[str, str], *, strict: bool = True) -> str:
    """Expand every `${...}` in text; newlines are removed from variable values first (as Flux does)."""
    clean = {k: str(v).replace("\n", "") for k, v in variables.items()}
    bad = [k for k in clean if not re.match(VAR_NAME, k)]
    if bad:
        raise VarNameError(f"'{bad[0]}' var name is invalid, must match '{VAR_NAME}'")
    return Substituter(clean, strict).expand(text)
