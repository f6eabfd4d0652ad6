"""`gitops build kustomization --dry-run | -r/--recursive --local-sources` and the flag checks `build`/`diff` share,
as flux 2.x's cmd/flux/build_kustomization.go, diff_kustomization.go and internal/build: --dry-run never talks to
the cluster and skips postBuild.substituteFrom; --kustomization-file without it needs the live object (and keeps
its inventory); -r appends each child Kustomization's build, found through --local-sources."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.cli import main
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import CM, Lab

lab = test_cli_cluster.lab  # the CLI tests' fixture

KS = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n"
      "  namespace: flux-system\nspec:\n  interval: 5m\n  path: {path}\n  prune: true\n  sourceRef:\n"
      "    kind: GitRepository\n    name: fleet\n")
SUBST = ("  postBuild:\n    substitute:\n      inline: \"yes\"\n    substituteFrom:\n    - kind: ConfigMap\n"
         "      name: cluster-vars\n")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _tree(root: Path) -> tuple[Path, Path]:
    """A local checkout: apps/ (a ConfigMap and the child Kustomization) and child/ (a ConfigMap); the ks file."""
    (root / "apps").mkdir(parents=True)
    (root / "child").mkdir()
    (root / "apps" / "a.yaml").write_text(CM.format(name="a", value="${inline}-${from_cluster}"))
    (root / "apps" / "child.yaml").write_text(KS.format(name="child", path="./child"))
    (root / "child" / "c.yaml").write_text(CM.format(name="c", value="v"))
    ks_file = root / "apps-ks.yaml"
    ks_file.write_text(KS.format(name="apps", path="./apps") + SUBST)
    return root, ks_file


def test_dry_run_builds_without_a_cluster_and_skips_substitute_from(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path) -> None:
    root, ks_file = _tree(tmp_path)
    nowhere = ["--kubeconfig", str(tmp_path / "no-kubeconfig")]  # any cluster access would fail
    code, out, err = run(capsys, "build", "ks", "apps", "--path", str(root / "apps"), "--kustomization-file",
                         str(ks_file), "--dry-run", *nowhere)
    assert (code, err) == (0, "")
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [("ConfigMap", "a"), ("Kustomization", "child")]
    assert docs[0]["data"]["k"] == "yes-"  # inline substitute applied, the ConfigMap's variable is not loaded
    assert docs[0]["metadata"]["labels"] == {"kustomize.toolkit.fluxcd.io/name": "apps",
                                             "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
    code, _, err = run(capsys, "build", "ks", "apps", "--path", str(root / "apps"), "--kustomization-file",
                       str(ks_file), "--dry-run", "--strict-substitute", *nowhere)
    assert code == 1 and 'variable not set (strict mode): "from_cluster"' in err


def test_dry_run_recursive_builds_children_from_local_sources(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    root, ks_file = _tree(tmp_path)
    base = ["build", "ks", "apps", "--path", str(root / "apps"), "--kustomization-file", str(ks_file), "--dry-run",
            "--kubeconfig", str(tmp_path / "no-kubeconfig")]
    code, out, err = run(capsys, *base, "-r", "--local-sources", f"GitRepository/flux-system/fleet={root}")
    assert (code, err) == (0, "")
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert [(d["kind"], d["metadata"]["name"], d["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"])
            for d in docs] == [("ConfigMap", "a", "apps"), ("Kustomization", "child", "apps"),
                               ("ConfigMap", "c", "child")]
    code, out, err = run(capsys, *base, "--recursive")
    assert (code, out) == (1, "")
    assert err == "✗ cannot get local path for GitRepository/flux-system/fleet of kustomization child\n"


def test_recursive_build_stops_at_a_cycle(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root, ks_file = _tree(tmp_path)
    (root / "child" / "back.yaml").write_text(KS.format(name="apps", path="./apps"))  # child → apps → child …
    code, out, _ = run(capsys, "build", "ks", "apps", "--path", str(root / "apps"), "--kustomization-file",
                       str(ks_file), "--dry-run", "-r", "--local-sources", f"GitRepository/flux-system/fleet={root}",
                       "--kubeconfig", str(tmp_path / "no-kubeconfig"))
    assert code == 0
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(out) if d] == ["a", "child", "apps", "c"]


@pytest.mark.parametrize("verb", ["build", "diff"])
def test_flag_checks_fail_like_flux(capsys: pytest.CaptureFixture[str], tmp_path: Path, verb: str) -> None:
    root, ks_file = _tree(tmp_path)
    apps = str(root / "apps")
    missing = tmp_path / "missing"
    bad_path = f'✗ invalid resource path "{missing}"\n'  # build makes it absolute; it already is here
    cases: list[tuple[list[str], int, str]] = [
        (["--path", str(missing)], 1 if verb == "build" else 2, bad_path),
        ([], 1 if verb == "build" else 2, '✗ invalid resource path ""\n'),
        (["--path", apps, "--kustomization-file", str(missing)], 1, f'✗ invalid kustomization file "{missing}"\n'),
        (["--path", apps, "--kustomization-file", str(root)], 1, f'✗ invalid kustomization file "{root}"\n'),
        (["--path", apps, "--local-sources", "GitRepository/flux-system/fleet"], 1,
         '✗ invalid argument "GitRepository/flux-system/fleet" for "--local-sources" flag: '
         "GitRepository/flux-system/fleet must be formatted as key=value\n"),
    ]
    if verb == "build":
        cases.append((["--path", apps, "--dry-run"], 1, "✗ dry-run mode requires a kustomization file\n"))
    else:
        cases.append((["--path", apps, "--ignore-not-found"], 2,
                      "✗ kustomization file is required when assuming new kustomizations\n"))
    for flags, code, message in cases:
        assert run(capsys, verb, "ks", "apps", *flags, "--kubeconfig", str(tmp_path / "none")) == (code, "", message)


def test_build_path_is_made_absolute_in_the_message(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "build", "ks", "apps", "--path", "nope") == (
        1, "", f'✗ invalid resource path "{tmp_path / "nope"}"\n')
    assert run(capsys, "diff", "ks", "apps", "--path", "nope")[2] == '✗ invalid resource path "nope"\n'


def test_kustomization_file_without_dry_run_needs_the_live_object(lab: Lab) -> None:
    lab.setup()
    root, ks_file = _tree(lab.tmp / "local")
    offline = lab.tmp / "offline.yaml"
    offline.write_text(KS.format(name="offline", path="./apps"))
    code, out, err = lab.run("build", "ks", "offline", "--path", str(root / "apps"), "--kustomization-file",
                             str(offline))
    assert (code, out) == (1, "")
    assert err == ('✗ failed to get kustomization object: kustomizations.kustomize.toolkit.fluxcd.io "offline" '
                   "not found\n")
    code, out, err = lab.run("diff", "ks", "offline", "--path", str(root / "apps"), "--kustomization-file",
                             str(offline))
    assert code == 2 and "not found" in err
    # diff --ignore-not-found: the file's Kustomization alone (no inventory, so nothing is deleted)
    (root / "new").mkdir()
    (root / "new" / "b.yaml").write_text(CM.format(name="b", value="v"))
    code, out, _ = lab.run("diff", "ks", "offline", "--path", str(root / "new"), "--kustomization-file",
                           str(offline), "--ignore-not-found")
    assert (code, out) == (1, "► ConfigMap/default/b created\n")


def test_kustomization_file_keeps_the_live_inventory_for_diff(lab: Lab) -> None:
    """flux merges the live status into the file's Kustomization: objects gone from the build show as deleted."""
    lab.setup()  # the live `apps` applied ConfigMap/default/a
    local = lab.tmp / "local"
    local.mkdir()
    (local / "b.yaml").write_text(CM.format(name="b", value="v"))
    ks_file = lab.tmp / "apps.yaml"
    ks_file.write_text(KS.format(name="apps", path="./apps"))
    code, out, _ = lab.run("diff", "ks", "apps", "--path", str(local), "--kustomization-file", str(ks_file))
    assert code == 1
    assert out.splitlines() == ["► ConfigMap/default/b created", "► ConfigMap/default/a deleted"]


