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
                   "spec:\n  force: false\n  interval: 5m0s\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
                   "    name: fleet\n")
    out, _ = lab.ok("export", "source", "git", "--all")
    doc = yaml.safe_load(out)
    assert out.startswith("---\n") and set(doc) == {"apiVersion", "kind", "metadata", "spec"}
    assert doc["metadata"] == {"name": "fleet", "namespace": "flux-system"}
    assert doc["spec"]["url"] == lab.repo.url and doc["spec"]["ref"] == {"branch": "main"}


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
