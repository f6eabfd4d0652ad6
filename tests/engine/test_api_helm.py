"""engine.api Helm kinds: Flux's CRD names/columns/short names, a structural schema that keeps free-form values,
and typed views answering with helm-controller's and source-controller's defaults."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import yaml

from engine.api.crds import crd_manifests, export_crds_yaml, install_crds
from engine.api.crds_helm import HELM_CHART, HELM_KINDS, HELM_RELEASE, HELM_REPOSITORY
from engine.api.types_helm import HelmChart, HelmRelease, HelmRepository, shorten_release_name
from engine.client import Client


def test_crds_carry_flux_names_categories_and_columns() -> None:
    crds = {c["spec"]["names"]["kind"]: c["spec"] for c in crd_manifests(list(HELM_KINDS))}
    assert crds["HelmRepository"]["names"]["shortNames"] == ["helmrepo"]
    assert crds["HelmChart"]["names"]["shortNames"] == ["hc"]
    assert crds["HelmRelease"]["names"]["shortNames"] == ["hr"]
    assert crds["HelmRelease"]["group"] == "helm.toolkit.fluxcd.io"
    assert crds["HelmRelease"]["versions"][0]["name"] == "v2"
    assert crds["HelmRelease"]["names"]["categories"] == ["all", "fluxcd", "fluxcd-appliers"]
    assert crds["HelmChart"]["names"]["categories"] == ["all", "fluxcd", "fluxcd-sources"]
    columns = {k: [c["name"] for c in v["versions"][0]["additionalPrinterColumns"]] for k, v in crds.items()}
    assert columns == {
        "HelmRepository": ["URL", "Age", "Ready", "Status"],
        "HelmChart": ["Chart", "Version", "Source Kind", "Source Name", "Age", "Ready", "Status"],
        "HelmRelease": ["Age", "Ready", "Status"],
    }
    hr_spec = crds["HelmRelease"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert hr_spec["required"] == ["interval"]
    assert hr_spec["x-kubernetes-validations"][0]["message"] == "either chart or chartRef must be set"
    assert hr_spec["properties"]["values"] == {"x-kubernetes-preserve-unknown-fields": True}
    hc_spec = crds["HelmChart"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert hc_spec["required"] == ["chart", "interval", "sourceRef"]
    assert hc_spec["properties"]["version"]["default"] == "*"


def test_export_has_no_yaml_anchors() -> None:
    text = export_crds_yaml(list(HELM_KINDS))
    assert "&id" not in text and "*id" not in text
    assert len(list(yaml.safe_load_all(text))) == 3


HR = {
    "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
    "metadata": {"name": "ingress-nginx", "namespace": "flux-system"},
    "spec": {
        "interval": "10m", "targetNamespace": "ingress",
        "chart": {"spec": {"chart": "ingress-nginx", "version": "4.x",
                           "sourceRef": {"kind": "HelmRepository", "name": "lab-charts"}}},
        "values": {"controller": {"replicaCount": 2, "service": {"type": "NodePort"},
                                  "extraArgs": {"enable-ssl-passthrough": ""}}, "tags": ["a", 1, None]},
        "valuesFrom": [{"kind": "ConfigMap", "name": "ingress-values"},
                       {"kind": "Secret", "name": "tls", "valuesKey": "crt", "targetPath": "tls.crt",
                        "optional": True}],
        "upgrade": {"remediation": {"retries": 3}, "bogus": True},
        "install": {"remediation": {"retries": -1}, "disableWait": True},
        "test": {"enable": True, "filters": [{"name": "smoke", "exclude": True}]},
        "driftDetection": {"mode": "warn"},
        "unknownField": "pruned",
    },
}


def test_helmrelease_round_trips_values_and_prunes_unknown_fields(embedded_cluster: Any) -> None:
    client = Client(embedded_cluster.api_client())
    install_crds(client, list(HELM_KINDS))
    client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flux-system"}})
    live = client.create(HR)
    assert live["spec"]["values"] == HR["spec"]["values"]
    assert live["spec"]["valuesFrom"] == HR["spec"]["valuesFrom"]
    assert "unknownField" not in live["spec"] and "bogus" not in live["spec"]["upgrade"]
    assert client.get(HELM_RELEASE.api_version, "HelmRelease", "ingress-nginx", "flux-system") is not None
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: the short-name oracle needs it")
    out = subprocess.run(["kubectl", "--kubeconfig", str(embedded_cluster.kubeconfig_path), "get", "hr", "-A"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:5] == ["NAMESPACE", "NAME", "AGE", "READY", "STATUS"]


def test_helmrelease_view_defaults() -> None:
    hr = HelmRelease(yaml.safe_load(yaml.safe_dump(HR)))
    assert hr.release_name == "ingress-ingress-nginx" and hr.release_namespace == "ingress"
    assert hr.storage_namespace == "flux-system"
    assert hr.timeout == 300.0 and hr.max_history == 5 and hr.interval == 600.0
    assert hr.install.timeout == 300.0 and hr.install.disable_wait and not hr.upgrade.disable_wait
    assert hr.install.crds == "Create" and hr.upgrade.crds == "Skip"
    assert hr.install.remediation.retries == -1 and not hr.install.remediation.retries_exhausted({"installFailures": 9})
    upgrade = hr.upgrade.remediation
    assert upgrade.strategy == "rollback" and upgrade.remediate_last_failure  # retries > 0 defaults it on
    assert upgrade.retries_exhausted({"upgradeFailures": 4}) and not upgrade.retries_exhausted({"upgradeFailures": 3})
    assert hr.install.remediation.strategy == "uninstall" and not hr.install.remediation.remediate_last_failure
    assert hr.upgrade.strategy.name == "RemediateOnFailure" and hr.upgrade.strategy.retry_interval == 300.0
    assert hr.test_enabled and hr.test_filters == [("smoke", True)]
    assert [v.values_key for v in hr.values_from] == ["values.yaml", "crt"]
    assert hr.values_from[1].optional and hr.values_from[1].target_path == "tls.crt"
    assert hr.drift_detection_mode == "warn" and hr.chart_reference_valid and hr.chart_ref is None
    assert hr.helm_chart_name == "flux-system-ingress-nginx" and hr.helm_chart_namespace == "flux-system"
    assert hr.helm_chart_spec() == {"chart": "ingress-nginx", "version": "4.x", "interval": "10m",
                                    "reconcileStrategy": "ChartVersion",
                                    "sourceRef": {"kind": "HelmRepository", "name": "lab-charts"}}
    assert hr.active_remediation is None
    hr.status["lastAttemptedReleaseAction"] = "upgrade"
    assert hr.active_remediation == upgrade


def test_helmrelease_chart_ref_and_annotations() -> None:
    obj = {"metadata": {"name": "a", "namespace": "apps", "annotations": {
        "reconcile.fluxcd.io/requestedAt": "t1", "reconcile.fluxcd.io/forceAt": "t1",
        "reconcile.fluxcd.io/resetAt": "t0"}},
        "spec": {"interval": "1m", "chartRef": {"kind": "HelmChart", "name": "c"}, "timeout": "90s",
                 "upgrade": {"timeout": "2m", "strategy": {"name": "RetryOnFailure", "retryInterval": "30s"}}},
        "status": {"history": [{"chartVersion": "1.2.3"}], "lastAttemptedRevision": "1.2.4",
                   "helmChart": "apps/apps-a"}}
    hr = HelmRelease(obj)
    assert hr.chart_ref == {"kind": "HelmChart", "name": "c", "namespace": "apps"}
    assert hr.upgrade.timeout == 120.0 and hr.rollback.timeout == 90.0
    assert hr.upgrade.strategy.retry_on_failure and hr.upgrade.strategy.retry_interval == 30.0
    assert hr.force_requested and not hr.reset_requested
    assert hr.revision == "1.2.3" and str(hr.helm_chart) == "apps/apps-a"
    hr.status["lastHandledForceAt"] = "t1"
    assert not hr.force_requested
    both = HelmRelease({"metadata": {"name": "b"}, "spec": {"chartRef": {"kind": "HelmChart", "name": "c"},
                                                             "chart": {"spec": {"chart": "x"}}}})
    assert not both.chart_reference_valid
    with pytest.raises(ValueError, match="unknown Helm action"):
        hr.action("deploy")


def test_release_name_shortening_matches_helm_controller() -> None:
    assert shorten_release_name("a" * 53) == "a" * 53
    long = "very-long-target-namespace-name-for-a-release-of-podinfo"
    short = shorten_release_name(long)
    assert len(short) == 53 and short.startswith(long[:40] + "-")
    # sha256 of the full name, first 12 hex (internal/release/name.go)
    import hashlib
    assert short.endswith(hashlib.sha256(long.encode()).hexdigest()[:12])


def test_source_views_defaults() -> None:
    repo = HelmRepository({"metadata": {"name": "r"}, "spec": {"url": "oci://127.0.0.1:5000/charts",
                                                                  "type": "oci"}})
    assert repo.is_oci and repo.interval == 60.0 and repo.timeout == 60.0 and repo.provider == "generic"
    assert HelmRepository({"spec": {"url": "https://x"}}).type == "default"
    chart = HelmChart({"metadata": {"name": "c", "namespace": "apps"},
                       "spec": {"chart": "web", "interval": "5m",
                                "sourceRef": {"kind": "HelmRepository", "name": "r", "namespace": "elsewhere"}}})
    assert chart.version == "*" and chart.reconcile_strategy == "ChartVersion" and chart.values_files == []
    assert chart.source_ref == {"kind": "HelmRepository", "name": "r", "namespace": "apps"}
    assert HELM_CHART.crd_name == "helmcharts.source.toolkit.fluxcd.io"
    assert HELM_REPOSITORY.crd_name == "helmrepositories.source.toolkit.fluxcd.io"