def test_recursive_build_uses_the_live_child_when_there_is_one(lab: Lab) -> None:
    """Without --dry-run a child's live Kustomization wins over the built one (flux's sub-builder)."""
    lab.commit({"apps/child.yaml": KS.format(name="child", path="./child"),
                "child/c.yaml": CM.format(name="c", value="v")})
    lab.setup()
    lab.ok("reconcile", "ks", "apps", "--with-source")
    from engine.cli.session import Session

    Session(kubeconfig=lab.kubeconfig).client.merge_patch(
        "kustomize.toolkit.fluxcd.io/v1", "Kustomization", "child", "flux-system",
        {"spec": {"targetNamespace": "live-ns"}})
    root, _ = _tree(lab.tmp / "local")
    out, _ = lab.ok("build", "ks", "apps", "--path", str(root / "apps"), "-r", "--local-sources",
                    f"GitRepository/flux-system/fleet={root}")
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert [(d["kind"], d["metadata"]["name"], d["metadata"].get("namespace")) for d in docs] == [
        ("ConfigMap", "a", "default"), ("Kustomization", "child", "flux-system"), ("ConfigMap", "c", "live-ns")]


def test_recursive_dry_run_matches_flux_golden(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """flux2 cmd/flux/build_kustomization_test.go "build with recursive in dry-run mode" and its golden
    (testdata/build-kustomization/podinfo-with-my-app-result.yaml): every object is followed by `---`."""
    src = tmp_path / "src"
    (src / "podinfo-with-my-app").mkdir(parents=True)
    (src / "my-app").mkdir()
    (src / "podinfo-with-my-app" / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ./my-app.yaml\n")
    (src / "podinfo-with-my-app" / "my-app.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: my-app\nspec:\n"
        "  interval: 5m0s\n  path: ./my-app\n  force: true\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
        "    name: podinfo\n  targetNamespace: default\n")
    (src / "my-app" / "configmap.yaml").write_text(
        "apiVersion: v1\ndata:\n  var: test\nkind: ConfigMap\nmetadata:\n  name: my-app\n")
    ks_file = tmp_path / "podinfo.yaml"
    ks_file.write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: podinfo\n"
        "  namespace: flux-system\nspec:\n  interval: 5m0s\n  path: ./kustomize\n  force: true\n  prune: true\n"
        "  sourceRef:\n    kind: GitRepository\n    name: podinfo\n  targetNamespace: default\n  postBuild:\n"
        "    substitute:\n      cluster_env: \"prod\"\n      cluster_region: \"eu-central-1\"\n")
    code, out, err = run(capsys, "build", "kustomization", "podinfo", "--kustomization-file", str(ks_file), "--path",
                         str(src / "podinfo-with-my-app"), "--recursive", "--local-sources",
                         f"GitRepository/default/podinfo={src}", "--dry-run",
                         "--kubeconfig", str(tmp_path / "no-kubeconfig"))
    assert (code, err) == (0, "")
    assert out == """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  labels:
    kustomize.toolkit.fluxcd.io/name: podinfo
    kustomize.toolkit.fluxcd.io/namespace: flux-system
  name: my-app
  namespace: default
spec:
  force: true
  interval: 5m0s
  path: ./my-app
  prune: true
  sourceRef:
    kind: GitRepository
    name: podinfo
  targetNamespace: default
---
apiVersion: v1
data:
  var: test
kind: ConfigMap
metadata:
  labels:
    kustomize.toolkit.fluxcd.io/name: my-app
    kustomize.toolkit.fluxcd.io/namespace: default
  name: my-app
  namespace: default
---
"""


@pytest.mark.parametrize("flag", ["--in-memory-build", "--in-memory-build=true", "--in-memory-build=false"])
def test_in_memory_build_is_accepted_and_the_tree_stays_untouched(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path, flag: str) -> None:
    root, ks_file = _tree(tmp_path)
    before = sorted(p.name for p in (root / "apps").iterdir())
    code, out, err = run(capsys, "build", "ks", "apps", "--path", str(root / "apps"), "--kustomization-file",
                         str(ks_file), "--dry-run", flag, "--kubeconfig", str(tmp_path / "no-kubeconfig"))
    assert (code, err) == (0, "") and "name: child" in out
    assert sorted(p.name for p in (root / "apps").iterdir()) == before  # no kustomization.yaml left behind
