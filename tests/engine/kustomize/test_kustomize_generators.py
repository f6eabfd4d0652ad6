"""generators: ConfigMap/Secret generation checked against the corpus (073-087) and kubectl."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.kustomize.errors import KustomizeError
from engine.kustomize.generators import (
    encode_base64,
    generate,
    merge_generated,
    merge_options,
    needs_hash_suffix,
    parse_env_file,
    parse_file_source,
    parse_literal,
)
from engine.kustomize.hashing import hash_suffix
from engine.kustomize.output import render
from engine.kustomize.yamlio import load_documents, load_mapping
from tests.corpus import KUSTOMIZE_CORPUS

CORPUS = KUSTOMIZE_CORPUS


class DirLoader:
    """Reads files below one directory (a stand-in for the builder's restricted loader)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def load_bytes(self, path: str) -> bytes:
        full = (self.root / path).resolve()
        if self.root not in full.parents:
            raise KustomizeError(f"security; file '{full}' is not in or below '{self.root}'", path=str(full))
        if not full.is_file():
            raise KustomizeError(f"file '{full}' does not exist", path=str(full))
        return full.read_bytes()


def _case(prefix: str) -> Path:
    found = sorted(CORPUS.glob(f"{prefix}-*"))
    assert found, f"conformance case {prefix} not found under {CORPUS}"
    return found[0]


def _generate_all(kdir: Path) -> list[dict]:
    k = load_mapping((kdir / "kustomization.yaml").read_text(), source="kustomization.yaml")
    options = k.get("generatorOptions")
    out = []
    for kind, field in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
        for args in k.get(field, []):
            obj = generate(kind, args, DirLoader(kdir), options)
            if needs_hash_suffix(args, options):
                obj["metadata"]["name"] += "-" + hash_suffix(obj)
            out.append(obj)
    return out


@pytest.mark.parametrize("case", ["073", "074", "075", "081"])
def test_generated_objects_equal_the_corpus(case: str) -> None:
    cdir = _case(case)
    expected = {
        (o["kind"], o["metadata"]["name"]): o
        for o in load_documents((cdir / "expected.yaml").read_text(), source="expected.yaml")
    }
    generated = _generate_all(cdir / "build")
    assert generated
    for obj in generated:
        key = (obj["kind"], obj["metadata"]["name"])
        assert key in expected, f"{key} not in {sorted(expected)}"
        assert render([obj]) == render([expected[key]])


@pytest.mark.parametrize(("case", "kind"), [("078", "ConfigMap"), ("078", "Secret"), ("079", "ConfigMap")])
def test_overlay_behavior_merge_and_replace(case: str, kind: str) -> None:
    cdir = _case(case)
    field = "configMapGenerator" if kind == "ConfigMap" else "secretGenerator"
    base_k = load_mapping((cdir / "base" / "kustomization.yaml").read_text(), source="base")
    over_k = load_mapping((cdir / "build" / "kustomization.yaml").read_text(), source="build")
    base = generate(kind, base_k[field][0], DirLoader(cdir / "base"))
    over_args = over_k[field][0]
    merged = merge_generated(
        base, generate(kind, over_args, DirLoader(cdir / "build")), over_args["behavior"]
    )
    merged["metadata"]["name"] += "-" + hash_suffix(merged)
    expected = [
        o
        for o in load_documents((cdir / "expected.yaml").read_text(), source="expected.yaml")
        if o["kind"] == kind
    ]
    assert render([merged]) == render(expected)


def test_behavior_create_on_existing_name_is_case_080_error() -> None:
    cdir = _case("080")
    base = generate("ConfigMap", {"name": "api-config", "literals": ["LOG_LEVEL=info"]}, DirLoader(cdir))
    new = generate("ConfigMap", {"name": "api-config", "literals": ["LOG_LEVEL=debug"]}, DirLoader(cdir))
    with pytest.raises(KustomizeError) as info:
        merge_generated(base, new, "create")
    expected = (cdir / "expected-error-message.txt").read_text().strip()
    assert expected.endswith(": " + info.value.message)


def test_invalid_literal_is_case_087_error() -> None:
    cdir = _case("087")
    k = load_mapping((cdir / "build" / "kustomization.yaml").read_text(), source="kustomization.yaml")
    with pytest.raises(KustomizeError) as info:
        generate("ConfigMap", k["configMapGenerator"][0], DirLoader(cdir / "build"))
    assert info.value.message == (cdir / "expected-error-message.txt").read_text().strip()


def test_literal_parsing() -> None:
    assert parse_literal("A=b=c") == ("A", "b=c")
    assert parse_literal('Q="x"') == ("Q", "x")
    assert parse_literal("Q='x'") == ("Q", "x")
    assert parse_literal('Q="x') == ("Q", '"x')
    assert parse_literal("E=") == ("E", "")
    with pytest.raises(KustomizeError, match="invalid literal source =x, expected key=value"):
        parse_literal("=x")


def test_file_sources() -> None:
    assert parse_file_source("conf/site.conf") == ("site.conf", "conf/site.conf")
    assert parse_file_source("k=conf/site.conf") == ("k", "conf/site.conf")
    for bad, message in (("=a", "key name for file path a missing"), ("k=", "file path for key name k missing"),
                         ("a=b=c", "cannot contain '='")):  # fmt: skip
        with pytest.raises(KustomizeError, match=message):
            parse_file_source(bad)


def test_env_file_rules() -> None:
    content = b"\xef\xbb\xbfA=1\r\n# c\n\n   B = x \n=skipped\nexport C=1\nD=a=b\n\xef\xbb\xbfE=2"
    assert parse_env_file(content, source="x.env") == [
        ("A", "1"),
        ("B ", " x "),
        ("export C", "1"),
        ("D", "a=b"),
        ("\ufeffE", "2"),
    ]


def test_env_file_bare_key_is_an_error() -> None:
    with pytest.raises(KustomizeError) as info:
        parse_env_file(b"A=1\nHOME\n", source="app.env")
    assert "app.env: line 2: 'HOME' has no '='" in info.value.message
    assert info.value.path == "app.env"


def test_repeated_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "A").write_text("file")
    with pytest.raises(KustomizeError, match="configmap c illegally repeats the key `A`"):
        generate("ConfigMap", {"name": "c", "literals": ["A=1"], "files": ["A"]}, DirLoader(tmp_path))


