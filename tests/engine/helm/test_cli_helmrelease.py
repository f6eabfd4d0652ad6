"""`gitops create|get|reconcile|suspend|resume|export helmrelease` against the embedded cluster and the lab chart
repository on 127.0.0.1, with flux's lines, tables and exit codes."""

from __future__ import annotations

from typing import Any

from engine.cli.session import Session
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import Lab

lab = test_cli_cluster.lab  # the CLI tests' fixture


def helm_repository(lab: Lab, url: str) -> None:
    Session(kubeconfig=lab.kubeconfig).client.apply({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
        "metadata": {"name": "lab", "namespace": "flux-system"}, "spec": {"interval": "10m", "url": url}},
        field_manager="test")


def test_create_export_shape(lab: Lab) -> None:
    out, _ = lab.ok("create", "helmrelease", "podinfo", "--source=HelmRepository/podinfo", "--chart=podinfo",
                    "--export")
    assert out == ("---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n"
                   "  namespace: flux-system\nspec:\n  chart:\n    spec:\n      chart: podinfo\n"
                   "      reconcileStrategy: ChartVersion\n      sourceRef:\n        kind: HelmRepository\n"
                   "        name: podinfo\n  interval: 1m0s\n")
    out, _ = lab.ok("create", "hr", "podinfo", "--chart-ref=HelmChart/podinfo", "--target-namespace=apps",
                    "--export")
    assert "chartRef:\n    kind: HelmChart\n    name: podinfo\n" in out
    assert "storageNamespace: apps\n  targetNamespace: apps\n" in out


def test_create_bad_input(lab: Lab) -> None:
    assert lab.run("create", "hr", "x", "--export") == (1, "", "✗ chart or chart-ref is required\n")
    assert lab.run("create", "hr", "x", "--chart=a", "--chart-ref=HelmChart/a", "--export") == (
        1, "", "✗ cannot use --chart in combination with --chart-ref\n")
    code, _, err = lab.run("create", "hr", "x", "--chart=a", "--source=OCIRepository/a", "--export")
    assert (code, err) == (1, "✗ source kind 'OCIRepository' is not supported, must be one of: HelmRepository, "
                              "GitRepository, Bucket\n")
    code, _, err = lab.run("create", "hr", "x", "--chart=a", "--source=HelmRepository/a", "--values=/nope.yaml",
                           "--export")
    assert code == 1 and err.startswith("✗ reading values from /nope.yaml failed")


