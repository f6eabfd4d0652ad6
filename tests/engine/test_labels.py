"""engine.labels: one label-selector matcher for both the text form and the manifest form."""

import pytest

from engine.labels import SelectorError, from_object, parse

LABELS = {"app": "web", "tier": "front", "team": "a"}


@pytest.mark.parametrize(("text", "matches"), [
    ("", True), ("app=web", True), ("app==web", True), ("app!=web", False), ("app!=db", True),
    ("missing!=x", True), ("app in (web,db)", True), ("app notin (web)", False), ("tier", True),
    ("!tier", False), ("!missing", True), ("app=web,tier in (front, back),!missing", True),
    ("app=web,team=b", False),
])
def test_text_form(text: str, matches: bool) -> None:
    assert parse(text).matches(LABELS) is matches


@pytest.mark.parametrize(("selector", "matches"), [
    (None, True), ({}, True), ({"matchLabels": {"app": "web"}}, True), ({"matchLabels": {"app": "db"}}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, False),
    ({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, True),
    ({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "x", "operator": "Exists"}]}, False),
])
def test_object_form(selector: dict | None, matches: bool) -> None:
    assert from_object(selector).matches(LABELS) is matches


def test_errors_say_what_is_allowed() -> None:
    with pytest.raises(SelectorError, match=r"cannot parse 'a b'.*key in \(a,b\)"):
        parse("a b")
    with pytest.raises(SelectorError, match="'!' cannot be combined with 'in'"):
        parse("!a in (x)")
    with pytest.raises(SelectorError, match="'Has' is not a valid label selector operator"):
        from_object({"matchExpressions": [{"key": "a", "operator": "Has"}]})