def test_missing_file_names_the_sources(tmp_path: Path) -> None:
    with pytest.raises(
        KustomizeError, match=r"loading KV pairs: file sources: \[nope.txt\]: file '.*nope.txt'"
    ):
        generate("ConfigMap", {"name": "c", "files": ["nope.txt"]}, DirLoader(tmp_path))


def test_binary_file_goes_to_binary_data_and_secret_shapes(tmp_path: Path) -> None:
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01\xff\xfe binary")
    cm = generate("ConfigMap", {"name": "b", "files": ["bin.dat"]}, DirLoader(tmp_path))
    assert cm == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"},
                  "binaryData": {"bin.dat": "AAH//iBiaW5hcnk="}}  # fmt: skip
    assert "data" not in generate("ConfigMap", {"name": "e"}, DirLoader(tmp_path))
    secret = generate("Secret", {"name": "s", "namespace": "n"}, DirLoader(tmp_path))
    assert secret == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"},
                      "type": "Opaque", "data": {}}  # fmt: skip


def test_base64_wrapping_at_70_characters() -> None:
    assert encode_base64("a" * 51) == "YWFh" * 17
    wrapped = encode_base64("a" * 54)
    assert wrapped == "YWFh" * 17 + "YW\nFh\n"


def test_options_merge() -> None:
    merged = merge_options(
        {"labels": {"a": "1", "z": "local"}, "disableNameSuffixHash": False},
        {"labels": {"z": "global"}, "annotations": {"n": "x"}, "disableNameSuffixHash": True},
    )
    assert merged == {
        "labels": {"z": "local", "a": "1"},
        "annotations": {"n": "x"},
        "disableNameSuffixHash": True,
    }
    assert not needs_hash_suffix(
        {"options": {"disableNameSuffixHash": False}}, {"disableNameSuffixHash": True}
    )
    with pytest.raises(KustomizeError, match="must map names to string values"):
        merge_options({"labels": {"a": 1}}, None)
    with pytest.raises(KustomizeError, match='unknown field "disableHash"'):
        merge_options({"disableHash": True}, None)


def test_generator_argument_errors(tmp_path: Path) -> None:
    with pytest.raises(KustomizeError, match="without a name"):
        generate("ConfigMap", {"literals": ["a=b"]}, DirLoader(tmp_path))
    with pytest.raises(KustomizeError, match="literals must be a list of strings"):
        generate("ConfigMap", {"name": "x", "literals": "a=b"}, DirLoader(tmp_path))
    with pytest.raises(KustomizeError, match="'type' is only valid for a secretGenerator"):
        generate("ConfigMap", {"name": "x", "type": "Opaque"}, DirLoader(tmp_path))


ORACLE_KUSTOMIZATION = """\
configMapGenerator:
- name: files
  namespace: ns1
  files: [bin.dat, sub=bin.dat, text.txt]
- name: envs
  envs: [crlf.env, bom.env]
  literals: ["k=v", "q='a'", 'dq="b', "n=1=2", "long=%s"]
  options:
    labels: {a: "1", z: local}
    immutable: false
generatorOptions:
  labels: {z: global, g: "2"}
  annotations: {ann: "x"}
secretGenerator:
- name: empty
- name: typed
  type: kubernetes.io/dockerconfigjson
  literals: ['.dockerconfigjson={"auths":{"r.example.com":{"auth":"dXNlcjpwYXNzd29yZA=="}}}']
  options:
    immutable: true
"""


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (the kustomize oracle) is not installed")
def test_matches_kubectl_kustomize_oracle(tmp_path: Path) -> None:
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01\xff\xfe binary" * 9)
    (tmp_path / "text.txt").write_text("line one\n  indented <&>\n\ttab\n", encoding="utf-8")
    (tmp_path / "crlf.env").write_bytes(b"A=1\r\nB= x \r\n\xef\xbb\xbfC=2\n")
    (tmp_path / "bom.env").write_bytes(b"\xef\xbb\xbfBOM=1\n# comment\n  SPACED = v \n")
    (tmp_path / "kustomization.yaml").write_text(ORACLE_KUSTOMIZATION % ("word " * 30))
    objs = _generate_all(tmp_path)
    result = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    expected = {
        (o["kind"], o["metadata"]["name"]): o for o in load_documents(result.stdout, source="kubectl")
    }
    assert sorted(expected) == sorted((o["kind"], o["metadata"]["name"]) for o in objs)
    for obj in objs:
        assert render([obj]) == render([expected[(obj["kind"], obj["metadata"]["name"])]])
