"""Notebook widgets with a plain-text twin, so every view also reads in a terminal, on GitHub and under nbval.

`diff_view(old, new)` shows two YAML texts side by side (an ipywidgets `HTML` widget built with difflib; long
runs of unchanged lines fold to a row, with 3 lines of context around each change) and carries a unified diff as its `text/plain` form. nbval never compares widget-view JSON (its model id is
random) but does compare `text/plain`, so a cell ending in `diff_view(...)` has a stable, checkable output.
Without ipywidgets the same call returns a `TextDiff`, which displays as the unified diff.
"""

from __future__ import annotations

import difflib
import html
from typing import Any

__all__ = ["TextDiff", "diff_view", "html_diff", "unified_diff"]

NO_CHANGES = "(no differences)"


def unified_diff(old: str, new: str, fromfile: str = "before", tofile: str = "after", context: int = 3) -> str:
    """The `diff -u` text between two strings; `(no differences)` when they are equal."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile, tofile, n=context
        )
    )
    if not lines:
        return NO_CHANGES
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")


_STYLE = (
    "<style>"
    ".ws-diff{font-family:var(--jp-code-font-family,monospace);font-size:12px;border-collapse:collapse}"
    ".ws-diff td,.ws-diff th{padding:0 6px;vertical-align:top;white-space:pre}"
    ".ws-diff th{text-align:left;border-bottom:1px solid #999}"
    ".ws-diff .n{color:#888;text-align:right}"
    ".ws-diff .add{background:#e6ffec}.ws-diff .del{background:#ffebe9}.ws-diff .chg{background:#fff8c5}"
    ".ws-diff .fold td{color:#888;background:#f6f8fa;font-style:italic}"
    "</style>"
)


def html_diff(old: str, new: str, fromfile: str = "before", tofile: str = "after", context: int = 3) -> str:
    """A side-by-side HTML table of the two texts; changed lines are coloured. Deterministic.

    As in code review tools, a run of unchanged lines longer than twice `context` shows only `context` lines next to
    each change and one row saying how many lines are folded away.
    """
    a, b = old.splitlines(), new.splitlines()
    rows: list[str] = []

    def fold(i1: int, i2: int) -> None:
        count = i2 - i1
        what = f"{count} unchanged line{'s' if count != 1 else ''} ({fromfile} {i1 + 1}-{i2})"
        rows.append(f'<tr class="fold"><td class="n">&#8942;</td><td colspan="3">{html.escape(what)}</td></tr>')

    def row(cls: str, i: int | None, left: str, j: int | None, right: str) -> None:
        li = "" if i is None else str(i + 1)
        rj = "" if j is None else str(j + 1)
        lcls = {"chg": "chg", "del": "del"}.get(cls, "")
        rcls = {"chg": "chg", "add": "add"}.get(cls, "")
        rows.append(
            f'<tr><td class="n">{li}</td><td class="{lcls}">{html.escape(left)}</td>'
            f'<td class="n">{rj}</td><td class="{rcls}">{html.escape(right)}</td></tr>'
        )

    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            keep_head = 0 if index == 0 else context  # lines after the previous change
            keep_tail = 0 if index == len(opcodes) - 1 else context  # lines before the next change
            shown = [k for k in range(i2 - i1) if k < keep_head or k >= i2 - i1 - keep_tail]
            if len(opcodes) == 1 or len(shown) >= i2 - i1 - 1:  # nothing changed, or folding would hide 0-1 lines
                shown = list(range(i2 - i1))
            for pos, k in enumerate(shown):
                if pos > 0 and k != shown[pos - 1] + 1:
                    fold(i1 + shown[pos - 1] + 1, i1 + k)
                elif pos == 0 and k > 0:
                    fold(i1, i1 + k)
                row("", i1 + k, a[i1 + k], j1 + k, b[j1 + k])
            if not shown:
                fold(i1, i2)
            elif shown[-1] < i2 - i1 - 1:
                fold(i1 + shown[-1] + 1, i2)
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i = i1 + k if i1 + k < i2 else None
            j = j1 + k if j1 + k < j2 else None
            cls = "chg" if i is not None and j is not None else ("del" if i is not None else "add")
            row(cls, i, a[i] if i is not None else "", j, b[j] if j is not None else "")
    head = (
        f'<tr><th></th><th>{html.escape(fromfile)}</th><th></th><th>{html.escape(tofile)}</th></tr>'
    )
    return f'{_STYLE}<table class="ws-diff">{head}{"".join(rows)}</table>'


class TextDiff:
    """The fallback view: displays as the unified diff (text/plain) and the side-by-side table (text/html)."""

    def __init__(self, old: str, new: str, fromfile: str = "before", tofile: str = "after") -> None:
        self.text = unified_diff(old, new, fromfile, tofile)
        self.html = html_diff(old, new, fromfile, tofile)

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text, "text/html": self.html}


def _widget_class() -> type | None:
    try:
        import ipywidgets
    except ImportError:  # pragma: no cover - ipywidgets is a dependency of the kit
        return None

    class DiffWidget(ipywidgets.HTML):  # type: ignore[misc]
        """ipywidgets HTML diff whose text/plain form is the unified diff (what nbval compares)."""

        def __init__(self, old: str, new: str, fromfile: str = "before", tofile: str = "after") -> None:
            super().__init__(value=html_diff(old, new, fromfile, tofile))
            self.text = unified_diff(old, new, fromfile, tofile)

        def __repr__(self) -> str:
            return self.text

        def __str__(self) -> str:
            return self.text

        def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
            bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
            bundle["text/plain"] = self.text
            return bundle

    return DiffWidget


_DiffWidget = _widget_class()


def diff_view(old: str, new: str, fromfile: str = "before", tofile: str = "after", *, widget: bool = True) -> Any:
    """Side-by-side diff widget (text/plain: unified diff); `widget=False` or no ipywidgets gives a TextDiff."""
    if widget and _DiffWidget is not None:
        return _DiffWidget(old, new, fromfile, tofile)
    return TextDiff(old, new, fromfile, tofile)
