"""workshop.widgets.diff_view: a widget whose text/plain form is a stable unified diff (what nbval compares)."""

from __future__ import annotations

import ipywidgets

from workshop.widgets import TextDiff, diff_view, html_diff, unified_diff

OLD = "kind: Deployment\nmetadata:\n  name: webserver\nspec:\n  replicas: 1\n"
NEW = "kind: Deployment\nmetadata:\n  name: webserver-dev\nspec:\n  replicas: 1\n"


def test_unified_diff_is_diff_u() -> None:
    assert unified_diff(OLD, NEW, "base", "overlay").splitlines() == [
        "--- base",
        "+++ overlay",
        "@@ -1,5 +1,5 @@",
        " kind: Deployment",
        " metadata:",
        "-  name: webserver",
        "+  name: webserver-dev",
        " spec:",
        "   replicas: 1",
    ]


def test_equal_texts_say_so() -> None:
    assert unified_diff(OLD, OLD) == "(no differences)"


def test_a_missing_final_newline_does_not_glue_lines() -> None:
    assert unified_diff("a\nb", "a\nc").splitlines()[-2:] == ["-b", "+c"]


def test_widget_text_plain_is_the_unified_diff_and_widget_json_is_kept() -> None:
    view = diff_view(OLD, NEW, "base", "overlay")
    assert isinstance(view, ipywidgets.HTML)
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"] == unified_diff(OLD, NEW, "base", "overlay")
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert repr(view) == str(view) == view.text


def test_widget_html_marks_changed_lines_and_escapes() -> None:
    page = html_diff("a: <x>\n", "a: <y>\n", "left", "right")
    assert "&lt;x&gt;" in page and "&lt;y&gt;" in page and "<x>" not in page
    assert 'class="chg"' in page
    assert "<th>left</th>" in page and "<th>right</th>" in page
    added = html_diff("a\n", "a\nb\n")
    assert 'class="add">b<' in added


def test_html_is_deterministic() -> None:
    assert html_diff(OLD, NEW) == html_diff(OLD, NEW)
    assert diff_view(OLD, NEW).value == diff_view(OLD, NEW).value


def test_text_fallback_without_widgets() -> None:
    view = diff_view(OLD, NEW, "base", "overlay", widget=False)
    assert isinstance(view, TextDiff)
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"] == view.text == repr(view)
    assert bundle["text/html"] == html_diff(OLD, NEW, "base", "overlay")


def test_unchanged_runs_fold_with_three_lines_of_context() -> None:
    import re

    from workshop.widgets import html_diff

    old = "\n".join(f"line {n}" for n in range(1, 31))
    new = old.replace("line 15", "line fifteen")
    table = html_diff(old, new, "base", "overlay")
    shown = [int(n) for n in re.findall(r'<td class="n">(\d+)</td><td class="[a-z]*">line', table)]
    assert sorted(set(shown)) == [12, 13, 14, 15, 16, 17, 18]  # the change (15) and 3 lines of context each side
    assert '<td class="chg">line 15</td>' in table and '<td class="chg">line fifteen</td>' in table
    folds = re.findall(r'<tr class="fold">.*?<td colspan="3">(.*?)</td></tr>', table)
    assert folds == ["11 unchanged lines (base 1-11)", "12 unchanged lines (base 19-30)"]


def test_short_unchanged_runs_and_equal_texts_do_not_fold() -> None:
    from workshop.widgets import html_diff

    old = "a\nb\nc\nd\ne\nf\ng\nh\n"
    assert 'class="fold"' not in html_diff(old, old.replace("d", "D"))  # 3 + 4 unchanged lines: nothing to hide
    assert 'class="fold"' not in html_diff(old, old)  # no change: the whole text, as before
    assert 'class="fold"' in html_diff(old * 3, (old * 3).replace("a", "A", 1))
