"""replacements: corpus cases 091/093/095, kyaml path semantics, and kustomize's error wording (kubectl v1.32)."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.kustomize.errors import KustomizeError
from engine.kustomize.output import render
from engine.kustomize.replacements import apply_replacements, split_field_path
from engine.kustomize.resid import ResId
from engine.kustomize.yamlio import load_documents, load_mapping
from tests.corpus import KUSTOMIZE_CORPUS

CORPUS = KUSTOMIZE_CORPUS

RESOURCES = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: src
data:
  port: "8080"
  t: "true"
  list: x,y,z
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  labels:
    existing: "x"
spec:
  replicas: 1
  flag: false
  nothing: null
  tls: []
  items: [a, b]
  obj: {k: v}
  containers:
  - name: web
    args: ["--p=1", "-x"]
  - name: web-sidecar
  - name: xweb
  - name: other
"""


def _objects() -> list[dict]:
    return load_documents(RESOURCES, source="res.yaml")


def _pod(objs: list[dict]) -> dict:
    return next(o for o in objs if o["kind"] == "Pod")


def _run(replacements: list[dict]) -> dict:
    objs = _objects()
    apply_replacements(objs, replacements)
    return _pod(objs)


def _src(field: str, **options: object) -> dict:
    source: dict = {"kind": "ConfigMap", "name": "src", "fieldPath": field}
    if options:
        source["options"] = options
    return source


def _case(prefix: str) -> Path:
    found = sorted(CORPUS.glob(f"{prefix}-*"))
    assert found, f"conformance case {prefix} not found under {CORPUS}"
    return found[0]


def _case_inputs(cdir: Path) -> tuple[list[dict], list[dict]]:
    k = load_mapping((cdir / "build" / "kustomization.yaml").read_text(), source="kustomization.yaml")
    objs: list[dict] = []
    for name in k["resources"]:
        objs += load_documents((cdir / "build" / name).read_text(), source=name)
    return objs, k["replacements"]


@pytest.mark.parametrize("case", ["091", "093"])
def test_corpus_cases(case: str) -> None:
    cdir = _case(case)
    objs, replacements = _case_inputs(cdir)
    apply_replacements(objs, replacements)
    expected = {
        (o["kind"], o["metadata"]["name"]): o
        for o in load_documents((cdir / "expected.yaml").read_text(), source="expected.yaml")
    }
    assert len(objs) == len(expected)
    for obj in objs:
        assert render([obj]) == render([expected[(obj["kind"], obj["metadata"]["name"])]])


def test_source_missing_is_case_095_error() -> None:
    cdir = _case("095")
    objs, replacements = _case_inputs(cdir)
    with pytest.raises(KustomizeError) as info:
        apply_replacements(objs, replacements)
    assert info.value.message == (cdir / "expected-error-message.txt").read_text().strip()


def test_scalar_targets_keep_their_type_created_fields_are_retyped() -> None:
    pod = _run(
        [
            {"source": _src("data.port"), "targets": [{"select": {"kind": "Pod"}, "fieldPaths": [
                "spec.replicas", "metadata.labels.existing", "metadata.labels.new", "spec.x.y",
                "spec.items.[=b]", "spec.items.2", "spec.n.0", "metadata.annotations.a"], "options": {"create": True}}]},
            {"source": _src("data.t"), "targets": [{"select": {"kind": "Pod"}, "fieldPaths": ["spec.flag"]}]},
        ]
    )  # fmt: skip
    assert pod["spec"]["replicas"] == 8080
    assert pod["metadata"]["labels"] == {"existing": "8080", "new": 8080}
    assert pod["metadata"]["annotations"] == {"a": "8080"}
    assert pod["spec"]["x"] == {"y": 8080}
    assert pod["spec"]["items"] == ["a", "8080", 8080]
    assert pod["spec"]["n"] == [8080]
    assert pod["spec"]["flag"] is True


def test_list_selectors_are_unanchored_regexes_and_wildcards_visit_every_item() -> None:
    pod = _run(
        [{"source": _src("data.port"), "targets": [{"select": {"kind": "Pod"}, "fieldPaths": [
            "spec.containers.[name=web].image", "spec.containers.[name=new].port",
            "spec.containers.*.ports.0.containerPort"], "options": {"create": True}}]}]
    )  # fmt: skip
    by_name = {c["name"]: c for c in pod["spec"]["containers"]}
    assert [c["name"] for c in pod["spec"]["containers"]] == ["web", "web-sidecar", "xweb", "other", "new"]
    assert {n for n, c in by_name.items() if "image" in c} == {"web", "web-sidecar", "xweb"}
    assert by_name["new"]["port"] == 8080
    assert all(c["ports"] == [{"containerPort": 8080}] for c in by_name.values())


