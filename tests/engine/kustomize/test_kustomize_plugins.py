"""Builtin plugins in generators:/transformers:/validators: configuration, errors and transformer annotations."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.kustomize import KustomizeError, build

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n"


def _build(tmp_path: Path, kustomization: str) -> list[dict]:
    (tmp_path / "cm.yaml").write_text(CM)
    (tmp_path / "kustomization.yaml").write_text("resources: [cm.yaml]\n" + kustomization)
    return build(tmp_path)


def _inline(kind: str, body: str = "") -> str:
    lines = ["apiVersion: builtin", f"kind: {kind}", "metadata:", "  name: x", *body.splitlines()]
    return "- |-\n" + "".join(f"  {line}\n" for line in lines)


@pytest.mark.parametrize(
    ("section", "config", "message"),
    [
        ("transformers", _inline("Foo"), "unable to load builtin Foo.builtin.[noGrp]"),
        ("transformers", _inline("SortOrderTransformer"), "unable to load builtin SortOrderTransformer"),
        ("transformers", _inline("ConfigMapGenerator"), "not a transformer"),
        ("generators", _inline("LabelTransformer"), "failed to load generator: plugin LabelTransformer"),
        (
            "transformers",
            "- |-\n  apiVersion: example.com/v1\n  kind: Sidecar\n  metadata: {name: s}\n",
            "external plugins disabled; unable to load external plugin 'Sidecar'",
        ),
        (
            "transformers",
            _inline("NamespaceTransformer", "setRoleBindingSubjects: some"),
            'invalid value "some" for setRoleBindingSubjects',
        ),
        (
            "transformers",
            _inline("ReplicaCountTransformer", "replica: {name: 5}"),
            "replica.name of type string",
        ),
        ("transformers", _inline("PatchTransformer"), "must specify one of patch and path"),
        (
            "transformers",
            _inline("PatchJson6902Transformer", "target: {kind: X}"),
            "must specify the target name",
        ),
        ("generators", _inline("IAMPolicyGenerator", "cloud: aws"), "cloud provider aws not supported yet"),
        ("transformers", _inline("ValueAddTransformer", "value: v"), "must specify at least one target"),
        (
            "transformers",
            _inline("ValueAddTransformer", "targets: [{fieldPath: a/b, filePathPosition: -1}]"),
            "value of FilePathPosition (-1) cannot be negative",
        ),
        (
            "transformers",
            _inline("ValueAddTransformer", "targets: [{selector: {kind: X}}]"),
            "fieldPath cannot be empty",
        ),
    ],
)
def test_plugin_errors(tmp_path: Path, section: str, config: str, message: str) -> None:
    with pytest.raises(KustomizeError) as info:
        _build(tmp_path, f"{section}:\n{config}")
    assert message in info.value.message


def test_plugin_fields_match_case_insensitively(tmp_path: Path) -> None:
    config = _inline(
        "LabelTransformer", "LABELS: {team: a}\nFieldSpecs: [{PATH: metadata/labels, Create: true}]"
    )
    (cm,) = _build(tmp_path, f"transformers:\n{config}")
    assert cm["metadata"]["labels"] == {"team": "a"}


def test_validator_must_not_change_resources(tmp_path: Path) -> None:
    config = _inline(
        "LabelTransformer", "labels: {a: b}\nfieldSpecs: [{path: metadata/labels, create: true}]"
    )
    with pytest.raises(KustomizeError, match="validator shouldn't modify the resource map"):
        _build(tmp_path, f"validators:\n{config}")


def test_validator_that_changes_nothing_passes(tmp_path: Path) -> None:
    config = _inline("LabelTransformer", "labels: {}\nfieldSpecs: [{path: metadata/labels, create: true}]")
    (cm,) = _build(tmp_path, f"validators:\n{config}")
    assert "labels" not in cm["metadata"]


def test_transformer_config_file_is_loaded_under_the_root(tmp_path: Path) -> None:
    with pytest.raises(KustomizeError, match="accumulating resources from 'missing.yaml'"):
        _build(tmp_path, "transformers:\n- missing.yaml\n")


def test_transformer_annotations_name_external_configs(tmp_path: Path) -> None:
    config = _inline(
        "AnnotationsTransformer",
        "annotations: {a: b}\nfieldSpecs: [{path: metadata/annotations, create: true}]",
    )
    (cm,) = _build(
        tmp_path, f"namePrefix: p-\nbuildMetadata: [transformerAnnotations]\ntransformers:\n{config}"
    )
    assert cm["metadata"]["annotations"]["alpha.config.kubernetes.io/transformations"] == (
        "- configuredIn: kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: PrefixTransformer\n"
        "- configuredIn: kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n"
        "    kind: AnnotationsTransformer\n    name: x\n"
    )
    assert "config.kubernetes.io/origin" not in cm["metadata"]["annotations"]
