"""`gitops export`: flux's YAML (apiVersion/kind/metadata/spec, no status or server fields), --all, misses."""

from __future__ import annotations

import yaml

from engine.cli.session import Session
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import Lab

lab = test_cli_cluster.lab  # the CLI tests' fixture


def test_export_kustomization_and_sources_as_flux_prints_them(lab: Lab) -> None:
    lab.setup()
    client = Session(kubeconfig=lab.kubeconfig).client
    client.merge_patch("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "apps", "flux-system",
                       {"metadata": {"labels": {"team": "web", "kustomize.toolkit.fluxcd.io/name": "root"},
                                     "annotations": {"owner": "me", "reconcile.fluxcd.io/requestedAt": "now"}}})
    out, err = lab.ok("export", "ks", "apps")
    assert err == ""
    assert out == ("---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
                   "  annotations:\n    owner: me\n  labels:\n    team: web\n  name: apps\n  namespace: flux-system\n"
                   "spec:\n  interval: 5m0s\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
                   "    name: fleet\n")
    out, _ = lab.ok("export", "source", "git", "--all")
    doc = yaml.safe_load(out)
    assert out.startswith("---\n") and set(doc) == {"apiVersion", "kind", "metadata", "spec"}
    assert doc["metadata"] == {"name": "fleet", "namespace": "flux-system"}
    assert doc["spec"]["url"] == lab.repo.url and doc["spec"]["ref"] == {"branch": "main"}
    assert doc["spec"]["timeout"] == "1m0s"  # the CRD default, printed as Go prints a duration (flux's golden)


def test_export_all_is_sorted_and_misses_are_flux_errors(lab: Lab) -> None:
    lab.ok("install")
    for name in ("zeta", "alpha"):
        out, _ = lab.ok("create", "source", "git", name, "--url", lab.repo.url, "--branch", "main", "--export")
        Session(kubeconfig=lab.kubeconfig).client.apply(yaml.safe_load(out), field_manager="test")
    out, _ = lab.ok("export", "source", "git", "--all")
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(out)] == ["alpha", "zeta"]
    assert lab.run("export", "ks", "--all") == (0, "", "✗ no objects found in flux-system namespace\n")
    assert lab.run("export", "ks", "nope") == (
        1, "", '✗ kustomizations.kustomize.toolkit.fluxcd.io "nope" not found\n')
    assert lab.run("export", "ks") == (1, "", "✗ name is required\n")


def test_export_fills_flux_crd_defaults_and_go_durations() -> None:
    from engine.cli.export import exported_spec

    assert exported_spec("Kustomization", {"interval": "5m", "retryInterval": "90s", "timeout": "1h", "force": False,
                                           "prune": False}) == \
        {"interval": "5m0s", "retryInterval": "1m30s", "timeout": "1h0m0s", "prune": False}
    assert exported_spec("Receiver", {"type": "github"}) == {"interval": "10m0s", "type": "github"}
    assert exported_spec("Alert", {"providerRef": {"name": "slack"}})["eventSeverity"] == "info"
    assert exported_spec("ImageRepository", {"image": "ghcr.io/x", "interval": "1m"}) == {
        "exclusionList": ["^.*\\.sig$"], "image": "ghcr.io/x", "interval": "1m0s", "provider": "generic"}
    assert exported_spec("HelmRelease", {"interval": "10m", "install": {"timeout": "300s"},
                                         "values": {"timeout": "5m"}}) == \
        {"interval": "10m0s", "install": {"timeout": "5m0s"}, "values": {"timeout": "5m"}}
