"""Go's number parsing and printing (strconv) as go-yaml and encoding/json use them."""

from __future__ import annotations

import math
import re

_DEC_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1


def _unsigned(text: str) -> int | None:
    """strconv.ParseUint(text, 0, 64) without the range check: prefixes 0x, 0o, 0b, and a leading 0 for octal."""
    if not text:
        return None
    base, digits = 10, text
    if len(text) > 1 and text[0] == "0":
        prefix = text[1].lower()
        if prefix == "x":
            base, digits = 16, text[2:]
        elif prefix == "o":
            base, digits = 8, text[2:]
        elif prefix == "b":
            base, digits = 2, text[2:]
        else:
            base, digits = 8, text[1:]
    if not digits or not all(c in "0123456789abcdefABCDEF"[: base if base <= 10 else 22] for c in digits):
        return None
    return int(digits, base)


def parse_go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), falling back to ParseUint like go-yaml; None when neither accepts it."""
    sign = 1
    body = text
    if body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    value = _unsigned(body)
    if value is None:
        return None
    value *= sign
    if _INT64_MIN <= value <= _INT64_MAX:
        return value
    if text[:1] not in ("+", "-") and value <= _UINT64_MAX:
        return value
    return None


def parse_go_float(text: str) -> float | None:
    """strconv.ParseFloat(text, 64) for decimal text; None for syntax errors and out-of-range values."""
    if not _DEC_FLOAT.match(text):
        return None
    value = float(text)
    if math.isinf(value):
        return None
    return value


def format_go_float(value: float) -> str:
    """A float64 as kustomize prints it: JSON-encoded, re-read by go-yaml v2 and printed with 'g' precision -1."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    mantissa, _, exp_text = f"{value!r}".partition("e")
    digits_text = mantissa.lstrip("-")
    int_part, _, frac_part = digits_text.partition(".")
    exp = int(exp_text) if exp_text else 0
    digits = (int_part + frac_part).lstrip("0")
    # position of the decimal point relative to the first significant digit
    lead_zeros = len(int_part + frac_part) - len((int_part + frac_part).lstrip("0"))
    point = len(int_part) + exp - lead_zeros
    digits = digits.rstrip("0") or "0"
    sign = "-" if value < 0 else ""
    x = point - 1
    if x < -4 or x >= 6:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"
