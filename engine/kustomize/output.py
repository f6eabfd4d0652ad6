"""Serialise objects exactly as `kustomize build` v5.5.0 prints them (JSON -> go-yaml v2 Marshal)."""

from __future__ import annotations

import re
from functools import cmp_to_key, lru_cache
from typing import Any

from engine.kustomize.errors import KustomizeError
from engine.kustomize.gonum import format_go_float, parse_go_float, parse_go_int
from engine.kustomize.yamlio import timestamp_string

BEST_WIDTH = 80
_V2_WORDS = frozenset(
    "y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF "
    "~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF".split()
)
_YAML_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_BASE60_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_BREAKS = "\n\r\x85\u2028\u2029"
_BREAK_SPLIT = "([\n\r\x85\u2028\u2029])"  # compiled on first use (re caches it): startup time
_SIMPLE_PLAIN = re.compile(r"[A-Za-z/][A-Za-z0-9_./=()+-]*\Z")
_PLAIN_KEY_FAST = re.compile(r"[A-Za-z.-]*\Z")
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_FLOW_INDICATORS = frozenset(",?[]{}")
_ESCAPES = {
    "\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
    "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P",
}  # fmt: skip


def render(objects: list[dict]) -> str:
    """The YAML stream kustomize prints for these objects ('' for none)."""
    docs = []
    for obj in objects:
        out: list[str] = []
        if isinstance(obj, dict) and obj:
            _mapping(obj, 0, out, "")
        else:
            out.append(_flow_or_scalar_root(obj))
        docs.append("".join(out))
    return "---\n".join(docs)


def _flow_or_scalar_root(value: Any) -> str:
    if isinstance(value, dict):
        return "{}\n"
    raise TypeError(f"render() takes Kubernetes objects (mappings), got {type(value).__name__}")


# ---------------------------------------------------------------- key order


