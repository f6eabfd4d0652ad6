"""Cluster-free pieces: variable substitution, kustomization.yaml generation, inventory ids, kstatus, ordering."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import kstatus
from engine.events import Logger
from engine.kustomization.apply import sort_key, stage_of
from engine.kustomization.generator import GenerateError, generate
from engine.kustomization.inventory import ObjMeta, stale
from engine.kustomization.varsub import SubstitutionError, substitute
from engine.kustomization.workspace import secure_join


@pytest.mark.parametrize(("text", "expected"), [
    ("${a}", "Hello"), ("${missing:=dflt}", "dflt"), ("${empty:-d}", "d"), ("${empty-d}", ""), ("${missing-d}", "d"),
    ("${a^^}", "HELLO"), ("${a,,}", "hello"), ("${a^}", "Hello"), ("${#a}", "5"), ("${a:1:3}", "ell"),
    ("${a:-3}", "Hello"), ("${a: -3}", "llo"), ("${a/l/L}", "HeLlo"), ("${a//l/L}", "HeLLo"), ("${a#H*l}", "lo"),
    ("${a##H*l}", "o"), ("${a%l*}", "Hel"), ("${a%%l*}", "He"), ("$${a}", "${a}"), ("$a", "$a"),
    ("${missing:=${a}-x}", "Hello-x"), ("multi\nline ${nl}", "multi\nline onetwo"),
])
def test_substitution_syntax(text: str, expected: str) -> None:
    assert substitute(text, {"a": "Hello", "empty": "", "nl": "one\ntwo"}) == expected


def test_substitution_errors() -> None:
    with pytest.raises(SubstitutionError, match='variable not set \\(strict mode\\): "nope"'):
        substitute("${nope}", {})
    assert substitute("${nope}", {}, strict=False) == ""
    with pytest.raises(SubstitutionError, match="var name is invalid"):
        substitute("x", {"1bad": "v"})
    with pytest.raises(SubstitutionError, match="unsupported"):
        substitute("${a:+x}", {"a": "v"})


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_generated_kustomization_lists_yaml_files_and_sub_kustomizations(tmp_path: Path) -> None:
    write(tmp_path, {"apps/b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
                     "apps/a/x.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
                     "apps/base/kustomization.yaml": "resources: []\n", "apps/base/ignored.yaml": "nope: 1\n",
                     "apps/notes.txt": "text"})
    path = generate({"targetNamespace": "team", "namePrefix": "p-"}, tmp_path / "apps", tmp_path)
    kus = yaml.safe_load(path.read_text())
    assert kus["resources"] == ["./a/x.yml", "./b.yaml", "./base"]
    assert (kus["namespace"], kus["namePrefix"]) == ("team", "p-")


def test_generation_errors_name_the_file(tmp_path: Path) -> None:
    write(tmp_path, {"apps/bad.yaml": "foo: [unclosed\n"})
    with pytest.raises(GenerateError, match="failed to decode Kubernetes YAML from apps/bad.yaml"):
        generate({}, tmp_path / "apps", tmp_path)
    write(tmp_path, {"c/ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"})
    with pytest.raises(GenerateError, match="component path '/abs' must be local and relative"):
        generate({"components": ["/abs"]}, tmp_path / "c", tmp_path)


def test_existing_kustomization_gets_overrides_and_merged_images(tmp_path: Path) -> None:
    write(tmp_path, {"k/kustomization.yaml": "resources: [a.yaml]\nimages:\n- name: nginx\n  newName: reg/nginx\n"})
    generate({"images": [{"name": "nginx", "newTag": "2"}, {"name": "redis", "newTag": "7"}],
              "patches": [{"patch": "p", "target": {"kind": "Deployment"}}]}, tmp_path / "k", tmp_path)
    kus = yaml.safe_load((tmp_path / "k/kustomization.yaml").read_text())
    assert kus["images"] == [{"name": "nginx", "newName": "reg/nginx", "newTag": "2"}, {"name": "redis", "newTag": "7"}]
    assert kus["patches"] == [{"patch": "p", "target": {"kind": "Deployment"}}]


def test_inventory_ids_round_trip() -> None:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "system:view"}}
    meta = ObjMeta.of(role)
    assert meta.id == "_system__view_rbac.authorization.k8s.io_ClusterRole"
    assert ObjMeta.parse(meta.entry()) == meta and meta.subject == "ClusterRole/system:view"
    svc = ObjMeta.of({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"}})
    assert svc.entry() == {"id": "default_web__Service", "v": "v1"}
    old = [svc.entry(), {"id": "default_web_apps_Deployment", "v": "v1"}]
    assert stale(old, [{"id": "default_web_apps_Deployment", "v": "v2"}]) == [svc]


def test_apply_order_stages_and_kind_rank() -> None:
    objs = [{"apiVersion": a, "kind": k, "metadata": {"name": n}} for a, k, n in [
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "w"), ("apps/v1", "Deployment", "d"),
        ("example.com/v1", "Widget", "x"), ("v1", "Service", "s"), ("v1", "Namespace", "n"),
        ("networking.k8s.io/v1", "IngressClass", "i"), ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "c")]]
    ordered = sorted(objs, key=lambda o: (stage_of(o), sort_key(o)))
    assert [o["kind"] for o in ordered] == ["CustomResourceDefinition", "Namespace", "IngressClass", "Service",
                                            "Deployment", "Widget", "ValidatingWebhookConfiguration"]


def test_kstatus_rules() -> None:
    deploy: dict[str, Any] = {"kind": "Deployment", "metadata": {"generation": 2}, "spec": {"replicas": 2},
              "status": {"observedGeneration": 1}}
    assert kstatus.compute(deploy).status == kstatus.IN_PROGRESS
    deploy["status"] = {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
                        "availableReplicas": 2, "conditions": [{"type": "Available", "status": "True"}]}
    assert kstatus.compute(deploy) == kstatus.Status("Current", "Deployment is available. Replicas: 2")
    deploy["status"]["conditions"].append({"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"})
    assert kstatus.compute(deploy).status == kstatus.FAILED
    assert kstatus.compute({"kind": "Pod", "status": {"phase": "Failed"}}).status == kstatus.CURRENT
    assert kstatus.compute({"kind": "Job", "status": {"startTime": "x"}}).status == kstatus.IN_PROGRESS
    assert kstatus.compute({"kind": "ConfigMap"}).status == kstatus.CURRENT
    assert kstatus.compute({"kind": "X", "status": {"conditions": [{"type": "Ready", "status": "False"}]}}).status \
        == kstatus.IN_PROGRESS
    assert kstatus.compute({"kind": "X", "metadata": {"deletionTimestamp": "t"}}).status == kstatus.TERMINATING
    assert kstatus.compute(None).status == kstatus.NOT_FOUND


def test_secure_join_resolves_inside_root(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "up").symlink_to("../../../..")
    (tmp_path / "a" / "abs").symlink_to("/etc")
    root = tmp_path.resolve()
    assert secure_join(tmp_path, "../../x") == root / "x"
    assert secure_join(tmp_path, "a/up/y") == root / "y"
    assert secure_join(tmp_path, "a/abs") == root / "etc"
    assert secure_join(tmp_path, "") == root


def test_json_logs_carry_fields() -> None:
    stream = io.StringIO()
    log = Logger(stream=stream).bind(controllerKind="Kustomization", name="apps", namespace="default")
    log.info("server-side apply completed", output={"ConfigMap/default/a": "created"})
    line = json.loads(stream.getvalue())
    assert line["level"] == "info" and line["msg"] == "server-side apply completed"
    assert line["controllerKind"] == "Kustomization" and line["output"] == {"ConfigMap/default/a": "created"}
