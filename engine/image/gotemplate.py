"""A faithful subset of Go's text/template for commit message templates.

Supported: text and `{{ }}` actions with `{{-`/`-}}` trimming, comments, field chains (`.A.B`, `$x.A`),
methods without arguments (`.Changed.Changes`), variables (`$x :=`, `$k, $v :=`, `$`), `if`/`else if`/
`else`/`end`, `range` (over lists and maps, maps in sorted key order) with `else`, `with`, pipelines
with `|`, parentheses, string/number/bool literals, Go's builtins (and, or, not, len, index, print,
printf, println, eq, ne, lt, le, gt, ge) and common sprig functions. Anything else is a TemplateError
with Go's wording, never a silent wrong message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.gotext import go_quote


class TemplateError(Exception):
    """The template does not parse (`phase == "parse"`) or fails to run (`phase == "exec"`)."""

    def __init__(self, message: str, phase: str) -> None:
        super().__init__(message)
        self.phase = phase


NAME = "commit message"
_ACTION = re.compile(r"\{\{(-[ \t\r\n])?(.*?)([ \t\r\n]-)?\}\}", re.S)
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\]|\\.)')
  | (?P<number>[+-]?(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+))
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+)
  | (?P<dot>\.)
  | (?P<variable>\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<pipe>\|)
  | (?P<lparen>\()
  | (?P<rparen>\))(?P<rfield>(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<comma>,)
""", re.X)


# --- parse tree ---------------------------------------------------------------------------------------

@dataclass
class Text:
    text: str


@dataclass
class Operand:
    kind: str  # field, dot, variable, literal, ident, pipeline
    value: Any
    chain: list[str] = field(default_factory=list)


@dataclass
class Command:
    args: list[Operand]


@dataclass
class Pipeline:
    decl: list[str]
    commands: list[Command]
    assign: bool = False


@dataclass
class Action:
    pipe: Pipeline
    line: int


@dataclass
class Branch:
    keyword: str  # if, range, with
    pipe: Pipeline
    body: list[Any]
    orelse: list[Any]
    line: int


