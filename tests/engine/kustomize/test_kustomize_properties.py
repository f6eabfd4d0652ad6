"""Property test: malformed or random kustomizations make engine.kustomize raise KustomizeError, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.kustomize import KustomizeError, build, render

FIELDS = [
    "resources", "bases", "components", "namespace", "namePrefix", "nameSuffix", "commonLabels", "labels",
    "commonAnnotations", "images", "replicas", "patches", "patchesStrategicMerge", "patchesJson6902",
    "configMapGenerator", "secretGenerator", "generatorOptions", "sortOptions", "vars", "replacements",
    "configurations", "crds", "buildMetadata", "openapi", "helmCharts", "kind", "apiVersion", "namPrefix",
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
