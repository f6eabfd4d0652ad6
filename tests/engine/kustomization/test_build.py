"""The one Kustomization build (engine.kustomization.build), shared by the reconciler and `gitops build/diff`."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.kustomization.build import BuildError, build_kustomization, mask_sops

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  greeting: ${{greeting:=hello}}\n"


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_generate_build_substitute_and_stamp(tmp_path: Path) -> None:
    root = tree(tmp_path, {"apps/b.yaml": CM.format(name="b"), "apps/a.yaml": CM.format(name="a")})
    spec = {"targetNamespace": "web", "namePrefix": "x-", "postBuild": {"substitute": {"greeting": "hi"}},
            "commonMetadata": {"labels": {"team": "blue"}}}
    build = build_kustomization(spec, "apps", "flux-system", root / "apps", root, None)
    assert build.generated and not build.empty
    assert [(o["metadata"]["namespace"], o["metadata"]["name"], o["data"]["greeting"]) for o in build.objects] == [
        ("web", "x-a", "hi"), ("web", "x-b", "hi")]
    assert build.objects[0]["metadata"]["labels"] == {
        "team": "blue", "kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace":
        "flux-system"}
    assert build.digest.startswith("sha256:")


def test_an_empty_directory_builds_zero_objects(tmp_path: Path) -> None:
    root = tree(tmp_path, {"apps/README.md": "no manifests here\n"})
    build = build_kustomization({}, "apps", "flux-system", root / "apps", root, None)
    assert build.empty and build.objects == []


@pytest.mark.parametrize(("files", "starts"), [
    ({"apps/kustomization.yaml": "resources:\n- cm.yaml\npatches:\n- patch: |-\n    kind: ConfigMap\n"
      "    metadata:\n      name: a\n    data:\n      k: v\n", "apps/cm.yaml": CM.format(name="a")},
     "kustomize build failed: "),
    ({"apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [oops\n"},
     "failed to decode Kubernetes YAML from apps/cm.yaml: "),
    ({"apps/cm.yaml": CM.format(name="a").replace("${greeting:=hello}", "${missing}")},
     "post build failed"),
])
def test_bad_input_is_a_build_error_with_flux_message(tmp_path: Path, files: dict[str, str], starts: str) -> None:
    root = tree(tmp_path, files)
    spec = {"postBuild": {"substitute": {"other": "x"}}}
    with pytest.raises(BuildError) as err:
        build_kustomization(spec, "apps", "flux-system", root / "apps", root, None)
    assert err.value.message.startswith(starts) or starts in err.value.message, err.value.message
    if starts.startswith("kustomize build failed"):  # paths are shown relative to the artifact root
        assert str(tmp_path) not in err.value.message


def test_sops_values_are_masked_as_flux_build_does() -> None:
    objects = [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                "sops": {"mac": "ENC[AES256_GCM,data:x]", "version": "3"},
                "data": {"password": "ZW5jcnlwdGVk"}, "stringData": {"token": "ENC[...]"}}]
    mask_sops(objects)
    assert objects[0]["data"] == {"password": "KipTT1BTKio="} and objects[0]["stringData"] == {"token": "**SOPS**"}
    assert "sops" not in objects[0]  # the SOPS metadata is not shown either
