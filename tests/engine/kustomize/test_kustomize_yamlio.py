"""yamlio: kustomize's scalar typing, document handling and error wording."""

from __future__ import annotations

import pytest

from engine.kustomize.errors import KustomizeError
from engine.kustomize.yamlio import load_documents, load_mapping
from tests.corpus import KUSTOMIZE_CORPUS

CORPUS = KUSTOMIZE_CORPUS


def _value(text: str):
    return load_documents(f"kind: X\nv: {text}\n", source="t.yaml")[0]["v"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0640", 416),
        ("0x1F", 31),
        ("0o17", 15),
        ("0b101", 5),
        ("1_000", 1000),
        ("08", 8.0),
        ("+5", 5),
        ("-3", -3),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("1.50", 1.5),
        ("12345678901234567890", 12345678901234567890),
        ("2024-01-15", "2024-01-15T00:00:00Z"),
        ("2024-01-15 10:30:00", "2024-01-15T10:30:00Z"),
        ("2024-1-5T10:30:00.500+02:00", "2024-01-05T10:30:00.5+02:00"),
        ("2024-13-01", "2024-13-01"),
        ("02:30", "02:30"),
        ("~", None),
        ("null", None),
        ("", None),
        ("yes", "yes"),
        ("on", "on"),
        ("no", "no"),
        ("off", "off"),
        ("y", "y"),
        ("true", True),
        ("False", False),
        ("1e999", "1e999"),
        ("'0640'", "0640"),
        ('"true"', "true"),
        ("!!str 12", "12"),
        ('!!int "0x10"', 16),
        ("!!binary aGVsbG8=", "hello"),
        ("!custom 13", "13"),
        ("<<", "<<"),
    ],
)
def test_scalars_are_typed_like_kustomize(text: str, expected: object) -> None:
    value = _value(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("text", [".inf", "-.Inf", ".nan"])
def test_infinity_and_nan_fail_like_json_encoding(text: str) -> None:
    with pytest.raises(KustomizeError, match=r"json: unsupported value.*in File: t\.yaml"):
        _value(text)


def test_empty_and_comment_only_documents_are_dropped() -> None:
    text = "---\n# only a comment\n---\nkind: A\n---\n\n---\nkind: B\n...\n"
    assert load_documents(text, source="m.yaml") == [{"kind": "A"}, {"kind": "B"}]


def test_json_input_is_accepted() -> None:
    assert load_documents('{"kind": "A", "n": [1, 2.5, "x"]}', source="a.json") == [
        {"kind": "A", "n": [1, 2.5, "x"]}
    ]


def test_merge_keys_and_aliases_give_independent_copies() -> None:
    doc = load_documents("base: &b {a: '1', c: 3}\ndata:\n  <<: *b\n  a: '2'\nother: *b\n", source="m.yaml")[
        0
    ]
    assert doc["data"] == {"a": "2", "c": 3}
    doc["other"]["a"] = "changed"
    assert doc["base"]["a"] == "1"


def test_duplicate_key_is_an_error_naming_both_lines() -> None:
    with pytest.raises(KustomizeError) as info:
        load_documents("kind: A\ndata:\n  a: '1'\n  a: '2'\n", source="cm.yaml")
    assert 'line 4: mapping key "a" already defined at line 3' in info.value.message
    assert info.value.path == "cm.yaml"


def test_non_mapping_document_is_an_error() -> None:
    with pytest.raises(KustomizeError, match=r"document 1 .*list"):
        load_documents("- a\n- b\n", source="l.yaml")


def test_resource_syntax_error_matches_case_018() -> None:
    case = CORPUS / "018-resource-invalid-yaml-error"
    with pytest.raises(KustomizeError) as info:
        load_documents((case / "build" / "configmap.yaml").read_text(), source="configmap.yaml")
    expected = (case / "expected-error-message.txt").read_text().strip()
    assert expected.endswith(": " + info.value.message)


def test_kustomization_syntax_error_matches_case_017() -> None:
    case = CORPUS / "017-kustomization-invalid-yaml-error"
    with pytest.raises(KustomizeError) as info:
        load_mapping((case / "build" / "kustomization.yaml").read_text(), source="kustomization.yaml")
    assert info.value.message == (case / "expected-error-message.txt").read_text().strip()


def test_load_mapping_shapes() -> None:
    assert load_mapping("# nothing\n", source="k.yaml") == {}
    assert load_mapping("resources:\n- a.yaml\nnamespace: yes\n", source="k.yaml") == {
        "resources": ["a.yaml"],
        "namespace": "yes",
    }
    with pytest.raises(KustomizeError, match="not a mapping"):
        load_mapping("- a\n", source="k.yaml")
    with pytest.raises(KustomizeError, match="holds 2 YAML documents"):
        load_mapping("a: 1\n---\nb: 2\n", source="k.yaml")


# messages recorded with kubectl v1.32 (kustomize v5.5.0) for the same input
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('a: "unclosed\nb: 1\n', "yaml: line 3: found unexpected end of stream"),
        ("a:\n  b: 1\n c: 2\n", "yaml: line 2: did not find expected key"),
        ("a: *nope\n", "yaml: unknown anchor 'nope' referenced"),
        ("a: [1, 2\n", "yaml: line 1: did not find expected ',' or ']'"),
        ("a: {x: 1\n", "yaml: line 1: did not find expected ',' or '}'"),
        ("a: b\n  c: d\n", "yaml: line 2: mapping values are not allowed in this context"),
        ("a: 'x\n", "yaml: line 2: found unexpected end of stream"),
        ("key: value\n- item\n", "yaml: line 1: did not find expected key"),
        ("a:\n  - b\n  c: d\n", "yaml: line 1: did not find expected '-' indicator"),
        ("a: @x\n", "yaml: found character that cannot start any token"),
        ("a: b: c\n", "yaml: mapping values are not allowed in this context"),
        ('a: "\\q"\n', "yaml: found unknown escape character"),
    ],
)
def test_syntax_errors_use_go_yaml_wording_and_line_rule(text: str, message: str) -> None:
    with pytest.raises(KustomizeError) as info:
        load_documents(text, source="r.yaml")
    assert info.value.message == f"MalformedYAMLError: {message} in File: r.yaml"


def test_duplicate_anchor_names_both_lines() -> None:
    with pytest.raises(KustomizeError, match="line 2: anchor defined twice \\(first on line 1\\)"):
        load_documents("a: &x 1\nb: &x 2\n", source="r.yaml")


def test_top_level_annotations_keep_their_text_like_kustomize_prints_them() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n- kind: Deployment\n  metadata:\n    name: x\n"
        "    annotations: {a: 0640, b: 1.50, c: true, d: ~, e: , f: [1], g: {k: 1}}\n"
        "    labels: {a: 0640}\n"
        "  spec:\n    template:\n      metadata:\n        annotations: {a: 0640}\n"
    )
    item = load_documents(text, source="list.yaml")[0]["items"][0]
    assert item["metadata"]["annotations"] == {"a": "0640", "b": "1.50", "c": "true", "d": None, "e": None, "f": "",
                                               "g": ""}  # fmt: skip
    assert item["metadata"]["labels"] == {"a": 416}
    assert item["spec"]["template"]["metadata"]["annotations"] == {"a": 416}