def test_delimiters_on_source_and_target() -> None:
    pod = _run(
        [{"source": _src("data.list", delimiter=",", index=1), "targets": [
            {"select": {"kind": "Pod"}, "fieldPaths": ["spec.containers.0.args.0"], "options": {"delimiter": "=", "index": 1}},
            {"select": {"kind": "Pod"}, "fieldPaths": ["spec.containers.0.args.1"], "options": {"delimiter": "=", "index": 5}},
            {"select": {"kind": "Pod"}, "fieldPaths": ["spec.obj.k"], "options": {"delimiter": "-", "index": -1}}]}]
    )  # fmt: skip
    assert pod["spec"]["containers"][0]["args"] == ["--p=y", "-x=y"]
    assert pod["spec"]["obj"] == {"k": "y-v"}


def test_map_values_replace_and_create_whole_subtrees() -> None:
    pod = _run(
        [{"source": _src("data"), "targets": [{"select": {"kind": "Pod"}, "fieldPaths": ["spec.obj", "spec.copied"],
                                                "options": {"create": True}}]}]
    )  # fmt: skip
    assert pod["spec"]["obj"] == pod["spec"]["copied"] == {"port": "8080", "t": "true", "list": "x,y,z"}
    pod["spec"]["obj"]["port"] = "changed"
    assert pod["spec"]["copied"]["port"] == "8080"


def test_default_field_path_select_reject_and_label_selectors() -> None:
    objs = _objects() + [copy.deepcopy(_pod(_objects()))]
    objs[2]["metadata"].update(name="q", labels={"tier": "db"})
    apply_replacements(
        objs,
        [{"source": {"kind": "ConfigMap"}, "targets": [
            {"select": {"version": "v1", "labelSelector": "existing in (x)"}, "fieldPaths": ["spec.obj.k"]},
            {"select": {"kind": "Pod"}, "reject": [{"name": "p"}], "fieldPaths": ["spec.items.0"]},
            {"select": {"kind": "Pod", "namespace": "default"}, "reject": [{"labelSelector": "tier=db"}],
             "fieldPaths": ["spec.items.1"]}]}],
    )  # fmt: skip
    p, q = objs[1], objs[2]
    assert p["spec"]["obj"]["k"] == "src" and q["spec"]["obj"]["k"] == "v"
    assert p["spec"]["items"] == ["a", "src"] and q["spec"]["items"] == ["src", "b"]


def test_previous_ids_from_the_builder_are_selectable() -> None:
    objs = _objects()
    _pod(objs)["metadata"]["name"] = "prefix-p"

    def ids_of(obj: dict) -> list[ResId]:
        current = ResId("", "v1", obj["kind"], obj["metadata"]["name"], "")
        return [current, current._replace(name="p")] if obj["kind"] == "Pod" else [current]

    apply_replacements(
        objs,
        [
            {
                "source": _src("data.t"),
                "targets": [{"select": {"kind": "Pod", "name": "p"}, "fieldPaths": ["spec.flag"]}],
            }
        ],
        ids_of=ids_of,
    )
    assert _pod(objs)["spec"]["flag"] is True


