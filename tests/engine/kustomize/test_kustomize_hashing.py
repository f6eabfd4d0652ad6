"""hashing.hash_suffix: every hashed name in the corpus, and the properties of kustomize's name hash."""

from __future__ import annotations

import re

import pytest

from engine.kustomize.hashing import go_json, hash_input, hash_suffix
from engine.kustomize.yamlio import load_documents
from tests.corpus import KUSTOMIZE_CORPUS

CORPUS = KUSTOMIZE_CORPUS
SUFFIX = re.compile(r"-([2456789bcdfghkmt]{10})$")


def _hashed_objects() -> list[tuple[str, dict, str]]:
    found = []
    for path in sorted(CORPUS.glob("*/expected.yaml")):
        for obj in load_documents(path.read_text(encoding="utf-8"), source=str(path)):
            if obj.get("kind") in ("ConfigMap", "Secret"):
                match = SUFFIX.search(obj["metadata"]["name"])
                if match:
                    found.append((f"{path.parent.name}:{obj['metadata']['name']}", obj, match.group(1)))
    return found


HASHED = _hashed_objects()


@pytest.mark.parametrize(("label", "obj", "suffix"), HASHED, ids=[h[0] for h in HASHED])
def test_corpus_hash_suffixes(label: str, obj: dict, suffix: str) -> None:
    assert hash_suffix(obj) == suffix


def test_corpus_has_the_hash_cases() -> None:
    labels = {h[0].split(":")[0] for h in HASHED}
    assert {"075-generator-hash-suffix-data-a", "109-generator-hash-recomputed-after-patch"} <= labels
    assert len(HASHED) >= 25


def test_hash_ignores_name_namespace_labels_and_immutable() -> None:
    base = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v", "a": "b"}}
    other = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "zzz", "namespace": "x", "labels": {"l": "1"}},
        "immutable": True,
        "data": {"a": "b", "k": "v"},
    }
    assert hash_suffix(base) == hash_suffix(other)
    assert hash_suffix(base) != hash_suffix({**base, "data": {"k": "v2", "a": "b"}})
    assert hash_suffix(base) != hash_suffix({**base, "kind": "Secret"})


def test_hash_input_shapes() -> None:
    assert (
        hash_input({"kind": "ConfigMap", "metadata": {"name": "x"}})
        == '{"data":"","kind":"ConfigMap","name":""}'
    )
    secret = {"kind": "Secret", "type": "Opaque", "data": {"k": "dg=="}}
    assert hash_input(secret) == '{"data":{"k":"dg=="},"kind":"Secret","name":"","type":"Opaque"}'
    cm = {"kind": "ConfigMap", "data": {"a": "1"}, "binaryData": {"b": "AAE="}}
    assert hash_input(cm) == '{"binaryData":{"b":"AAE="},"data":{"a":"1"},"kind":"ConfigMap","name":""}'


def test_go_json_escapes_html_and_line_separators() -> None:
    assert go_json({"v": "<a&b>\u2028é\n"}) == '{"v":"\\u003ca\\u0026b\\u003e\\u2028é\\n"}'