def _go_key_less(a: str, b: str) -> int:
    """go-yaml v2 keyList.Less for two string keys, as a cmp result."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return -1 if ca < cb else 1
        if al or bl:
            return -1 if bl else 1
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and "0" <= a[ai] <= "9":
            an = an * 10 + ord(a[ai]) - 48
            ai += 1
        bi = i
        while bi < len(b) and "0" <= b[bi] <= "9":
            bn = bn * 10 + ord(b[bi]) - 48
            bi += 1
        if an != bn:
            return -1 if an < bn else 1
        if ai != bi:
            return -1 if ai < bi else 1
        return -1 if ca < cb else 1
    if len(a) == len(b):
        return 0
    return -1 if len(a) < len(b) else 1


_GO_KEY = cmp_to_key(_go_key_less)
_BYTEWISE_SAFE = re.compile(r"[A-Za-z!-/:-@]*\Z")
_KEY_INFO: dict[str, tuple[str | None, bool]] = {}
_SIMPLE_KEY_LIMIT = 128
_KEY_CACHE_LIMIT = 200_000


def _key_info(key: str) -> tuple[str | None, bool]:
    """(the key as written before ':', or None when go-yaml writes it as a `? key` complex key;
    whether bytewise order equals go-yaml's order for it)."""
    info = _KEY_INFO.get(key)
    if info is None:
        info = (_key_text(key) if _is_simple_key(key) else None, _BYTEWISE_SAFE.match(key) is not None)
        if len(_KEY_INFO) >= _KEY_CACHE_LIMIT:
            _KEY_INFO.clear()
        _KEY_INFO[key] = info
    return info


def _is_simple_key(key: str) -> bool:
    """go-yaml's check_simple_key: single-line and at most 128 bytes."""
    if key.isascii() and len(key) <= _SIMPLE_KEY_LIMIT and "\n" not in key and "\r" not in key:
        return True
    printed = json_round_trip(key) if not key.isascii() or "\x7f" in key else key
    return len(printed.encode("utf-8")) <= _SIMPLE_KEY_LIMIT and not any(c in _BREAKS for c in printed)


def sorted_keys(mapping: dict) -> list[str]:
    """Keys in go-yaml v2 order: letters after other characters, digit runs compared as numbers."""
    keys = [k if isinstance(k, str) else _key_string(k) for k in mapping]
    if all(_key_info(k)[1] for k in keys):
        return sorted(keys)
    return sorted(keys, key=_GO_KEY)


def _key_string(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return format_go_float(key)
    if key is None:
        return "null"
    return str(key)


# ---------------------------------------------------------------- structure


def _sorted_items(m: dict) -> list[tuple[str, str | None, Any]]:
    """(key, key as written, value) in go-yaml order."""
    items = []
    safe = True
    for key, value in m.items():
        if not isinstance(key, str):
            key = _key_string(key)
        text, key_safe = _KEY_INFO.get(key) or _key_info(key)
        safe = safe and key_safe
        items.append((key, text, value))
    if safe:
        items.sort(key=_first)
    else:
        items.sort(key=_go_first)
    return items


def _first(item: tuple) -> str:
    return item[0]


def _go_first(item: tuple) -> Any:
    return _GO_KEY(item[0])


def _mapping(m: dict, indent: int, out: list[str], first_head: str | None) -> None:
    pad = " " * indent
    for n, (key, text, value) in enumerate(_sorted_items(m)):
        lead = first_head if n == 0 and first_head is not None else pad
        if text is None:
            _complex_entry(key, value, indent, lead, out)
            continue
        head = lead + text + ":"
        if type(value) is str:
            out.append(head + _string(value, indent + 2, len(head)))
        elif isinstance(value, dict):
            if value:
                out.append(head + "\n")
                _mapping(value, indent + 2, out, None)
            else:
                out.append(head + " {}\n")
        elif isinstance(value, list):
            if value:
                out.append(head + "\n")
                _sequence(value, indent, out, None)
            else:
                out.append(head + " []\n")
        else:
            out.append(head + _scalar(value, indent + 2, len(head)))


def _complex_entry(key: str, value: Any, indent: int, lead: str, out: list[str]) -> None:
    """A `? key` / `: value` pair, as go-yaml writes keys that are long or multi-line."""
    pad = " " * indent
    out.append(lead + "?" + _string(key, indent + 2, len(lead) + 1))
    if isinstance(value, dict) and value:
        _mapping(value, indent + 2, out, pad + ": ")
    elif isinstance(value, list) and value:
        _sequence(value, indent + 2, out, pad + ": ")
    elif isinstance(value, dict):
        out.append(pad + ": {}\n")
    elif isinstance(value, list):
        out.append(pad + ": []\n")
    else:
        out.append(pad + ":" + _scalar(value, indent + 2, indent + 1))


def _sequence(items: list, indent: int, out: list[str], first_head: str | None) -> None:
    pad = " " * indent
    for n, item in enumerate(items):
        head = (first_head if n == 0 and first_head is not None else pad) + "-"
        if isinstance(item, dict):
            if item:
                _mapping(item, indent + 2, out, head + " ")
            else:
                out.append(head + " {}\n")
        elif isinstance(item, list):
            if item:
                _sequence(item, indent + 2, out, head + " ")
            else:
                out.append(head + " []\n")
        else:
            out.append(head + _scalar(item, indent + 2, len(head)))


# ---------------------------------------------------------------- scalars


def _scalar(value: Any, indent: int, column: int) -> str:
    """The text after `key:` or `-`: a separating space, the scalar, and the line end."""
    if isinstance(value, str):
        return _string(value, indent, column)
    if value is True:
        return " true\n"
    if value is False:
        return " false\n"
    if value is None:
        return " null\n"
    if isinstance(value, int):
        return f" {value}\n"
    if isinstance(value, float):
        return f" {format_go_float(value)}\n"
    raise TypeError(f"cannot render a {type(value).__name__} value ({value!r}) as YAML")


def _string(s: str, indent: int, column: int) -> str:
    if not s.isascii() or "\x7f" in s:
        s = json_round_trip(s)
    style = _style(s)
    if style == "p":
        if column + len(s) <= BEST_WIDTH or " " not in s:
            return " " + s + "\n"
        return " " + _fold_plain(s, column + 1, indent) + "\n"
    if style == "l":
        return _literal(s, indent)
    if style == "s":
        return " " + _single_quoted(s, column + 1, indent, True) + "\n"
    return " " + _double_quoted(s, column + 1, indent, True) + "\n"


def _key_text(key: str) -> str:
    if _PLAIN_KEY_FAST.match(key) and key and key[0].isalpha() and key not in _V2_WORDS:
        return key
    if not key.isascii() or "\x7f" in key:
        key = json_round_trip(key)
    return _key_text_slow(key)


_UNPRINTABLE_RAW = "[\x7f-\x84\x86-\x9f\ufffe\uffff]"  # compiled on first use
_NEL_RUN = re.compile("[ ]*\x85(?:[ ]*\x85)*[ ]*")


def json_round_trip(s: str) -> str:
    """What a string becomes on kustomize's way out (JSON, then go-yaml v2 reading it back).

    Go's JSON encoder leaves U+0085 (NEL) raw, and go-yaml folds a raw line break inside a quoted
    scalar: one break becomes a space, n breaks n-1 newlines, raw spaces around them vanish. Raw C1
    controls and U+FFFE/U+FFFF make go-yaml fail.
    """
    bad = re.search(_UNPRINTABLE_RAW, s) if not s.isascii() or "\x7f" in s else None
    if bad:
        raise KustomizeError(
            f"yaml: control characters are not allowed: the string {s!r} holds {bad.group()!r}, "
            "which kustomize cannot print; remove it or encode the value (e.g. base64 in binaryData)"
        )
    if "\x85" in s:
        s = _NEL_RUN.sub(
            lambda m: " " if m.group().count("\x85") == 1 else "\n" * (m.group().count("\x85") - 1), s
        )
    return s


@lru_cache(maxsize=4096)
def _key_text_slow(key: str) -> str:
    style = _style(key)
    if style == "p":
        return key
    if style == "s":
        return _single_quoted(key, 0, 0, False)
    return _double_quoted(key, 0, 0, False)


def _resolves_to_non_string(s: str) -> bool:
    """go-yaml v2 resolve(): would this text, written plain, read back as null/bool/number/timestamp?"""
    if s == "":
        return True
    c = s[0]
    if c in "yYnNtTfFoO~":
        return s in _V2_WORDS
    if c == ".":
        return s in _V2_WORDS or parse_go_float(s) is not None
    if c in "+-0123456789":
        if s in _V2_WORDS:
            return True
        if c.isdigit() and timestamp_string(s) is not None:
            return True
        plain = s.replace("_", "")
        if plain and parse_go_int(plain) is not None:
            return True
        if _YAML_STYLE_FLOAT.match(plain) and parse_go_float(plain) is not None:
            return True
    return False


@lru_cache(maxsize=65536)
def _style(s: str) -> str:
    """'p'lain, 's'ingle-quoted, 'd'ouble-quoted or 'l'iteral, as go-yaml v2 chooses for a string value."""
    if _SIMPLE_PLAIN.match(s) and s not in _V2_WORDS:
        return "p"
    if "\n" in s:
        requested = "l"
    elif not _resolves_to_non_string(s) and not _BASE60_FLOAT.match(s):
        requested = "p"
    else:
        requested = "d"
    block_plain, single_ok, block_ok = _analyze(s)
    if requested == "p":
        if block_plain:
            return "p"
        requested = "s"
    if requested == "s":
        return "s" if single_ok else "d"
    if requested == "l":
        return "l" if block_ok else "d"
    return "d"


def _printable(ch: str) -> bool:
    o = ord(ch)
    return o == 0x0A or 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)


def _analyze(s: str) -> tuple[bool, bool, bool]:
    """yaml_emitter_analyze_scalar: (block plain allowed, single quotes allowed, block literal allowed)."""
    if not s:
        return True, True, False
    block_ind = s.startswith("---") or s.startswith("...")
    line_breaks = special = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = False
    previous_space = previous_break = False
    preceded_by_ws = True
    n = len(s)
    for i, ch in enumerate(s):
        followed_by_ws = i + 1 >= n or s[i + 1] in " \t" or s[i + 1] in _BREAKS
        if i == 0:
            if ch in _FIRST_INDICATORS:
                block_ind = True
            elif ch in "?:" and followed_by_ws:
                block_ind = True
            elif ch == "-" and followed_by_ws:
                block_ind = True
        else:
            if ch == ":" and followed_by_ws:
                block_ind = True
            elif ch == "#" and preceded_by_ws:
                block_ind = True
        if not _printable(ch):
            special = True
        if ch == " ":
            if i == 0:
                leading_space = True
            if i + 1 == n:
                trailing_space = True
            if previous_break:
                break_space = True
            previous_space, previous_break = True, False
        elif ch in _BREAKS:
            line_breaks = True
            if i == 0:
                leading_break = True
            if i + 1 == n:
                trailing_break = True
            if previous_space:
                space_break = True
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_by_ws = ch in " \t" or ch in _BREAKS
    block_plain = single_ok = block_ok = True
    if leading_space or leading_break or trailing_space or trailing_break:
        block_plain = False
    if trailing_space:
        block_ok = False
    if break_space:
        block_plain = single_ok = False
    if space_break or special:
        block_plain = single_ok = block_ok = False
    if line_breaks or block_ind:
        block_plain = False
    return block_plain, single_ok, block_ok


def _fold_plain(s: str, column: int, indent: int) -> str:
    """A plain scalar starting at `column`, broken at spaces once past the best width."""
    parts: list[str] = []
    start = 0
    col_at_start = column
    i = s.find(" ")
    n = len(s)
    while i != -1:
        col = col_at_start + (i - start)
        if col > BEST_WIDTH and s[i - 1] != " " and i + 1 < n and s[i + 1] != " ":
            parts.append(s[start:i])
            parts.append("\n" + " " * indent)
            start = i + 1
            col_at_start = indent
        i = s.find(" ", i + 1)
    parts.append(s[start:])
    return "".join(parts)


def _single_quoted(s: str, column: int, indent: int, allow_breaks: bool) -> str:
    out = ["'"]
    col = column + 1
    spaces = breaks = False
    indention = False
    n = len(s)
    for i, ch in enumerate(s):
        if ch == " ":
            if allow_breaks and not spaces and col > BEST_WIDTH and 0 < i < n - 1 and s[i + 1] != " ":
                out.append("\n" + " " * indent)
                col = indent
            else:
                out.append(" ")
                col += 1
            spaces = True
        elif ch in _BREAKS:
            if not breaks and ch == "\n":
                out.append("\n")
            out.append(ch)
            col = 0
            indention = True
            breaks = True
        else:
            if breaks:
                if not indention or col > indent:
                    out.append("\n")
                    col = 0
                out.append(" " * (indent - col))
                col = indent
            if ch == "'":
                out.append("'")
                col += 1
            out.append(ch)
            col += 1
            indention = False
            spaces = breaks = False
    out.append("'")
    return "".join(out)


def _escape(ch: str) -> str:
    short = _ESCAPES.get(ch)
    if short is not None:
        return "\\" + short
    o = ord(ch)
    if o <= 0xFF:
        return f"\\x{o:02X}"
    if o <= 0xFFFF:
        return f"\\u{o:04X}"
    return f"\\U{o:08X}"


def _double_quoted(s: str, column: int, indent: int, allow_breaks: bool) -> str:
    out = ['"']
    col = column + 1
    spaces = False
    n = len(s)
    # go-yaml's is_bom() looks at the first character of the whole value, not the current one
    escape_all = s.startswith("\ufeff")
    for i, ch in enumerate(s):
        if escape_all or ch == '"' or ch == "\\" or ch in _BREAKS or not _printable(ch):
            text = _escape(ch)
            out.append(text)
            col += len(text)
            spaces = False
        elif ch == " ":
            if allow_breaks and not spaces and col > BEST_WIDTH and 0 < i < n - 1:
                out.append("\n" + " " * indent)
                col = indent
                if s[i + 1] == " ":
                    out.append("\\")
                    col += 1
            else:
                out.append(" ")
                col += 1
            spaces = True
        else:
            out.append(ch)
            col += 1
            spaces = False
    out.append('"')
    return "".join(out)


def _literal(s: str, indent: int) -> str:
    """A `|` block scalar with go-yaml's indentation and chomping indicators."""
    hints = ""
    if s[0] == " " or s[0] in _BREAKS:
        hints = "2"
    if s[-1] not in _BREAKS:
        hints += "-"
    elif len(s) == 1 or s[-2] in _BREAKS:
        hints += "+"
    pad = " " * indent
    out = [" |", hints, "\n"]
    at_line_start = True
    for piece in re.split(_BREAK_SPLIT, s):
        if not piece:
            continue
        if len(piece) == 1 and piece in _BREAKS:
            out.append(piece)
            at_line_start = True
        else:
            out.append(pad + piece if at_line_start else piece)
            at_line_start = False
    if not at_line_start:
        out.append("\n")
    return "".join(out)
