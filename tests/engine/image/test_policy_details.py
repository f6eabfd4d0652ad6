"""Masterminds and Go details behind the policies, beyond the conformance table."""

from __future__ import annotations

import math

import pytest

from engine.gotext import compile_go_regex, go_expand, go_parse_float, go_quote
from engine.image import PolicyError, select_latest
from engine.masterminds import ConstraintError, Constraints, parse_tag


def pick(range_: str, tags: list[str]) -> str:
    return select_latest({"policy": {"semver": {"range": range_}}}, tags)


@pytest.mark.parametrize(("range_", "tags", "expected"), [
    (">=1.0.0-0 <2.0.0", ["1.4.0", "1.5.0-rc.1"], "1.5.0-rc.1"),
    (">=1.0.0-0 <2.0.0", ["1.5.0-rc.1", "2.0.0-rc.1"], "2.0.0-rc.1"),  # a prerelease sorts below its release
    (">=1.0.0 <2.0.0", ["1.0.0", "1.1.0", "2.0.0-rc.1"], "1.1.0"),
    ("1.2 - 1.4.5", ["1.1.9", "1.2.0", "1.4.5", "1.4.6"], "1.4.5"),
    ("^0.0.3", ["0.0.3+a", "0.0.4", "0.0.2"], "0.0.3+a"),
    (">= 1.2.3, < 2", ["1.2.2", "1.9.9", "2.0.0"], "1.9.9"),
    ("*", ["0.1.0", "3.2.1", "4.0.0-beta.1"], "3.2.1"),
    ("~0", ["0.9.0", "1.0.0"], "0.9.0"),
    (">=1.0.0", ["1.0.0+b", "1.0.0+a"], "1.0.0+b"),
])
def test_semver_ranges(range_: str, tags: list[str], expected: str) -> None:
    assert pick(range_, tags) == expected


@pytest.mark.parametrize(("range_", "message"), [
    ("x1", "constraint parser error"),
    ("1.2.3.4", 'improper constraint: "1.2.3.4"'),
    (">=1.0.0 || bad", 'improper constraint: " bad"'),
])
def test_bad_ranges(range_: str, message: str) -> None:
    with pytest.raises(ConstraintError, match=f"^{message}$".replace("|", r"\|")):
        Constraints(range_)
    with pytest.raises(PolicyError) as err:
        pick(range_, ["1.0.0"])
    assert err.value.reason == "InvalidPolicy" and err.value.message == f"invalid policy: {message}"


@pytest.mark.parametrize(("tag", "ok"), [
    ("1.2", False), ("2", False), ("1.2.3.4", False), ("V1.2.3", False), ("v2025.02.03", True),
    ("1.2-rc.1", True), ("1.0.0-rc.01", False), ("18446744073709551616.0.0", False), ("1.0.0+build.01", True),
])
def test_tag_parsing(tag: str, ok: bool) -> None:
    assert (parse_tag(tag) is not None) == ok


@pytest.mark.parametrize(("text", "value"), [
    ("-1", -1.0), ("+3", 3.0), (".5", 0.5), ("1.", 1.0), ("007", 7.0), ("1e3", 1000.0), ("1_000", 1000.0),
    ("0x1p4", 16.0), ("Inf", math.inf), ("-infinity", -math.inf),
    ("0x10", None), ("1,5", None), (" 1", None), ("1e400", None), ("_1", None), ("1__0", None), ("+nan", None),
])
def test_go_parse_float(text: str, value: float | None) -> None:
    assert go_parse_float(text) == value


def test_go_parse_float_nan() -> None:
    assert math.isnan(go_parse_float("NaN") or 0.0)


def test_expand_follows_go_names() -> None:
    m = compile_go_regex(r"^(?P<word>[a-z]+)-(\d+)$").search("abc-42")
    assert m is not None
    assert go_expand("$1x", m) == ""
    assert go_expand("${1}x", m) == "abcx"
    assert go_expand("$word/$2/$$/${nope}", m) == "abc/42/$/"


def test_go_regex_rejects_what_re2_rejects() -> None:
    with pytest.raises(ValueError, match="invalid or unsupported Perl syntax"):
        compile_go_regex("^(?=a)")
    assert compile_go_regex(r"^(?<v>\d+)$").search("12") is not None


def test_go_quote() -> None:
    assert go_quote('a"b\\c\n') == '"a\\"b\\\\c\\n"'


def test_no_policy_choice() -> None:
    with pytest.raises(PolicyError, match="given ImagePolicyChoice object is invalid"):
        select_latest({"policy": {}}, ["1"])
