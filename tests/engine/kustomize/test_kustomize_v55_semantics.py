"""kustomize v5.5.0 behaviours the issue lists: field decoding, sortOptions, configurations merging, crds,
vars per declaring kustomization, strategic merge of items without a merge key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.kustomize import KustomizeError, build
from engine.kustomize.config import TransformerConfig
from engine.kustomize.fieldspec import FieldSpec, merge_specs
from engine.kustomize.resid import Gvk

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
SVC = "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_case_insensitive_field_names_last_sorted_key_wins(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {"cm.yaml": CM, "kustomization.yaml": "Resources: [cm.yaml]\nnamePrefix: a-\nNAMEPREFIX: b-\n"},
    )
    # JSON object keys are decoded in sorted order: "NAMEPREFIX" < "Resources" < "namePrefix"
    assert build(tmp_path)[0]["metadata"]["name"] == "a-cm"


def test_case_insensitive_map_fields_merge(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "cm.yaml": CM,
            "kustomization.yaml": "resources: [cm.yaml]\ncommonLabels: {a: '1'}\ncommonlabels: {b: '2'}\n",
        },
    )
    assert build(tmp_path)[0]["metadata"]["labels"] == {"a": "1", "b": "2"}


def test_unknown_field_still_refused(tmp_path: Path) -> None:
    _tree(tmp_path, {"kustomization.yaml": "resources: []\nnamPrefix: x\n"})
    with pytest.raises(KustomizeError, match='unknown field "namPrefix"'):
        build(tmp_path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("{}", "the field 'sortOptions.order' must be one of [fifo, legacy]"),
        ("{order: Fifo}", "the field 'sortOptions.order' must be one of [fifo, legacy]"),
        ("{order: fifo, legacySortOptions: {}}", "is set but the selected sort order is 'fifo'"),
    ],
)
def test_sort_options_validation(tmp_path: Path, options: str, message: str) -> None:
    _tree(tmp_path, {"cm.yaml": CM, "kustomization.yaml": f"resources: [cm.yaml]\nsortOptions: {options}\n"})
    with pytest.raises(KustomizeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build(tmp_path)


def test_legacy_sort_with_empty_options_orders_by_gvk_only(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "r.yaml": SVC + "---\n" + CM,
            "kustomization.yaml": "resources: [r.yaml]\nsortOptions: {order: legacy, legacySortOptions: {}}\n",
        },
    )
    assert [o["kind"] for o in build(tmp_path)] == ["ConfigMap", "Service"]


def test_merge_specs_drops_covered_spec_and_refuses_conflicts() -> None:
    narrow = FieldSpec(Gvk("", "", "Service"), "metadata/name")
    wide = FieldSpec(Gvk("", "", ""), "metadata/name")
    assert merge_specs([narrow], [wide]) == [narrow]  # wide selects Service: already covered
    assert merge_specs([wide], [narrow]) == [wide, narrow]
    with pytest.raises(KustomizeError, match="conflicting fieldspecs"):
        merge_specs([narrow], [FieldSpec(Gvk("", "", "Service"), "metadata/name", True)])


def test_custom_name_prefix_specs_replace_the_builtin_one() -> None:
    custom = TransformerConfig.empty()
    custom.specs["namePrefix"] = [FieldSpec(Gvk("", "", "Hostname"), "metadata/name")]
    ra = TransformerConfig.empty()
    ra.merge(TransformerConfig.for_kustomization([custom]))
    assert ra.get("namePrefix") == [FieldSpec(Gvk("", "", "Hostname"), "metadata/name")]


def test_crds_add_name_references(tmp_path: Path) -> None:
    crd = {
        "x/v1.Job": {
            "Schema": {
                "properties": {
                    "apiVersion": {},
                    "kind": {},
                    "metadata": {},
                    "spec": {"$ref": "x/v1.JobSpec"},
                }
            }
        },
        "x/v1.JobSpec": {
            "Schema": {
                "properties": {
                    "config": {
                        "x-kubernetes-object-ref-api-version": "v1",
                        "x-kubernetes-object-ref-kind": "ConfigMap",
                    }
                }
            }
        },
    }
    job = "apiVersion: x.io/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  config:\n    name: cm\n"
    _tree(
        tmp_path,
        {
            "crd.json": json.dumps(crd),
            "r.yaml": CM + "---\n" + job,
            "kustomization.yaml": "crds: [crd.json]\nresources: [r.yaml]\nnamePrefix: p-\n",
        },
    )
    objs = {o["kind"]: o for o in build(tmp_path)}
    assert objs["Job"]["spec"]["config"]["name"] == "p-cm"


def test_crds_file_that_is_not_a_map(tmp_path: Path) -> None:
    _tree(tmp_path, {"crd.yaml": "- a\n", "kustomization.yaml": "crds: [crd.yaml]\nresources: []\n"})
    with pytest.raises(
        KustomizeError, match=r"loading CRDs \[crd.yaml\]: unable to parse open API definition"
    ):
        build(tmp_path)


def test_vars_resolve_in_the_kustomization_that_declared_them(tmp_path: Path) -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "  - name: c\n    image: i\n    args: ['$({var})']\n"
    )
    files = {"top/kustomization.yaml": "resources: [../a, ../b]\n"}
    for side in ("a", "b"):
        var = f"V_{side.upper()}"
        files[f"{side}/kustomization.yaml"] = (
            f"namePrefix: {side}-\nresources: [r.yaml]\n"
            f"vars:\n- name: {var}\n  objref: {{apiVersion: v1, kind: Service, name: svc}}\n"
        )
        files[f"{side}/r.yaml"] = SVC + "---\n" + pod.format(var=var)
    _tree(tmp_path, files)
    pods = [o for o in build(tmp_path / "top") if o["kind"] == "Pod"]
    assert sorted(p["spec"]["containers"][0]["args"][0] for p in pods) == ["a-svc", "b-svc"]


def test_smp_item_without_merge_key(tmp_path: Path) -> None:
    deploy = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - {name: a, image: a1, args: [x]}\n      - {name: b, image: b1}\n"
    )
    patch = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - {name: b, image: b2}\n      - {image: keyless}\n      - {name: a, image: a2}\n"
    )
    _tree(
        tmp_path,
        {
            "d.yaml": deploy,
            "p.yaml": patch,
            "kustomization.yaml": "resources: [d.yaml]\npatches:\n- path: p.yaml\n",
        },
    )
    containers = build(tmp_path)[0]["spec"]["template"]["spec"]["containers"]
    assert containers == [{"name": "b", "image": "b2"}, {"name": "a", "image": "a2"}]
