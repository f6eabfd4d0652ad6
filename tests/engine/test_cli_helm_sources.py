"""`gitops create|get|reconcile|suspend|resume|export source helm|chart` against the embedded cluster and the lab
chart repository on 127.0.0.1: flux's lines, tables and exit codes."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import test_cli_cluster
import yaml

from engine.cli import main
from workshop.chart_repo import LabChartRepository

lab = test_cli_cluster.lab  # the CLI tests' fixture


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, expected", [
    (("create", "source", "helm", "podinfo", "--url=https://stefanprodan.github.io/charts/podinfo",
      "--interval=5m"),
     "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: podinfo\n"
     "  namespace: flux-system\nspec:\n  interval: 5m0s\n  url: https://stefanprodan.github.io/charts/podinfo\n"),
    (("create", "source", "helm", "podinfo", "--url=oci://ghcr.io/stefanprodan/charts/podinfo",
      "--secret-ref=creds", "--interval=5m"),
     "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: podinfo\n"
     "  namespace: flux-system\nspec:\n  interval: 5m0s\n  secretRef:\n    name: creds\n  type: oci\n"
     "  url: oci://ghcr.io/stefanprodan/charts/podinfo\n"),
])
def test_create_source_helm_export_matches_flux_goldens(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                                        expected: str) -> None:
    assert run(capsys, *argv, "--export") == (0, expected, "")


def test_create_source_chart_export_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "create", "source", "chart", "podinfo", "--source", "helmrepository/podinfo",
                         "--chart", "podinfo", "--export")
    assert code == 0 and err == "✚ generating HelmChart source\n"
    assert out == ("---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: podinfo\n"
                   "  namespace: flux-system\nspec:\n  chart: podinfo\n  interval: 1m0s\n"
                   "  reconcileStrategy: ChartVersion\n  sourceRef:\n    kind: HelmRepository\n    name: podinfo\n")
    assert run(capsys, "create", "source", "chart", "podinfo", "--export") == \
        (1, "", "✗ chart source is required\n")
    assert run(capsys, "create", "source", "chart", "podinfo", "--source", "helmrepository/podinfo", "--export") \
        == (1, "", "✗ chart name or path is required\n")
    assert run(capsys, "create", "source", "chart", "podinfo", "--source", "foobar/podinfo", "--export") == (
        1, "", '✗ invalid argument "foobar/podinfo" for "--source" flag: source kind \'foobar\' is not supported, '
               "must be one of: HelmRepository, GitRepository, Bucket\n")
    assert run(capsys, "create", "source", "helm", "x", "--url=ftp://h/charts", "--export") == \
        (1, "", "✗ url scheme 'ftp' not supported, can be: http, https and oci\n")
    assert run(capsys, "create", "source", "helm", "x", "--export") == (1, "", "✗ url is required\n")


def test_helm_sources_from_the_cli(lab: Any, chart_repository: LabChartRepository) -> None:
    lab.ok("install")
    revision = "sha256:" + hashlib.sha256(chart_repository.files["index.yaml"]).hexdigest()
    _, err = lab.ok("create", "source", "helm", "lab", "--url", chart_repository.url, "--interval", "10m")
    assert err.splitlines() == [
        "✚ generating HelmRepository source", "► applying HelmRepository source", "✔ source created",
        "◎ waiting for HelmRepository source reconciliation", "✔ HelmRepository source reconciliation completed",
        f"✔ fetched revision: {revision}"]
    _, err = lab.ok("create", "source", "chart", "web", "--source", "HelmRepository/lab", "--chart", "web",
                    "--chart-version", "0.1.x")
    assert err.splitlines()[-2:] == ["✔ HelmChart source reconciliation completed", "✔ fetched revision: 0.1.0"]
    out, _ = lab.ok("get", "sources", "helm")
    assert out == ("NAME\tREVISION       \tSUSPENDED\tREADY\tMESSAGE\n"
                   f"lab \t{revision[:15]}\tFalse    \tTrue \tstored artifact: revision '{revision[:15]}'\n")
    out, _ = lab.ok("get", "sources", "chart", "-A")
    assert out.splitlines() == [
        "NAMESPACE  \tNAME\tREVISION\tSUSPENDED\tREADY\tMESSAGE",
        "flux-system\tweb \t0.1.0   \tFalse    \tTrue \tpulled 'web' chart with version '0.1.0'"]
    out, _ = lab.ok("get", "sources", "all")
    assert "helmrepository/lab" in out and "helmchart/web" in out
    _, err = lab.ok("reconcile", "source", "helm", "lab")
    assert err.splitlines() == ["► annotating HelmRepository lab in flux-system namespace",
                                "✔ HelmRepository annotated", "◎ waiting for HelmRepository reconciliation",
                                f"✔ fetched revision {revision}"]
    _, err = lab.ok("reconcile", "source", "chart", "web", "--with-source")
    assert err.splitlines()[-4:] == ["► annotating HelmChart web in flux-system namespace", "✔ HelmChart annotated",
                                     "◎ waiting for HelmChart reconciliation", "✔ fetched revision 0.1.0"]
    assert err.splitlines()[0] == "► annotating HelmRepository lab in flux-system namespace"
    _, err = lab.ok("suspend", "source", "chart", "web")
    assert err.splitlines() == ["► suspending source chart web in flux-system namespace", "✔ source chart suspended"]
    assert lab.run("reconcile", "source", "chart", "web") == (1, "", "✗ resource is suspended\n")
    _, err = lab.ok("resume", "source", "chart", "web")
    assert err.splitlines() == ["► resuming source chart web in flux-system namespace", "✔ source chart resumed",
                                "◎ waiting for HelmChart reconciliation",
                                "✔ HelmChart web reconciliation completed", "✔ fetched revision 0.1.0"]
    out, _ = lab.ok("export", "source", "helm", "lab")
    exported = yaml.safe_load(out)
    assert exported["spec"].pop("provider", "generic") == "generic"  # the CRD default, when the server applies it
    assert exported == {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
                        "metadata": {"name": "lab", "namespace": "flux-system"},
                        "spec": {"interval": "10m0s", "url": chart_repository.url}}
    out, _ = lab.ok("export", "source", "chart", "--all")
    assert yaml.safe_load(out)["spec"]["version"] == "0.1.x"


def test_failures_exit_1_with_flux_lines(lab: Any, chart_repository: LabChartRepository) -> None:
    lab.ok("install")
    code, _, err = lab.run("create", "source", "helm", "down", "--url", "http://127.0.0.1:9/")
    assert code == 1
    assert err.splitlines()[-1] == (
        "✗ HelmRepository reconciliation failed: 'failed to fetch Helm repository index: failed to cache index to "
        'temporary file: Get "http://127.0.0.1:9/index.yaml": dial tcp 127.0.0.1:9: connect: connection refused\'')
    lab.ok("create", "source", "helm", "lab", "--url", chart_repository.url)
    code, _, err = lab.run("create", "source", "chart", "nope", "--source", "HelmRepository/lab", "--chart", "web",
                           "--chart-version", "9.x")
    assert code == 1
    assert err.splitlines()[-1] == ("✗ invalid chart reference: failed to get chart version for remote reference: "
                                    "no 'web' chart with version matching '9.x' found")  # stalled: the bare message
    out, _ = lab.ok("get", "sources", "chart", "--status-selector", "ready=false")
    assert "nope" in out and "False" in out


def test_oci_helm_repository_is_static(lab: Any, chart_registry: Any) -> None:
    lab.ok("install")
    url = f"oci://{chart_registry.host}/charts"
    _, err = lab.ok("create", "source", "helm", "oci", "--url", url)
    assert err.splitlines()[-1] == "✔ HelmRepository source reconciliation completed"
    out, _ = lab.ok("get", "sources", "helm")
    assert out.splitlines()[1].split("\t") == ["oci ", "        ", "False    ", "True ", "Helm repository is Ready"]
    _, err = lab.ok("reconcile", "source", "helm", "oci")
    assert err == "✔ reconciliation not supported by the object\n"
