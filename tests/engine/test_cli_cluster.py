"""`gitops` CLI against the embedded cluster: install/check, create, get tables, reconcile lines, tree, diff."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main
from engine.cli.run import lease_is_fresh
from engine.cli.session import Session
from workshop.repo import LabRepo

ROOT = Path(__file__).resolve().parents[2]
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n  k: {value}\n"


@dataclass
class Lab:
    capsys: pytest.CaptureFixture[str]
    kubeconfig: str
    repo: LabRepo
    tmp: Path
    cluster: Any

    def run(self, *argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--kubeconfig", self.kubeconfig])
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *argv: str) -> tuple[str, str]:
        code, out, err = self.run(*argv)
        assert code == 0, err
        return out, err

    def commit(self, files: dict[str, str]) -> str:
        for path, text in files.items():
            self.repo.write(path, text)
        sha = self.repo.commit("change")
        assert sha
        return sha

    @contextlib.contextmanager
    def running_manager(self, seconds: float, *flags: str) -> Iterator[Session]:
        """`gitops run` in a thread for `seconds`, holding its Lease when the body starts; joined afterwards."""
        runner = threading.Thread(target=main, daemon=True,
                                  args=(["run", "--exit-after", str(seconds), *flags, "--kubeconfig", self.kubeconfig],))
        runner.start()
        session = Session(kubeconfig=self.kubeconfig)
        try:
            end = time.monotonic() + 5
            while not lease_is_fresh(session) and time.monotonic() < end:
                time.sleep(0.05)
            assert lease_is_fresh(session), "gitops run never took the lease"
            yield session
        finally:
            runner.join(seconds + 15)
            assert not runner.is_alive(), "gitops run did not stop"

    def setup(self, prune: bool = True) -> str:
        sha = self.commit({"apps/a.yaml": CM.format(name="a", value="v")})
        self.ok("install")
        self.ok("create", "source", "git", "fleet", "--url", self.repo.url, "--branch", "main")
        self.ok("create", "kustomization", "apps", "--source", "GitRepository/fleet", "--path", "./apps",
                f"--prune={str(prune).lower()}", "--interval", "5m")
        return sha


@pytest.fixture
def lab(embedded_cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Lab:
    monkeypatch.setenv("GITOPS_DATA_DIR", str(tmp_path / "data"))
    return Lab(capsys, str(embedded_cluster.kubeconfig_path), LabRepo.create(tmp_path / "git"), tmp_path,
               embedded_cluster)


def test_check_install_check(lab: Lab) -> None:
    out, err = lab.ok("check", "--pre")
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "► checking prerequisites"
    assert re.fullmatch(r"✔ Kubernetes 1\.33\.\d+-embedded >=1\.33\.0-0", lines[1])  # flux 2.9 requires 1.33
    assert lines[2] == "✔ prerequisites checks passed"
    code, _, err = lab.run("check")
    assert code == 1 and err.splitlines()[-1] == "✗ check failed"
    _, err = lab.ok("install")
    assert err.splitlines()[0] == "✚ generating manifests"
    assert "✔ Namespace/flux-system created" in err.splitlines()
    assert err.splitlines()[-1] == "✔ install finished"
    _, err = lab.ok("check")
    assert err.splitlines()[2:4] == ["► checking controllers", "⚠️ gitops-manager: not running, reconcile/create "
                                     "run the controllers in-process"]
    assert err.splitlines()[-10:] == ["► checking crds", "✔ alerts.notification.toolkit.fluxcd.io/v1beta3",
                                     "✔ gitrepositories.source.toolkit.fluxcd.io/v1",
                                     "✔ helmcharts.source.toolkit.fluxcd.io/v1",
                                     "✔ helmreleases.helm.toolkit.fluxcd.io/v2",
                                     "✔ helmrepositories.source.toolkit.fluxcd.io/v1",
                                     "✔ kustomizations.kustomize.toolkit.fluxcd.io/v1",
                                     "✔ providers.notification.toolkit.fluxcd.io/v1beta3",
                                     "✔ receivers.notification.toolkit.fluxcd.io/v1", "✔ all checks passed"]


def test_create_get_reconcile_story(lab: Lab) -> None:
    sha = lab.commit({"apps/a.yaml": CM.format(name="a", value="v")})
    lab.ok("install")
    _, err = lab.ok("create", "source", "git", "fleet", "--url", lab.repo.url, "--branch", "main")
    assert err.splitlines() == [
        "✚ generating GitRepository source", "► applying GitRepository source", "✔ GitRepository source created",
        "◎ waiting for GitRepository source reconciliation", "✔ GitRepository source reconciliation completed",
        f"✔ fetched revision: main@sha1:{sha}"]
    _, err = lab.ok("create", "ks", "apps", "--source=fleet", "--path=./apps", "--prune=true")
    assert err.splitlines() == [
        "✚ generating Kustomization", "► applying Kustomization", "✔ Kustomization created",
        "◎ waiting for Kustomization reconciliation", "✔ Kustomization apps is ready",
        f"✔ applied revision main@sha1:{sha}"]

    out, _ = lab.ok("get", "sources", "git")
    assert out == ("NAME \tREVISION          \tSUSPENDED\tREADY\tMESSAGE\n"
                   f"fleet\tmain@sha1:{sha[:8]}\tFalse    \tTrue \t"
                   f"stored artifact for revision 'main@sha1:{sha[:8]}'\n")
    out, _ = lab.ok("get", "kustomizations")
    assert out == ("NAME\tREVISION          \tSUSPENDED\tREADY\tMESSAGE\n"
                   f"apps\tmain@sha1:{sha[:8]}\tFalse    \tTrue \tApplied revision: main@sha1:{sha[:8]}\n")
    out, _ = lab.ok("get", "all", "-A")
    assert out.splitlines() == [
        "NAMESPACE  \tNAME               \tREVISION          \tSUSPENDED\tREADY\tMESSAGE",
        f"flux-system\tgitrepository/fleet\tmain@sha1:{sha[:8]}\tFalse    \tTrue \t"
        f"stored artifact for revision 'main@sha1:{sha[:8]}'",
        "",
        "NAMESPACE  \tNAME              \tREVISION          \tSUSPENDED\tREADY\tMESSAGE",
        f"flux-system\tkustomization/apps\tmain@sha1:{sha[:8]}\tFalse    \tTrue \tApplied revision: main@sha1:{sha[:8]}",
        ""]

    new = lab.commit({"apps/b.yaml": CM.format(name="b", value="v")})
    out, err = lab.ok("reconcile", "kustomization", "apps", "--with-source")
    assert out == ""
    assert err.splitlines() == [
        "► annotating GitRepository fleet in flux-system namespace", "✔ GitRepository annotated",
        "◎ waiting for GitRepository reconciliation", f"✔ fetched revision main@sha1:{new}",
        "► annotating Kustomization apps in flux-system namespace", "✔ Kustomization annotated",
        "◎ waiting for Kustomization reconciliation", f"✔ applied revision main@sha1:{new}"]

    out, _ = lab.ok("tree", "kustomization", "apps")
    assert out == "Kustomization/flux-system/apps\n├── ConfigMap/default/a\n└── ConfigMap/default/b\n"

    out, _ = lab.ok("events", "--for", "Kustomization/apps")
    lines = out.splitlines()
    assert re.match(r"LAST SEEN\s*\tTYPE\s*\tREASON\s*\tOBJECT\s*\tMESSAGE$", lines[0])
    assert any("GitRepository/fleet" in ln for ln in lines) and any("Kustomization/apps" in ln for ln in lines)
    assert any("\tNormal\t" in ln.replace(" ", "") or "Normal" in ln for ln in lines[1:])


def test_reconcile_failure_exits_1_with_ready_message(lab: Lab) -> None:
    lab.setup()
    lab.ok("create", "ks", "broken", "--source=fleet", "--path=./apps", "--export")  # export never applies
    code, _, err = lab.run("create", "ks", "broken", "--source=fleet", "--path=./missing")
    assert code == 1
    assert err.splitlines()[-1] == ("✗ Kustomization reconciliation failed: kustomization path not found: "
                                    "stat missing: no such file or directory")
    code, _, err = lab.run("reconcile", "ks", "broken")
    assert code == 1 and "Traceback" not in err
    assert err.splitlines()[:3] == ["► annotating Kustomization broken in flux-system namespace",
                                    "✔ Kustomization annotated", "◎ waiting for Kustomization reconciliation"]
    assert err.splitlines()[-1].startswith("✗ Kustomization reconciliation failed: kustomization path not found")
    out, _ = lab.ok("get", "ks", "broken")
    assert "\tFalse    \tFalse\tkustomization path not found" in out
    out, _ = lab.ok("get", "ks", "--status-selector", "ready=false", "--no-header")
    assert out.startswith("broken\t") and len(out.splitlines()) == 1


def test_suspend_resume_and_misses(lab: Lab) -> None:
    sha = lab.setup()
    _, err = lab.ok("suspend", "kustomization", "apps")
    assert err.splitlines() == ["► suspending kustomization apps in flux-system namespace",
                                "✔ kustomization suspended"]
    out, _ = lab.ok("get", "ks", "apps", "--no-header")
    assert out.split("\t")[2].strip() == "True"
    assert lab.run("reconcile", "ks", "apps")[2] == "✗ resource is suspended\n"
    _, err = lab.ok("resume", "ks", "apps")
    assert err.splitlines() == ["► resuming kustomization apps in flux-system namespace", "✔ kustomization resumed",
                                "◎ waiting for Kustomization reconciliation",
                                "✔ Kustomization apps reconciliation completed", f"✔ applied revision main@sha1:{sha}"]
    _, err = lab.ok("suspend", "source", "git", "fleet")
    assert err.splitlines() == ["► suspending source git fleet in flux-system namespace", "✔ source git suspended"]
    _, err = lab.ok("resume", "source", "git", "fleet")
    assert err.splitlines()[-1] == f"✔ fetched revision main@sha1:{sha}"

    assert lab.run("get", "ks", "nope") == (
        1, "", "✗ Kustomization object 'nope' not found in \"flux-system\" namespace\n")
    assert lab.run("get", "sources", "git", "-n", "default") == (
        1, "", "✗ no GitRepository objects found in \"default\" namespace\n")
    assert lab.run("reconcile", "source", "git", "nope") == (
        1, "", '✗ gitrepositories.source.toolkit.fluxcd.io "nope" not found\n')


def test_build_and_diff(lab: Lab) -> None:
    lab.setup()
    local = lab.tmp / "local"
    local.mkdir()
    (local / "a.yaml").write_text(CM.format(name="a", value="v"))
    out, _ = lab.ok("build", "kustomization", "apps", "--path", str(local))
    assert "kustomize.toolkit.fluxcd.io/name: apps" in out
    assert "kustomize.toolkit.fluxcd.io/namespace: flux-system" in out
    assert lab.run("diff", "ks", "apps", "--path", str(local)) == (0, "", "")

    (local / "a.yaml").write_text(CM.format(name="a", value="w"))
    (local / "c.yaml").write_text(CM.format(name="c", value="v"))
    code, out, err = lab.run("diff", "ks", "apps", "--path", str(local))
    assert code == 1
    assert out.splitlines() == ["► ConfigMap/default/a drifted", "", "data.k", "  ± value change", "    - v",
                                "    + w", "", "► ConfigMap/default/c created"]
    assert err == "✗ identified at least one change, exiting with non-zero exit code\n"

    (local / "a.yaml").unlink()
    code, out, _ = lab.run("diff", "ks", "apps", "--path", str(local))
    assert code == 1 and "► ConfigMap/default/a deleted" in out.splitlines()
    code, _, err = lab.run("diff", "ks", "apps", "--path", str(lab.tmp / "nowhere"))
    assert code == 2 and err.startswith("✗ ")


def test_run_holds_a_lease_and_subprocess_get(lab: Lab) -> None:
    sha = lab.setup()
    _, err = lab.ok("run", "--exit-after", "0.3")
    assert err.splitlines()[0] == ("► starting controllers: GitRepository, HelmRepository, HelmChart, "
                                  "Kustomization, HelmRelease, Provider, Alert, Receiver")
    assert err.splitlines()[-1] == "✔ controllers stopped"
    proc = subprocess.run([sys.executable, "-m", "engine", "get", "ks", "--kubeconfig", lab.kubeconfig],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1].startswith(f"apps\tmain@sha1:{sha[:8]}\tFalse    \tTrue ")


def test_reconcile_waits_for_a_running_manager(lab: Lab) -> None:
    lab.setup()
    with lab.running_manager(2.5) as session:
        new = lab.commit({"apps/b.yaml": CM.format(name="b", value="v")})
        code = main(["reconcile", "ks", "apps", "--with-source", "--kubeconfig", lab.kubeconfig, "--timeout", "30s"])
        assert code == 0
        assert lab.cluster.api_client() is not None
        obj = session.client.get("v1", "ConfigMap", "b", "default")
        assert obj is not None
        _, err = lab.capsys.readouterr()
        assert f"✔ applied revision main@sha1:{new}" in err.splitlines()
    assert not lease_is_fresh(session)  # released on exit


def test_tree_recurses_into_child_kustomizations(lab: Lab) -> None:
    child = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: child\n"
             "  namespace: flux-system\nspec:\n  interval: 5m\n  path: ./child\n  prune: true\n"
             "  sourceRef:\n    kind: GitRepository\n    name: fleet\n")
    lab.commit({"clusters/child.yaml": child, "clusters/z.yaml": CM.format(name="z", value="v"),
                "child/c.yaml": CM.format(name="c", value="v")})
    lab.ok("install")
    lab.ok("create", "source", "git", "fleet", "--url", lab.repo.url, "--branch", "main")
    lab.ok("create", "ks", "root", "--source", "fleet", "--path", "./clusters", "--prune")
    out, _ = lab.ok("tree", "ks", "root")
    assert out.splitlines() == ["Kustomization/flux-system/root",
                                "├── ConfigMap/default/z",
                                "└── Kustomization/flux-system/child",
                                "    └── ConfigMap/default/c"]
    out, _ = lab.ok("tree", "ks", "root", "-o", "json")
    import json

    node = json.loads(out)
    assert node["resource"] == {"Namespace": "flux-system", "Name": "root",
                                "GroupKind": {"Group": "kustomize.toolkit.fluxcd.io", "Kind": "Kustomization"}}
    assert [r["resource"]["Name"] for r in node["resources"]] == ["z", "child"]
    assert node["resources"][1]["resources"][0]["resource"]["Name"] == "c"
    out, _ = lab.ok("tree", "ks", "root", "--compact")
    assert out.splitlines() == ["Kustomization/flux-system/root", "└── Kustomization/flux-system/child"]


def test_kustomize_build_and_bad_context(lab: Lab) -> None:
    local = lab.tmp / "k"
    local.mkdir()
    (local / "kustomization.yaml").write_text("namePrefix: p-\nresources:\n- a.yaml\n")
    (local / "a.yaml").write_text(CM.format(name="a", value="v"))
    out, _ = lab.ok("kustomize", "build", str(local))
    assert "name: p-a" in out
    code, out, err = lab.run("get", "ks", "--context", "nope")
    assert code == 1 and out == "" and len(err.splitlines()) == 1 and err.startswith("✗ unable to load kubeconfig")


def test_run_in_a_subprocess_stops_cleanly_on_sigterm(lab: Lab) -> None:
    import os
    import signal

    lab.ok("install")
    env = {**os.environ, "GITOPS_DATA_DIR": str(lab.tmp / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "engine", "run", "--kubeconfig", lab.kubeconfig],
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().startswith("► starting controllers")
        assert proc.stderr.readline() == "✔ controllers started (Ctrl-C to stop)\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert proc.stderr.read().splitlines()[-1] == "✔ controllers stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_bad_timeout_is_one_line(lab: Lab) -> None:
    code, out, err = lab.run("get", "ks", "--timeout", "soon")
    assert (code, out) == (1, "")
    assert err.startswith("✗ invalid duration 'soon'") and len(err.splitlines()) == 1


def test_source_failure_is_quoted_and_events_can_be_empty(lab: Lab) -> None:
    lab.ok("install")
    assert lab.run("events") == (0, "", "✗ No events found in flux-system namespace.\n")
    missing = (lab.tmp / "nowhere.git").as_uri()
    code, _, err = lab.run("create", "source", "git", "gone", "--url", missing, "--branch", "main")
    assert code == 1
    last = err.splitlines()[-1]
    assert last.startswith("✗ GitRepository reconciliation failed: '") and last.endswith("'")
    code, _, err = lab.run("reconcile", "source", "git", "gone")
    assert code == 1
    assert err.splitlines()[:3] == ["► annotating GitRepository gone in flux-system namespace",
                                    "✔ GitRepository annotated", "◎ waiting for GitRepository reconciliation"]
    assert err.splitlines()[-1].startswith("✗ GitRepository reconciliation failed: '")
    out, _ = lab.ok("events", "--for", "GitRepository/gone", "--types", "Warning")
    assert len(out.splitlines()) >= 2
    assert all("\tWarning\t" in ln and "GitRepository/gone" in ln for ln in out.splitlines()[1:])


def test_kubeconfig_set_after_import_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             embedded_cluster: Any) -> None:
    from engine.client import load_api_client

    monkeypatch.setenv("KUBECONFIG", str(embedded_cluster.kubeconfig_path))
    api = load_api_client()
    assert api.configuration.host == embedded_cluster.url
