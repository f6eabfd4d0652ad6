"""output.render: byte-identical to kustomize v5.5.0 (corpus round trip, recorded probes, kubectl oracle)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from engine.kustomize.output import render, sorted_keys
from engine.kustomize.yamlio import load_documents

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / "kustomize"
EXPECTED = sorted(CORPUS.glob("*/expected.yaml")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not EXPECTED, reason=f"conformance corpus not found at {CORPUS}")
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
