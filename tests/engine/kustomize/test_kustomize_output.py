"""output.render: byte-identical to kustomize v5.5.0 (corpus round trip, recorded probes, kubectl oracle)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.kustomize.errors import KustomizeError
from engine.kustomize.output import render, sorted_keys
from engine.kustomize.yamlio import load_documents
from tests.corpus import KUSTOMIZE_CORPUS

CORPUS = KUSTOMIZE_CORPUS
_BREAK_CHARS = "\n\r\x85\u2028\u2029"
EXPECTED = sorted(CORPUS.glob("*/expected.yaml"))


@pytest.mark.parametrize("path", EXPECTED, ids=[p.parent.name for p in EXPECTED])
def test_corpus_output_round_trips_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert render(load_documents(text, source=str(path))) == text


def test_empty_result_is_empty_string() -> None:
    assert render([]) == ""


def test_documents_are_joined_with_separators_and_end_with_newline() -> None:
    assert (
        render([{"kind": "A"}, {"kind": "B", "x": {}, "y": []}]) == 'kind: A\n---\nkind: B\nx: {}\n"y": []\n'
    )


def test_keys_sort_like_go_yaml_v2() -> None:
    keys = [
        "a10",
        "a9",
        "_x",
        "Ab",
        "a-b",
        "a_b",
        "ab",
        "a01",
        "a1",
        "10",
        "9",
        "é",
        "z",
        "x1y",
        "x01y",
        "a0",
        "a00",
    ]
    assert sorted_keys(dict.fromkeys(keys)) == [
        "_x", "9", "10", "Ab", "a-b", "a_b", "a0", "a00", "a1", "a01", "a9", "a10", "ab", "x1y", "x01y", "z", "é",
    ]  # fmt: skip


def test_nesting_and_list_indentation() -> None:
    obj = {
        "spec": {
            "containers": [{"name": "a", "args": ["x", "y"], "ports": [{"containerPort": 80}]}],
            "m": [[1, 2], []],
        }
    }
    assert render([obj]) == (
        "spec:\n"
        "  containers:\n"
        "  - args:\n"
        "    - x\n"
        '    - "y"\n'
        "    name: a\n"
        "    ports:\n"
        "    - containerPort: 80\n"
        "  m:\n"
        "  - - 1\n"
        "    - 2\n"
        "  - []\n"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain text", "plain text"),
        ("", '""'),
        ("yes", '"yes"'),
        ("N", '"N"'),
        ("8080", '"8080"'),
        ("-1", '"-1"'),
        ("0.75", '"0.75"'),
        ("1e3", '"1e3"'),
        ("+1", '"+1"'),
        ("0b101", '"0b101"'),
        ("1_000", '"1_000"'),
        ("02:30", '"02:30"'),
        ("190:20:30.15", '"190:20:30.15"'),
        ("2024-01-15", '"2024-01-15"'),
        ("1e999", "1e999"),
        ("<<", "<<"),
        ("- a", "'- a'"),
        ("-a", "-a"),
        (":a", ":a"),
        ("a:", "'a:'"),
        ("a: b", "'a: b'"),
        ("a #b", "'a #b'"),
        ("a#b", "a#b"),
        ("[a", "'[a'"),
        ("*.example.com", "'*.example.com'"),
        ("---", "'---'"),
        ("`x", "'`x'"),
        (" padded ", "' padded '"),
        ("it's", "it's"),
        ("'quoted'", "'''quoted'''"),
        ("col1\tcol2", '"col1\\tcol2"'),
        ("\U0001f600 emoji", '"\\U0001F600 emoji"'),
        ("x\u00a0y", "x\u00a0y"),
        ("héllo ✓", "héllo ✓"),
        ("x\r\ny", '"x\\r\\ny"'),
        ("trailing \nline", '"trailing \\nline"'),
        ("done\n", "|\n  done"),
        ("a\nb", "|-\n  a\n  b"),
        ("a\n\n", "|+\n  a\n"),
        (" lead\nx", "|2-\n   lead\n  x"),
        ("\nlead", "|2-\n\n  lead"),
    ],
)
def test_string_styles(value: str, expected: str) -> None:
    assert render([{"k": value}]) == f"k: {expected}\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(416, "416"), (1000.0, "1000"), (0.5, "0.5"), (1234567.5, "1.2345675e+06"), (1e-7, "1e-07"), (-0.0, "0"),
     (1e21, "1e+21"), (True, "true"), (None, "null")],
)  # fmt: skip
def test_numbers_print_as_go_does(value: object, expected: str) -> None:
    assert render([{"k": value}]) == f"k: {expected}\n"


def test_long_plain_string_folds_after_column_80() -> None:
    text = (
        "Front-end strings for the checkout flow, maintained by the payments team; do not edit by hand please"
    )
    out = render([{"metadata": {"annotations": {"description": text}}}])
    assert out == (
        "metadata:\n  annotations:\n    description: Front-end strings for the checkout flow, maintained by the payments\n"
        "      team; do not edit by hand please\n"
    )
    assert render([{"k": "x" * 200}]) == f"k: {'x' * 200}\n"


ORACLE_STRINGS = [
    "a " * 60,
    "word " * 30 + "end",
    "x" * 85 + " tail words here",
    "tab\tand a long line " + "z " * 50,
    "quote's and a long line " + "q " * 50,
    "#start " + "w " * 50,
    "two  spaces  " + "a  " * 40 + "end",
    "emoji \U0001f680 " * 12,
    "multi\nline with trailing space \nx",
    "café " * 30,
    "\u2028sep",
    "a\u2028b",
    "n",
    "Off",
    "0x1F",
    "0o17",
    "-.inf",
    ".5",
    "1:2",
    "@handle",
    "%x",
    "? q",
    "a ? b",
    "{a}",
    "a,b]",
]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (the kustomize oracle) is not installed")
def test_matches_kubectl_kustomize_oracle(tmp_path: Path) -> None:
    data = {f"k{i:02d}": s for i, s in enumerate(ORACLE_STRINGS)}
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe"}, "data": data,
           "nested": {"list": [{"deep": {"v": s}} for s in ORACLE_STRINGS[:6]]}}  # fmt: skip
    (tmp_path / "cm.json").write_text(__import__("json").dumps(obj, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text("resources:\n- cm.json\n")
    result = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert render([obj]) == result.stdout


def test_nel_is_folded_like_kustomizes_json_round_trip() -> None:
    assert (
        render([{"k": "a \x85 b", "j": "a\x85\x85b", "t": "a\t\x85"}])
        == 'j: |-\n  a\n  b\nk: a b\nt: "a\\t "\n'
    )


def test_c1_control_characters_are_an_error() -> None:
    with pytest.raises(KustomizeError, match="control characters are not allowed"):
        render([{"k": "bad\x7fchar"}])


_FUZZ_ALPHABET = [*"abcXYZ019 _-.:#'\"!&*?|>%@`,[]{}=\t\n\\/~+", "é", "✓", "\u00a0", "\u2028", "\U0001f600",
                  "\ufeff", "\x85", "\r", "\x01", "\x1b"]  # fmt: skip
_FUZZ_WORDS = ["yes", "no", "on", "off", "y", "n", "true", "null", "~", "0640", "0x1F", "1e3", ".5", "02:30",
               "2024-01-15", "-", "---", "...", "? ", "- ", ": ", " #", "+1", "1_000", "0b1", ".inf", "-.inf",
               ".nan", "0o17", "1:20", "12:30:45.5"]  # fmt: skip


def _fuzz_strings(seed: int, count: int) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        size = rnd.choice([1, 2, 3, 5, 8, 20, 60, 90, 130])
        parts: list[str] = []
        while sum(map(len, parts)) < size:
            roll = rnd.random()
            if roll < 0.2:
                parts.append(rnd.choice(_FUZZ_WORDS))
            elif roll < 0.76:
                parts.append(rnd.choice(_FUZZ_ALPHABET))
            else:
                parts.append(" ".join(rnd.choice(["word", "longer", "x"]) for _ in range(rnd.randint(1, 6))))
        out.append("".join(parts))
    return out


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (the kustomize oracle) is not installed")
@pytest.mark.parametrize("seed", [1, 2])
def test_random_strings_match_kubectl(tmp_path: Path, seed: int) -> None:
    strings = _fuzz_strings(seed, 300)
    # keys with digits can have no total go-yaml order (kustomize's own output then varies run to run)
    keys = {s[:40]: "v" for s in strings[:150] if not any(c.isdigit() or c in _BREAK_CHARS for c in s[:40])}
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fuzz"},
           "data": {f"k{i:03d}": s for i, s in enumerate(strings)}, "keys": keys,
           "nest": {"l": [{"a": {"b": s}} for s in strings[:40]]}}  # fmt: skip
    text = json.dumps(obj, ensure_ascii=False)
    for raw in ("\x85", "\ufeff", "\u2028", "\u2029"):
        text = text.replace(raw, f"\\u{ord(raw):04x}")
    (tmp_path / "cm.json").write_text(text, encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text("resources:\n- cm.json\n")
    result = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert render([obj]) == result.stdout


def test_long_and_multiline_keys_use_complex_key_form() -> None:
    long_key = "example.com/" + "a" * 120
    obj = {
        "m": {
            long_key: {"a": 1, "l": [1]},
            "multi\nline": "v",
            "p" * 128: "s",
            "L": {long_key: [1, {"x": 1}]},
        }
    }
    assert render([obj]) == (
        "m:\n"
        f"  L:\n    ? {long_key}\n    : - 1\n      - x: 1\n"
        f"  ? {long_key}\n  : a: 1\n    l:\n    - 1\n"
        "  ? |-\n    multi\n    line\n  : v\n"
        f"  {'p' * 128}: s\n"
    )


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (the kustomize oracle) is not installed")
def test_complex_keys_match_kubectl(tmp_path: Path) -> None:
    long_key = "example.com/" + "a" * 120
    words = " ".join(["word"] * 30)
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "annotations": {long_key: "v"}},
           "deep": {long_key: {"a": 1, "b": {"c": 2}, "l": [1]}, "L" + long_key: [1, {"x": 1, "y": 2}, [3]],
                    words: "value " * 20, "multi\nline": "v", "é" * 70: "v", "q" * 129: "yes", "e" * 130: {}},
           "lst": [{long_key: 1, "z": 2}]}  # fmt: skip
    (tmp_path / "r.json").write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text("resources:\n- r.json\n")
    result = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert render([obj]) == result.stdout
