"""`gitops diff/build kustomization` never print Secret values: diff masks them as fluxcd/pkg/ssa does, build masks
SOPS data as `flux build` does, and both keep the build's order."""

from __future__ import annotations

import base64

import yaml

from engine.cli.session import Session
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import CM, Lab

lab = test_cli_cluster.lab  # the CLI tests' fixture

SECRET = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: default\ntype: Opaque\n"
          "data:\n  password: {password}\n  user: {user}\n")
SOPS = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: sealed\n  namespace: default\n"
        "stringData:\n  token: ENC[AES256_GCM,data:abc=,type:str]\n"
        "sops:\n  mac: ENC[AES256_GCM,data:xyz=,type:str]\n  version: 3.9.0\n")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_diff_masks_secret_values_before_and_after(lab: Lab) -> None:
    lab.commit({"apps/s.yaml": SECRET.format(password=b64("hunter2-old"), user=b64("admin-user"))})
    lab.setup()
    lab.ok("reconcile", "ks", "apps", "--with-source")
    local = lab.tmp / "local"
    local.mkdir()
    (local / "a.yaml").write_text(CM.format(name="a", value="v"))
    (local / "s.yaml").write_text(SECRET.format(password=b64("hunter2-new"), user=b64("admin-user")))
    code, out, _ = lab.run("diff", "ks", "apps", "--path", str(local))
    assert code == 1
    assert "► Secret/default/db drifted" in out
    assert ["data.password", "  ± value change", "    - *** (before)", "    + *** (after)"] == \
        out.splitlines()[out.splitlines().index("data.password"):][:4]
    for secret in ("hunter2", b64("hunter2-old"), b64("hunter2-new"), b64("admin-user"), "admin-user"):
        assert secret not in out


def test_build_masks_sops_data_and_keeps_kustomize_order(lab: Lab) -> None:
    lab.setup()
    local = lab.tmp / "local"
    local.mkdir()
    (local / "kustomization.yaml").write_text("resources:\n- z.yaml\n- sealed.yaml\n- a.yaml\n")
    (local / "z.yaml").write_text(CM.format(name="z", value="v"))
    (local / "a.yaml").write_text(CM.format(name="a", value="v"))
    (local / "sealed.yaml").write_text(SOPS)
    out, _ = lab.ok("build", "ks", "apps", "--path", str(local))
    docs = [d for d in yaml.safe_load_all(out) if d]  # flux build ends every object with ---
    assert [d["metadata"]["name"] for d in docs] == ["z", "sealed", "a"]  # flux build: the kustomization's order
    sealed = docs[1]
    assert "sops" not in sealed and sealed["stringData"] == {"token": "**SOPS**"}
    assert "ENC[" not in out
    # diff: the masked SOPS Secret is compared by its keys only
    code, out, _ = lab.run("diff", "ks", "apps", "--path", str(local))
    assert "ENC[" not in out and "**SOPS**" not in out



def test_build_and_diff_flags_ignore_paths_and_kustomization_file(lab: Lab) -> None:
    lab.setup()
    local = lab.tmp / "local"
    (local / "drafts").mkdir(parents=True)
    (local / "a.yaml").write_text(CM.format(name="a", value="v"))
    (local / "drafts" / "b.yaml").write_text(CM.format(name="b", value="v"))
    out, _ = lab.ok("build", "ks", "apps", "--path", str(local))
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(out) if d] == ["a", "b"]
    out, _ = lab.ok("build", "ks", "apps", "--path", str(local), "--ignore-paths", "drafts/")
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(out) if d] == ["a"]
    assert (local / "drafts" / "b.yaml").exists()  # the user's tree is untouched
    code, out, _ = lab.run("diff", "ks", "apps", "--path", str(local), "--ignore-paths", "drafts/")
    assert code == 0 and out == ""

    ks_file = lab.tmp / "ks.yaml"
    ks_file.write_text("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
                       "  name: offline\n  namespace: flux-system\nspec:\n  interval: 5m\n  prune: true\n"
                       "  targetNamespace: shop\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n")
    out, _ = lab.ok("build", "ks", "offline", "--path", str(local), "--kustomization-file", str(ks_file),
                    "--ignore-paths", "drafts", "--dry-run")  # flux: without --dry-run it must exist in the cluster
    doc = next(yaml.safe_load_all(out))
    assert doc["metadata"]["namespace"] == "shop"
    assert doc["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] == "offline"
    assert lab.run("build", "ks", "other", "--path", str(local), "--kustomization-file", str(ks_file),
                   "--dry-run")[2] == ("✗ failed to get kustomization object: failed find kustomization with name "
                                       f"'other' and namespace 'flux-system' in file '{ks_file}'\n")


def test_build_substitutes_leniently_unless_strict_substitute(lab: Lab) -> None:
    lab.setup()
    client = Session(kubeconfig=lab.kubeconfig).client
    client.merge_patch("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "apps", "flux-system",
                       {"spec": {"postBuild": {"substitute": {"known": "yes"}}}})
    local = lab.tmp / "local"
    local.mkdir()
    (local / "a.yaml").write_text(CM.format(name="a", value="${known}-${unknown}"))
    out, _ = lab.ok("build", "ks", "apps", "--path", str(local))
    assert next(yaml.safe_load_all(out))["data"]["k"] == "yes-"  # flux build: missing variables become empty
    code, _, err = lab.run("build", "ks", "apps", "--path", str(local), "--strict-substitute")
    assert code == 1 and "variable not set (strict mode): \"unknown\"" in err


CHILD_KS = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: child\n"
            "  namespace: flux-system\nspec:\n  interval: 5m\n  path: ./child\n  prune: true\n  sourceRef:\n"
            "    kind: GitRepository\n    name: fleet\n")


def test_diff_recursive_with_local_sources(lab: Lab) -> None:
    lab.commit({"apps/child.yaml": CHILD_KS, "child/c.yaml": CM.format(name="c", value="v")})
    lab.setup()
    lab.ok("reconcile", "ks", "apps", "--with-source")
    lab.ok("reconcile", "ks", "child")
    local = lab.tmp / "local"
    (local / "apps").mkdir(parents=True)
    (local / "child").mkdir()
    (local / "apps" / "a.yaml").write_text(CM.format(name="a", value="v"))
    (local / "apps" / "child.yaml").write_text(CHILD_KS)
    (local / "child" / "c.yaml").write_text(CM.format(name="c", value="w"))
    assert lab.run("diff", "ks", "apps", "--path", str(local / "apps"))[0] == 0  # not recursive: nothing changed
    code, out, _ = lab.run("diff", "ks", "apps", "--path", str(local / "apps"), "--recursive",
                           "--local-sources", f"GitRepository/flux-system/fleet={local}")
    assert code == 1
    assert out.splitlines()[:5] == ["📁 Kustomization/flux-system/child changed", "► ConfigMap/default/c drifted", "",
                                    "data.k", "  ± value change"]
    code, _, err = lab.run("diff", "ks", "apps", "--path", str(local / "apps"), "-r")
    assert code == 2 and err == ("✗ cannot get local path for GitRepository/flux-system/fleet of kustomization "
                                 "child\n")