def test_helmrelease_from_the_cli(lab: Lab, chart_repository: Any, tmp_path: Any) -> None:
    lab.ok("install")
    helm_repository(lab, chart_repository.url)
    values = tmp_path / "values.yaml"
    values.write_text("message: from the CLI\nreplicaCount: 2\n")
    out, err = lab.ok("create", "helmrelease", "web", "--source=HelmRepository/lab", "--chart=web",
                      "--chart-version=0.1.x", f"--values={values}", "--target-namespace=default")
    assert out == ""
    assert err.splitlines() == [
        "✚ generating HelmRelease", "► applying HelmRelease", "✔ HelmRelease created",
        "◎ waiting for HelmRelease reconciliation", "✔ HelmRelease web is ready", "✔ applied revision 0.1.0"]
    client = Session(kubeconfig=lab.kubeconfig).client
    assert client.get("v1", "Secret", "sh.helm.release.v1.default-web.v1", "default") is not None

    out, _ = lab.ok("get", "helmreleases")
    assert [[cell.strip() for cell in line.split("\t")] for line in out.splitlines()] == [
        ["NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"],
        ["web", "0.1.0", "False", "True", "Helm install succeeded for release default/default-web.v1 with chart "
                                          "web@0.1.0"]]
    out, _ = lab.ok("get", "all")
    assert "helmrelease/web" in out
    out, _ = lab.ok("get", "hr", "--show-source")
    assert [cell.strip() for cell in out.splitlines()[1].split("\t")][:3] == ["web", "HelmRepository/flux-system/lab",
                                                                            "0.1.0"]
    assert [cell.strip() for cell in out.splitlines()[0].split("\t")][:3] == ["NAME", "SOURCE", "REVISION"]

    out, err = lab.ok("reconcile", "hr", "web", "--force")
    assert err.splitlines() == [
        "► annotating HelmRelease web in flux-system namespace", "✔ HelmRelease annotated",
        "◎ waiting for HelmRelease reconciliation", "✔ applied revision 0.1.0"]
    assert client.get("v1", "Secret", "sh.helm.release.v1.default-web.v2", "default") is not None  # forced upgrade

    out, err = lab.ok("reconcile", "hr", "web", "--with-source")
    lines = err.splitlines()
    assert lines[0] == "► annotating HelmRepository lab in flux-system namespace"
    assert lines[4:8] == ["► annotating HelmChart flux-system-web in flux-system namespace", "✔ HelmChart annotated",
                          "◎ waiting for HelmChart reconciliation", "✔ fetched revision 0.1.0"]
    assert lines[-1] == "✔ applied revision 0.1.0"
    assert lab.run("reconcile", "hr", "web", "--force", "--reset") == (
        1, "", "✗ --force and --reset cannot be used together\n")

    assert lab.run("suspend", "helmrelease", "web") == (0, "", (
        "► suspending helmrelease web in flux-system namespace\n✔ helmrelease suspended\n"))
    assert lab.run("reconcile", "hr", "web") == (1, "", "✗ resource is suspended\n")
    code, _, err = lab.run("resume", "helmrelease", "web")
    assert code == 0
    assert err.splitlines()[-3:] == ["◎ waiting for HelmRelease reconciliation",
                                     "✔ HelmRelease web reconciliation completed", "✔ applied revision 0.1.0"]

    out, _ = lab.ok("events", "--for", "HelmRelease/web")
    assert "InstallSucceeded" in out and "HelmRelease/web" in out
    out, _ = lab.ok("logs", "--kind", "HelmRelease")
    assert "running 'install' action with timeout of 5m0s" in out

    out, _ = lab.ok("export", "helmrelease", "web")
    assert out.startswith("---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n")
    assert "status" not in out and "chartVersion" not in out

    code, out, err = lab.run("delete", "helmrelease", "web", "--silent")
    assert (code, err.splitlines()) == (0, ["► deleting helmrelease web in flux-system namespace",
                                            "✔ helmrelease deleted"])
    assert client.get("helm.toolkit.fluxcd.io/v2", "HelmRelease", "web", "flux-system") is None  # finalized:
    assert client.list("v1", "Secret", "default", label_selector="owner=helm") == []  # helm uninstall ran


RELEASE_YAML = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 10m
  targetNamespace: default
  chart:
    spec:
      chart: web
      version: 0.2.x
      sourceRef:
        kind: HelmRepository
        name: lab
"""
REPOSITORY_YAML = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: lab
  namespace: flux-system
spec:
  interval: 10m
  url: {url}
"""


def test_tree_shows_a_helmreleases_objects(lab: Lab, chart_repository: Any) -> None:
    lab.commit({"apps/release.yaml": RELEASE_YAML, "apps/repository.yaml": REPOSITORY_YAML.format(
        url=chart_repository.url)})
    lab.ok("install")
    lab.ok("create", "source", "git", "fleet", "--url", lab.repo.url, "--branch", "main")
    lab.ok("create", "kustomization", "apps", "--source", "GitRepository/fleet", "--path", "./apps", "--prune=true")
    out, _ = lab.ok("get", "hr", "web", "--no-header")
    assert out.split("\t")[1].strip() == "0.2.0"
    out, _ = lab.ok("tree", "kustomization", "apps")
    assert out.splitlines() == [
        "Kustomization/flux-system/apps",
        "├── HelmRelease/flux-system/web",
        "│   ├── Service/default/default-web",
        "│   └── Deployment/default/default-web",
        "└── HelmRepository/flux-system/lab"]
