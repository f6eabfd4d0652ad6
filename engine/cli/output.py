"""Console output the way the flux CLI prints it: progress lines on stderr, tab-joined tables, sorted-key YAML."""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

import yaml

_HEX = re.compile(r"\b[0-9a-f]{40,128}\b")


class CLIError(Exception):
    """A command failed: `main` prints `✗ <message>` on stderr and exits with `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Printer:
    """flux's logger: `►` action, `✚` generate, `◎` waiting, `✔` success, `⚠️` warning, `✗` failure (stderr)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    def _line(self, prefix: str, text: str) -> None:
        print(f"{prefix} {text}", file=self.stream, flush=True)

    def action(self, text: str) -> None:
        self._line("►", text)

    def generate(self, text: str) -> None:
        self._line("✚", text)

    def waiting(self, text: str) -> None:
        self._line("◎", text)

    def success(self, text: str) -> None:
        self._line("✔", text)

    def warning(self, text: str) -> None:
        self._line("⚠️", text)

    def failure(self, text: str) -> None:
        self._line("✗", text)


def shorten_hex(text: str) -> str:
    """Hex runs of 40–128 chars cut to 8 (`main@sha1:132f4e71`), as `flux get` shows revisions."""
    return _HEX.sub(lambda m: m.group(0)[:8], text)


def table(header: list[str], rows: list[list[str]]) -> str:
    """No borders, upper-cased headers, cells padded to the column width and joined by a TAB."""
    head = [h.upper() for h in header]
    widths = [max([len(head[i])] + [len(r[i]) for r in rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        padded = [c.ljust(widths[i]) if i < len(cells) - 1 else c for i, c in enumerate(cells)]
        return "\t".join(padded)

    return "\n".join([line(head)] + [line(r) for r in rows]) + "\n"


class _GoYamlDumper(yaml.SafeDumper):
    """go-yaml's choice of scalar style: multi-line strings as literal blocks (`|`, `|-`)."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not any(line != line.rstrip() for line in value.split("\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_str(value)


_GoYamlDumper.add_representer(str, _str)


def to_yaml(obj: Any) -> str:
    """sigs.k8s.io/yaml style: keys alphabetical, 2-space indent, lists not indented under their key, multi-line
    strings as literal blocks."""
    return yaml.dump(obj, Dumper=_GoYamlDumper, sort_keys=True, default_flow_style=False, allow_unicode=True,
                     width=1 << 16)


def export(objs: list[dict[str, Any]]) -> str:
    """Each object prefixed by `---`, as `flux … --export` prints."""
    return "".join("---\n" + to_yaml(o) for o in objs)