def _unquote(token: str) -> str:
    if token.startswith("`"):
        return token[1:-1]
    import json

    try:
        return str(json.loads(token))
    except ValueError as err:
        raise TemplateError(f"malformed string {token}", "parse") from err


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items = self._lex(source)
        self.pos = 0

    def _err(self, line: int, message: str) -> TemplateError:
        return TemplateError(f"template: {NAME}:{line}: {message}", "parse")

    def _lex(self, source: str) -> list[tuple[str, Any, int]]:
        items: list[tuple[str, Any, int]] = []
        pos = 0
        pending_trim = False
        for m in _ACTION.finditer(source):
            text = source[pos:m.start()]
            if pending_trim:
                text = text.lstrip(" \t\r\n")
            if m.group(1):
                text = text.rstrip(" \t\r\n")
            line = source.count("\n", 0, m.start()) + 1
            if text:
                items.append(("text", text, line))
            body = m.group(2).strip()
            if body.startswith("/*"):
                if not body.endswith("*/"):
                    raise self._err(line, "unclosed comment")
            else:
                items.append(("action", body, line))
            pending_trim = bool(m.group(3))
            pos = m.end()
        rest = source[pos:]
        if "{{" in rest:
            line = source.count("\n", 0, pos + rest.index("{{")) + 1
            raise self._err(line, "unclosed action")
        if pending_trim:
            rest = rest.lstrip(" \t\r\n")
        if rest:
            items.append(("text", rest, source.count("\n", 0, pos) + 1))
        return items

    def parse(self) -> list[Any]:
        nodes, end = self._list(())
        if end is not None:
            raise self._err(end[1], f"unexpected {{{{{end[0]}}}}}")
        return nodes

    def _list(self, stops: tuple[str, ...]) -> tuple[list[Any], tuple[str, int] | None]:
        nodes: list[Any] = []
        while self.pos < len(self.items):
            kind, value, line = self.items[self.pos]
            self.pos += 1
            if kind == "text":
                nodes.append(Text(value))
                continue
            word = value.split(None, 1)[0] if value else ""
            if word in ("end", "else"):
                if word not in stops and not (word == "else" and "else" in stops):
                    raise self._err(line, f"unexpected {{{{{word}}}}}")
                return nodes, (value, line)
            if word in ("if", "range", "with"):
                nodes.append(self._branch(word, value[len(word):], line))
            elif word in ("define", "template", "block", "break", "continue"):
                raise self._err(line, f"'{word}' is not supported in commit message templates")
            else:
                nodes.append(Action(self._pipeline(value, line), line))
        if stops:
            raise self._err(self.items[-1][2] if self.items else 1, "unexpected EOF")
        return nodes, None

    def _branch(self, keyword: str, rest: str, line: int) -> Branch:
        pipe = self._pipeline(rest, line, allow_decl=2 if keyword == "range" else 1)
        body, end = self._list(("end", "else"))
        orelse: list[Any] = []
        assert end is not None
        if end[0].startswith("else"):
            tail = end[0][4:].strip()
            if tail.startswith("if ") or tail.startswith("with "):
                nested_kw = tail.split(None, 1)[0]
                nested = self._branch(nested_kw, tail[len(nested_kw):], end[1])
                orelse = [nested]
                return Branch(keyword, pipe, body, orelse, line)
            if tail:
                raise self._err(end[1], f"unexpected {tail!r} in else")
            orelse, end2 = self._list(("end",))
            if end2 is None or end2[0] != "end":
                raise self._err(line, f"missing {{{{end}}}} for {keyword}")
        return Branch(keyword, pipe, body, orelse, line)

    def _tokens(self, text: str, line: int) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                raise self._err(line, f"unexpected {text[pos]!r} in command")
            kind = m.lastgroup or ""
            if kind == "rfield":
                kind = "rparen"
            if kind != "ws":
                if kind == "rparen":
                    tokens.append(("rparen", m.group("rfield") or ""))
                else:
                    tokens.append((kind, m.group(0)))
            pos = m.end()
        return tokens

    def _pipeline(self, text: str, line: int, allow_decl: int = 1) -> Pipeline:
        tokens = self._tokens(text, line)
        pipe, rest = self._parse_pipeline(tokens, line, allow_decl)
        if rest:
            raise self._err(line, f"unexpected {rest[0][1]!r} in command")
        return pipe

    def _parse_pipeline(self, tokens: list[tuple[str, str]], line: int, allow_decl: int
                        ) -> tuple[Pipeline, list[tuple[str, str]]]:
        decl: list[str] = []
        assign = False
        for count in range(allow_decl, 0, -1):
            shape = []
            for i in range(count):
                shape += ["variable"] + (["comma"] if i < count - 1 else [])
            if [t[0] for t in tokens[:len(shape) + 1]] in (shape + ["declare"], shape + ["assign"]):
                decl = [tokens[i][1] for i in range(0, len(shape), 2)]
                assign = tokens[len(shape)][0] == "assign"
                tokens = tokens[len(shape) + 1:]
                break
        commands: list[Command] = []
        args: list[Operand] = []
        while tokens:
            kind, value = tokens[0]
            if kind == "rparen":
                break
            tokens = tokens[1:]
            if kind == "pipe":
                if not args:
                    raise self._err(line, "missing command")
                commands.append(Command(args))
                args = []
            elif kind == "lparen":
                inner, tokens = self._parse_pipeline(tokens, line, 0)
                if not tokens or tokens[0][0] != "rparen":
                    raise self._err(line, "unclosed left paren")
                chain = [c for c in tokens[0][1].split(".") if c]
                tokens = tokens[1:]
                args.append(Operand("pipeline", inner, chain))
            elif kind == "field":
                args.append(Operand("field", None, value.split(".")[1:]))
            elif kind == "dot":
                args.append(Operand("dot", None))
            elif kind == "variable":
                name, *chain = value.split(".")
                args.append(Operand("variable", name, chain))
            elif kind in ("string", "raw"):
                args.append(Operand("literal", _unquote(value)))
            elif kind == "number":
                num = value.replace("_", "")
                args.append(Operand("literal", float(num) if any(c in num for c in ".eE") and "x" not in num.lower()
                                    else int(num, 0)))
            elif kind == "ident":
                if value in ("true", "false"):
                    args.append(Operand("literal", value == "true"))
                elif value == "nil":
                    args.append(Operand("literal", None))
                else:
                    if value not in FUNCTIONS:
                        raise self._err(line, f"function {go_quote(value)} not defined")
                    args.append(Operand("ident", value))
            else:
                raise self._err(line, f"unexpected {value!r} in command")
        if args:
            commands.append(Command(args))
        if not commands:
            raise self._err(line, "missing value for command")
        return Pipeline(decl, commands, assign), tokens


# --- values -------------------------------------------------------------------------------------------

def go_string(value: Any) -> str:
    """Go's `%v` of a template value."""
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value).removesuffix(".0") if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, str):
        return value
    if hasattr(value, "go_format"):
        return str(value.go_format())
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{go_string(k)}:{go_string(v)}" for k, v in _sorted_items(value)) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_string(v) for v in value) + "]"
    return str(value)


def _sort_key(key: Any) -> Any:
    if hasattr(key, "sort_key"):
        return key.sort_key()
    return key


