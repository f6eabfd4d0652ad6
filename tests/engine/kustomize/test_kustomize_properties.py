"""Property test: malformed or random kustomizations make engine.kustomize raise KustomizeError, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.kustomize import KustomizeError, build, render
from tests.corpus import KUSTOMIZE_CORPUS

FIELDS = [
    "resources", "bases", "components", "namespace", "namePrefix", "nameSuffix", "commonLabels", "labels",
    "commonAnnotations", "images", "replicas", "patches", "patchesStrategicMerge", "patchesJson6902",
    "configMapGenerator", "secretGenerator", "generatorOptions", "sortOptions", "vars", "replacements",
    "configurations", "crds", "buildMetadata", "openapi", "helmCharts", "kind", "apiVersion", "namPrefix",
    "generators", "transformers", "validators", "nameprefix", "PATCHES",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(["", "x", "web", "../x", "/etc/passwd", "a=b", "$(X)"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["name", "path", "kind", "a", "patch"]), inner, max_size=3),
    ),
    max_leaves=8,
)
kustomizations = st.dictionaries(st.sampled_from(FIELDS), values, max_size=5)
resource_texts = st.sampled_from(
    [
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        "kind: ConfigMap\n",
        "- a\n- b\n",
        "apiVersion: v1\nkind: List\nitems: [1, {kind: Pod}]\n",
        "a: [\n",
        "\t- bad\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: 5}}}\n",
        "",
    ]
)


def _write(root: Path, kust: dict[str, Any], resource: str) -> None:
    (root / "x").write_text(resource)
    (root / "web").write_text(resource)
    (root / "kustomization.yaml").write_text(yaml.safe_dump(kust))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kust=kustomizations, resource=resource_texts)
def test_only_kustomize_errors_escape(kust: dict[str, Any], resource: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, kust, resource)
        try:
            render(build(root))
        except KustomizeError as e:
            assert str(e)


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("abc:-[]{}\n\t #'\"&*!|>")), max_size=60))
def test_garbage_kustomization_file(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "kustomization.yaml").write_text(text)
        try:
            build(tmp)
        except KustomizeError:
            pass


# Mutated trees: a corpus case (plugins, openapi, configurations, crds, vars ... included) with one part of
# one kustomization file replaced by a random value, or one of its files replaced by random text.
CORPUS_CASES = sorted(p for p in KUSTOMIZE_CORPUS.glob("[0-9][0-9][0-9]-*") if p.is_dir())
PLUGIN_CONFIGS = [
    "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npatch: 5\n",
    "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: l}\nlabels: [a]\nfieldSpecs: x\n",
    "apiVersion: builtin\nkind: ReplacementTransformer\nmetadata: {name: r}\nreplacements: [{source: {fieldPath: [1]}}]\n",
    "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata: {name: n, namespace: 3}\n",
    "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: c}\nliterals: {a: b}\n",
    "apiVersion: builtin\nkind: IAMPolicyGenerator\nmetadata: {name: i}\nkubernetesService: 5\n",
    "apiVersion: builtin\nkind: PatchJson6902Transformer\nmetadata: {name: j}\ntarget: {name: x}\njsonOp: '[{op: 1}]'\n",
]


def _mutate(value: Any, path: list[Any], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict) and head in value:
        return {**value, head: _mutate(value[head], rest, new)}
    if isinstance(value, list) and isinstance(head, int) and head < len(value):
        return [*value[:head], _mutate(value[head], rest, new), *value[head + 1 :]]
    return value


def _paths(value: Any, prefix: list[Any]) -> list[list[Any]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, [*prefix, k])
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, [*prefix, i])
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_corpus_trees_raise_only_kustomize_errors(data: st.DataObject) -> None:
    import shutil

    case = data.draw(st.sampled_from(CORPUS_CASES))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / case.name
        shutil.copytree(case, root)
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("expected"))
        kusts = [p for p in files if p.name in ("kustomization.yaml", "kustomization.yml", "Kustomization")]
        mode = data.draw(st.sampled_from(["value", "plugin", "text"]))
        if mode == "text" or not kusts:
            target = data.draw(st.sampled_from(files))
            target.write_text(
                data.draw(st.text(st.sampled_from(list("ab:-[]{}\n #&*!|>'\"1.")), max_size=80))
            )
        else:
            kfile = data.draw(st.sampled_from(kusts))
            try:
                kust = yaml.safe_load(kfile.read_text())
            except yaml.YAMLError:
                kust = None
            if not isinstance(kust, dict):
                kust = {}
            if mode == "plugin":
                section = data.draw(st.sampled_from(["generators", "transformers", "validators"]))
                kust[section] = [data.draw(st.sampled_from(PLUGIN_CONFIGS))]
            else:
                path = data.draw(st.sampled_from(_paths(kust, [])))
                kust = _mutate(kust, path, data.draw(values))
            kfile.write_text(
                yaml.safe_dump(kust) if isinstance(kust, dict) else yaml.safe_dump({"resources": kust})
            )
        build_dir = root / "build"
        for line in (root / "case.yaml").read_text().splitlines() if (root / "case.yaml").exists() else []:
            if line.startswith("build_path:"):
                build_dir = root / line.split(":", 1)[1].strip()
        try:
            render(build(build_dir))
        except KustomizeError as e:
            assert str(e)
