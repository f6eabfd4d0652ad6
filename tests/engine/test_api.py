"""engine.api: CRDs installable anywhere (kubectl shows Flux's columns), conditions, durations, views."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import yaml

from engine.api import (
    GIT_REPOSITORY,
    KUSTOMIZATION,
    GitRepository,
    Kustomization,
    conditions,
    crd_manifests,
    export_crds_yaml,
    format_duration,
    install_crds,
    parse_duration,
)
from engine.api.duration import DurationError
from engine.client import Client


def test_crd_manifests_match_flux_names_and_columns() -> None:
    crds = {c["metadata"]["name"]: c for c in crd_manifests([GIT_REPOSITORY, KUSTOMIZATION])}
    git = crds["gitrepositories.source.toolkit.fluxcd.io"]["spec"]
    ks = crds["kustomizations.kustomize.toolkit.fluxcd.io"]["spec"]
    assert git["names"]["shortNames"] == ["gitrepo"] and ks["names"]["shortNames"] == ["ks"]
    assert [c["name"] for c in git["versions"][0]["additionalPrinterColumns"]] == ["URL", "Age", "Ready", "Status"]
    assert [c["name"] for c in ks["versions"][0]["additionalPrinterColumns"]] == ["Age", "Ready", "Status"]
    schema = ks["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert schema["required"] == ["interval", "prune", "sourceRef"]
    assert git["versions"][0]["subresources"] == {"status": {}}
    docs = list(yaml.safe_load_all(export_crds_yaml()))
    assert {d["metadata"]["name"] for d in docs} >= set(crds)


def test_install_crds_and_kubectl_get_shows_flux_columns(embedded_cluster: Any) -> None:
    client = Client(embedded_cluster.api_client())
    names = install_crds(client, [GIT_REPOSITORY, KUSTOMIZATION])
    assert names == ["gitrepositories.source.toolkit.fluxcd.io", "kustomizations.kustomize.toolkit.fluxcd.io"]
    assert install_crds(client, [GIT_REPOSITORY, KUSTOMIZATION]) == names  # idempotent
    repo = client.create({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                          "metadata": {"name": "podinfo", "namespace": "default"},
                          "spec": {"url": "https://github.com/stefanprodan/podinfo", "interval": "1m"}})
    status = {"conditions": []}
    obj = {"metadata": repo["metadata"], "status": status}
    conditions.mark_true(obj, "Ready", "Succeeded", "stored artifact for revision 'master@sha1:0123'")
    client.merge_patch("source.toolkit.fluxcd.io/v1", "GitRepository", "podinfo", "default",
                       {"status": status}, subresource="status")
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: the printer-column oracle needs it")
    out = subprocess.run(["kubectl", "--kubeconfig", str(embedded_cluster.kubeconfig_path), "get", "gitrepo"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.splitlines()[:2]
    assert header.split() == ["NAME", "URL", "AGE", "READY", "STATUS"]
    assert row.split()[:2] == ["podinfo", "https://github.com/stefanprodan/podinfo"]
    assert "True" in row and "stored artifact for revision 'master@sha1:0123'" in row


def test_last_transition_time_moves_when_status_reason_or_message_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """As Flux's conditions helper: any change of status, reason or message is a transition; a repeat is not."""
    obj: dict = {"metadata": {"generation": 3}}
    clock = (f"2026-01-01T00:{minute:02d}:00Z" for minute in range(60))
    monkeypatch.setattr(conditions, "now_rfc3339", lambda: next(clock))
    conditions.mark_false(obj, "Ready", "BuildFailed", "one")
    conditions.mark_false(obj, "Ready", "BuildFailed", "one")
    assert conditions.get_condition(obj, "Ready")["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    conditions.mark_false(obj, "Ready", "PruneFailed", "two")
    ready = conditions.get_condition(obj, "Ready")
    assert ready["reason"] == "PruneFailed" and ready["lastTransitionTime"] > "2026-01-01T00:00:00Z"
    assert ready["observedGeneration"] == 3
    before = ready["lastTransitionTime"]
    conditions.mark_true(obj, "Ready", "ReconciliationSucceeded", "ok")
    assert conditions.get_condition(obj, "Ready")["lastTransitionTime"] > before
    conditions.mark_reconciling(obj, "Progressing", "reconciliation in progress")
    conditions.mark_stalled(obj, "URLInvalid", "bad")
    assert [c["type"] for c in obj["status"]["conditions"]] == ["Stalled", "Ready"]  # Flux's order
    assert conditions.summary({}) == ("False", "", "waiting to be reconciled")


@pytest.mark.parametrize(("seconds", "text"), [
    (300, "5m0s"), (3600, "1h0m0s"), (90, "1m30s"), (30, "30s"), (1.5, "1.5s"), (0.502123456, "502.123456ms"),
    (0.00085, "850µs"), (0, "0s"), (270, "4m30s"),
])
def test_go_duration_strings(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_parse_duration_and_timeout_defaults() -> None:
    assert parse_duration("1h30m") == 5400 and parse_duration("500ms") == 0.5
    with pytest.raises(DurationError):
        parse_duration("5 minutes")
    ks = Kustomization({"metadata": {"name": "a"}, "spec": {"interval": "5m"}})
    assert ks.timeout == 270 and ks.retry_interval == 300
    assert Kustomization({"spec": {"interval": "40s"}}).timeout == 30  # floor of 30s
    assert Kustomization({"spec": {"interval": "5m", "timeout": "10s"}}).timeout == 30
    ks = Kustomization({"metadata": {"namespace": "apps"}, "spec": {"sourceRef": {"kind": "GitRepository", "name": "r"},
                                                                     "dependsOn": [{"name": "infra"}]}})
    assert ks.source_ref["namespace"] == "apps" and str(ks.depends_on[0]) == "apps/infra"
    repo = GitRepository({"spec": {"url": "ssh://git@host/repo"}})
    assert repo.timeout == 60 and repo.ref == {} and repr(repo).endswith("waiting to be reconciled>")


def test_crd_yaml_export_is_deterministic() -> None:
    assert export_crds_yaml() == export_crds_yaml()