def _sorted_items(mapping: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    return sorted(mapping.items(), key=lambda kv: _sort_key(kv[0]))


def truth(value: Any) -> bool:
    """Go template truthiness: false, 0, nil and empty strings/collections are false."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, (str, Sequence, Mapping)):
        return len(value) > 0
    return True


def _printf(fmt: str, *args: Any) -> str:
    out: list[str] = []
    queue = list(args)
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        m = re.match(r"%([-+# 0]*)(\d*)(?:\.(\d+))?([vsdqtfxX%])", fmt[i:])
        if not m:
            raise TemplateError(f"printf: unsupported verb in {fmt!r}", "exec")
        flags, width, prec, verb = m.groups()
        i += m.end()
        if verb == "%":
            out.append("%")
            continue
        if not queue:
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = queue.pop(0)
        if verb in ("v", "s", "t"):
            text = go_string(arg)
        elif verb == "q":
            text = go_quote(go_string(arg))
        elif verb == "d":
            text = str(int(arg))
        elif verb == "f":
            text = f"{float(arg):.{int(prec) if prec else 6}f}"
        else:
            text = format(int(arg), verb)
        if width:
            text = text.ljust(int(width)) if "-" in flags else text.rjust(int(width), "0" if "0" in flags else " ")
        out.append(text)
    return "".join(out)


def _compare(name: str, op: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    def fn(a: Any, *rest: Any) -> bool:
        if not rest:
            raise TemplateError(f"error calling {name}: missing argument for comparison", "exec")
        if name == "eq":
            return any(a == b for b in rest)
        b = rest[0]
        if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
            raise TemplateError(f"error calling {name}: incompatible types for comparison", "exec")
        return op(a, b)
    return fn


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError) as err:
            if isinstance(value, Mapping):
                return "" if all(isinstance(v, str) for v in value.values()) else None
            raise TemplateError(f"error calling index: index of untyped nil or out of range: {key!r}", "exec") from err
    return value


def _default(default: Any, *given: Any) -> Any:
    return given[0] if given and truth(given[0]) else default


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "print": lambda *a: "".join(go_string(x) if i == 0 or isinstance(x, str) or isinstance(a[i - 1], str)
                                else " " + go_string(x) for i, x in enumerate(a)),
    "println": lambda *a: " ".join(go_string(x) for x in a) + "\n",
    "printf": _printf,
    "len": lambda v: len(v),
    "index": _index,
    "not": lambda v: not truth(v),
    "eq": _compare("eq", lambda a, b: a == b),
    "ne": _compare("ne", lambda a, b: a != b),
    "lt": _compare("lt", lambda a, b: a < b),
    "le": _compare("le", lambda a, b: a <= b),
    "gt": _compare("gt", lambda a, b: a > b),
    "ge": _compare("ge", lambda a, b: a >= b),
    # sprig (hermetic)
    "upper": lambda s: str(s).upper(),
    "lower": lambda s: str(s).lower(),
    "title": lambda s: str(s).title(),
    "trim": lambda s: str(s).strip(),
    "trimPrefix": lambda p, s: str(s).removeprefix(p),
    "trimSuffix": lambda p, s: str(s).removesuffix(p),
    "replace": lambda old, new, s: str(s).replace(old, new),
    "contains": lambda sub, s: sub in str(s),
    "hasPrefix": lambda p, s: str(s).startswith(p),
    "hasSuffix": lambda p, s: str(s).endswith(p),
    "join": lambda sep, items: sep.join(go_string(i) for i in items),
    "quote": lambda *a: " ".join(f'"{go_string(x)}"' for x in a),
    "squote": lambda *a: " ".join(f"'{go_string(x)}'" for x in a),
    "repeat": lambda n, s: str(s) * int(n),
    "trunc": lambda n, s: str(s)[:int(n)] if int(n) >= 0 else str(s)[int(n):],
    "default": _default,
    "nospace": lambda s: re.sub(r"\s", "", str(s)),
    "indent": lambda n, s: "\n".join(" " * int(n) + line for line in str(s).split("\n")),
    "nindent": lambda n, s: "\n" + "\n".join(" " * int(n) + line for line in str(s).split("\n")),
}


# --- execution ------------------------------------------------------------------------------------------

class _Exec:
    def __init__(self, data: Any) -> None:
        self.data = data
        self.out: list[str] = []
        self.vars: list[tuple[str, Any]] = [("$", data)]

    def err(self, line: int, message: str) -> TemplateError:
        return TemplateError(f"template: {NAME}:{line}: executing {go_quote(NAME)} at <{message}", "exec")

    def lookup(self, name: str, line: int) -> Any:
        for var, value in reversed(self.vars):
            if var == name:
                return value
        raise TemplateError(f"template: {NAME}:{line}: undefined variable {go_quote(name)}", "exec")

    def field(self, value: Any, name: str, line: int) -> Any:
        if isinstance(value, Mapping):
            if name in value:
                return value[name]
            return "" if all(isinstance(v, str) for v in value.values()) else None
        if value is None:
            raise self.err(line, f".{name}>: nil pointer evaluating interface {{}}.{name}")
        attr = getattr(value, name, _MISSING)
        if attr is _MISSING or name.startswith("_"):
            raise self.err(line, f".{name}>: can't evaluate field {name} in type {type(value).__name__}")
        return attr() if callable(attr) else attr

    def chain(self, value: Any, names: list[str], line: int) -> Any:
        for name in names:
            value = self.field(value, name, line)
        return value

    def operand(self, op: Operand, dot: Any, line: int) -> Any:
        if op.kind == "dot":
            return dot
        if op.kind == "field":
            return self.chain(dot, op.chain, line)
        if op.kind == "variable":
            return self.chain(self.lookup(op.value, line), op.chain, line)
        if op.kind == "literal":
            return op.value
        if op.kind == "pipeline":
            return self.chain(self.pipeline(op.value, dot, line, declare=False), op.chain, line)
        raise self.err(line, f"{op.value}>: function {op.value!r} used as a value")

    def command(self, cmd: Command, dot: Any, line: int, final: Any) -> Any:
        first = cmd.args[0]
        if first.kind == "ident":
            fn = FUNCTIONS.get(first.value)
            if fn is None:
                raise TemplateError(f"template: {NAME}:{line}: function {go_quote(first.value)} not defined", "parse")
            args = [self.operand(a, dot, line) for a in cmd.args[1:]]
            if final is not _NO_FINAL:
                args.append(final)
            try:
                return fn(*args)
            except TemplateError:
                raise
            except Exception as err:  # noqa: BLE001
                raise self.err(line, f"{first.value}>: error calling {first.value}: {err}") from err
        if len(cmd.args) > 1 or final is not _NO_FINAL:
            raise self.err(line, f"{go_string(first.value)}>: can't give argument to non-function")
        return self.operand(first, dot, line)

    def pipeline(self, pipe: Pipeline, dot: Any, line: int, declare: bool = True) -> Any:
        value: Any = _NO_FINAL
        for cmd in pipe.commands:
            value = self.command(cmd, dot, line, value)
        if declare and pipe.decl:
            if pipe.assign:
                for i, (var, _) in enumerate(self.vars):
                    if var == pipe.decl[0]:
                        self.vars[i] = (var, value)
            else:
                self.vars.append((pipe.decl[0], value))
        return value

    def run(self, nodes: list[Any], dot: Any) -> None:
        for node in nodes:
            if isinstance(node, Text):
                self.out.append(node.text)
            elif isinstance(node, Action):
                value = self.pipeline(node.pipe, dot, node.line)
                if not node.pipe.decl:
                    self.out.append(go_string(value))
            else:
                self.branch(node, dot)

    def branch(self, node: Branch, dot: Any) -> None:
        mark = len(self.vars)
        if node.keyword == "range":
            self.range(node, dot)
        else:
            value = self.pipeline(node.pipe, dot, node.line)
            if truth(value):
                self.run(node.body, value if node.keyword == "with" else dot)
            else:
                self.run(node.orelse, dot)
        del self.vars[mark:]

    def range(self, node: Branch, dot: Any) -> None:
        value = self.pipeline(Pipeline([], node.pipe.commands), dot, node.line, declare=False)
        if isinstance(value, Mapping):
            items = _sorted_items(value)
        elif isinstance(value, (list, tuple)):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(i, i) for i in range(value)]
        elif value is None:
            items = []
        else:
            raise self.err(node.line, f"range>: range can't iterate over {go_string(value)}")
        if not items:
            self.run(node.orelse, dot)
            return
        for key, element in items:
            mark = len(self.vars)
            if len(node.pipe.decl) == 1:
                self.vars.append((node.pipe.decl[0], element))
            elif len(node.pipe.decl) == 2:
                self.vars += [(node.pipe.decl[0], key), (node.pipe.decl[1], element)]
            self.run(node.body, element)
            del self.vars[mark:]


_MISSING = object()
_NO_FINAL = object()


def parse(source: str) -> list[Any]:
    """Parse a template (TemplateError with phase "parse" on bad syntax)."""
    return _Parser(source).parse()


def render(source: str, data: Any) -> str:
    """Execute `source` with `data` as dot."""
    nodes = parse(source)
    ex = _Exec(data)
    ex.run(nodes, data)
    return "".join(ex.out)