def test_replacement_file_through_the_loader() -> None:
    class Loader:
        def load_bytes(self, path: str) -> bytes:
            assert path == "repl.yaml"
            return b"source: {kind: ConfigMap, fieldPath: data.t}\ntargets:\n- select: {kind: Pod}\n  fieldPaths: [spec.flag]\n"

    objs = _objects()
    apply_replacements(objs, [{"path": "repl.yaml"}], loader=Loader())
    assert _pod(objs)["spec"]["flag"] is True


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        ({"source": _src("data.port"), "targets": [{"select": {"kind": "Pod"}, "fieldPaths": ["spec.missing.deep"]}]},
         'unable to find field "spec.missing.deep" in replacement target'),
        ({"source": _src("data.port"), "targets": [{"select": {"kind": "Pod"}, "fieldPaths": ["spec.tls.0.hosts"]}]},
         'unable to find field "spec.tls.0.hosts" in replacement target: '
         "index 0 specified but only 0 elements found"),
        ({"source": _src("data.nope"), "targets": [{"select": {"kind": "Pod"}}]},
         "fieldPath `data.nope` is missing for replacement source ConfigMap.[noVer].[noGrp]/src.[noNs]"),
        ({"source": {"version": "v1"}, "targets": [{"select": {"kind": "Pod"}}]},
         "multiple matches for selector [noKind].v1.[noGrp]/[noName].[noNs]"),
        ({"source": {"kind": "ConfigMap", "fieldPath": "data", "options": {"delimiter": ","}},
          "targets": [{"select": {"kind": "Pod"}}]}, "delimiter option can only be used with scalar nodes"),
        ({"source": {"kind": "ConfigMap", "fieldPath": "data.port", "options": {"delimiter": ",", "index": 3}},
          "targets": [{"select": {"kind": "Pod"}}]}, "options.index 3 is out of bounds for value 8080"),
        ({"source": {"kind": "ConfigMap"}, "targets": [{"select": {"kind": "Pod"}, "fieldPaths": ["spec.items"],
                                                        "options": {"delimiter": "-"}}]},
         "delimiter option can only be used with scalar nodes"),
        ({"source": {"kind": "ConfigMap"}, "targets": [{"fieldPaths": ["spec.obj.k"]}]},
         "target must specify resources to select"),
        ({"source": {"kind": "ConfigMap"}}, "replacements must specify a source and at least one target"),
        ({"source": _src("data.port"), "targets": [{"select": {"kind": "Pod"}, "fieldPaths": ["spec.nothing"]}]},
         "cannot decode !!int `8080` as a !!null"),
        ({"source": _src("data.t"), "targets": [{"select": {"kind": "Pod"}, "fieldPaths": ["spec.replicas"]}]},
         "cannot decode !!bool `true` as a !!int"),
    ],
)  # fmt: skip
def test_errors_use_kustomize_wording(replacement: dict, message: str) -> None:
    with pytest.raises(KustomizeError) as info:
        apply_replacements(_objects(), [replacement])
    assert info.value.message == message


def test_invalid_replacement_fields_are_named() -> None:
    with pytest.raises(KustomizeError, match='replacement target: unknown field "fieldPath"'):
        apply_replacements(
            _objects(), [{"source": {"kind": "Pod"}, "targets": [{"select": {}, "fieldPath": "x"}]}]
        )


def test_field_path_splitting() -> None:
    assert split_field_path("spec.containers.[name=com.foo.app].image") == [
        "spec", "containers", "[name=com.foo.app]", "image"]  # fmt: skip
    assert split_field_path("metadata.annotations.[config.kubernetes.io/local-config]") == [
        "metadata", "annotations", "config.kubernetes.io/local-config"]  # fmt: skip
    assert split_field_path("data.a\\.b") == ["data", "a.b"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (the kustomize oracle) is not installed")
def test_matches_kubectl_kustomize_oracle(tmp_path: Path) -> None:
    replacements = [
        {"source": _src("data.port"), "targets": [{"select": {"kind": "Pod"}, "fieldPaths": [
            "spec.replicas", "metadata.labels.new", "spec.items.[=b]", "spec.containers.[name=web].image",
            "spec.containers.*.ports.0.containerPort", "spec.containers.[name=new].port"], "options": {"create": True}}]},
        {"source": _src("data.list", delimiter=",", index=2), "targets": [
            {"select": {"kind": "Pod"}, "fieldPaths": ["spec.containers.0.args.0"], "options": {"delimiter": "="}}]},
        {"source": _src("data"), "targets": [{"select": {"kind": "Pod"}, "fieldPaths": ["spec.copy"],
                                              "options": {"create": True}}]},
    ]  # fmt: skip
    (tmp_path / "res.yaml").write_text(RESOURCES)
    import json

    (tmp_path / "kustomization.yaml").write_text(
        json.dumps({"resources": ["res.yaml"], "replacements": replacements})
    )
    result = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    objs = _objects()
    apply_replacements(objs, replacements)
    expected = {
        (o["kind"], o["metadata"]["name"]): o for o in load_documents(result.stdout, source="kubectl")
    }
    for obj in objs:
        assert render([obj]) == render([expected[(obj["kind"], obj["metadata"]["name"])]])
