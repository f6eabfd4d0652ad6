"""The JSONPath subset CRD printer columns use: `.a.b`, `[n]`, `[*]`, `['key']`, `[?(@.type=="Ready")]`."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"""\.([A-Za-z0-9_\-$]+)|\[(\d+|\*|'[^']*'|"[^"]*"|\?\(@\.([\w.\-]+)\s*==\s*(?:"([^"]*)"|'([^']*)'|([\w.\-]+))\))\]""")


def evaluate(obj: Any, path: str) -> list[Any]:
    """All values the path selects (an empty list when nothing matches or the path is malformed)."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    if path.startswith("$"):
        path = path[1:]
    current = [obj]
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m:
            return []
        pos = m.end()
        nxt: list[Any] = []
        name, bracket = m.group(1), m.group(2)
        for c in current:
            if name is not None:
                if isinstance(c, dict) and name in c:
                    nxt.append(c[name])
            elif bracket == "*":
                if isinstance(c, list):
                    nxt.extend(c)
                elif isinstance(c, dict):
                    nxt.extend(c.values())
            elif bracket.isdigit():
                if isinstance(c, list) and int(bracket) < len(c):
                    nxt.append(c[int(bracket)])
            elif bracket[0] in "'\"":
                if isinstance(c, dict) and bracket[1:-1] in c:
                    nxt.append(c[bracket[1:-1]])
            else:
                field = m.group(3)
                want = next(g for g in (m.group(4), m.group(5), m.group(6)) if g is not None)
                if isinstance(c, list):
                    for item in c:
                        got = evaluate(item, "." + field)
                        if got and str(got[0]) == want:
                            nxt.append(item)
        current = nxt
    return current


def first(obj: Any, path: str) -> Any:
    values = evaluate(obj, path)
    return values[0] if values else None
