"""Bad input ends in helm-controller's reason and a message naming the chart/values/object; the last good
release keeps running; the next good change recovers."""

from __future__ import annotations

from engine.helm import storage

from .harness import HelmLab

BROKEN_TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.nope.deeper }}\n"


def test_template_error_fails_install_before_storage(helm: HelmLab) -> None:
    helm.publish(templates={"broken.yaml": BROKEN_TEMPLATE})
    helm.release()
    obj = helm.reconcile()
    status, reason, message = helm.ready()
    assert (status, reason) == ("False", "InstallFailed")
    assert message.startswith("Helm install failed for release apps/web with chart web@0.1.0: ")
    assert "web/templates/broken.yaml" in message and "nil pointer" in message
    assert helm.secrets() == []  # nothing written: retried with back-off, not remediated
    assert obj["status"]["failures"] == 1 and "installFailures" not in obj["status"]
    assert helm.runs[-1].requeue_after == 10.0


def test_values_violating_the_schema_name_the_key(helm: HelmLab) -> None:
    helm.publish(schema={"type": "object", "properties": {"replicaCount": {"type": "integer", "minimum": 0}}})
    helm.release(values={"replicaCount": "three"})
    helm.reconcile()
    status, reason, message = helm.ready()
    assert (status, reason) == ("False", "InstallFailed")
    assert "replicaCount" in message
    assert helm.secrets() == []


def test_missing_values_secret_is_a_values_error_and_optional_is_forgiven(helm: HelmLab) -> None:
    helm.publish()
    helm.release(valuesFrom=[{"kind": "Secret", "name": "web-values"}])
    helm.reconcile()
    assert helm.ready() == ("False", "ValuesError", "could not resolve Secret chart values reference "
                                                    "'apps/web-values' with key 'values.yaml': secrets \"web-values\" "
                                                    "not found")
    assert ("Warning", "ValuesError", helm.ready()[2]) in helm.events()
    helm.edit("web", {"valuesFrom": [{"kind": "Secret", "name": "web-values", "optional": True}]})
    helm.reconcile()
    assert helm.ready()[:2] == ("True", "InstallSucceeded")


def test_values_from_configmap_and_secret_target_path(helm: HelmLab) -> None:
    helm.publish()
    helm.client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "base", "namespace": "apps"},
                        "data": {"values.yaml": "message: from-configmap\nreplicaCount: 2\n"}})
    helm.client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "msg", "namespace": "apps"},
                        "stringData": {"text": "from-secret"}})
    helm.release(valuesFrom=[{"kind": "ConfigMap", "name": "base"},
                             {"kind": "Secret", "name": "msg", "valuesKey": "text", "targetPath": "message"}],
                 values={"replicaCount": 3})
    helm.reconcile()
    assert helm.ready()[0] == "True"
    assert helm.live("ConfigMap", "web-config")["data"] == {"message": "from-secret"}
    assert helm.releases()[-1].config == {"message": "from-secret", "replicaCount": 3}


def test_install_that_never_becomes_ready_stalls_after_one_attempt(helm: HelmLab) -> None:
    helm.cluster.image_available = lambda image: "broken" not in image
    helm.publish()
    helm.release(values={"image": {"repository": "broken"}}, timeout="2s")
    obj = helm.reconcile()
    status, reason, message = helm.ready()
    assert (status, reason) == ("False", "InstallFailed")
    assert message.startswith("Helm install failed for release apps/web with chart web@0.1.0: ")
    assert "Deployment" in message
    assert helm.secrets() == [("sh.helm.release.v1.web.v1", "failed")]
    assert helm.condition("Stalled")["reason"] == "RetriesExceeded"
    assert helm.condition("Stalled")["message"] == "Failed to install after 1 attempt(s)"
    assert obj["status"]["installFailures"] == 1
    helm.reconcile()
    assert len(helm.secrets()) == 1  # stalled: nothing more until the spec changes
    helm.edit("web", {"values": {"image": {"repository": "nginx"}}})
    helm.reconcile()
    assert helm.ready()[:2] == ("True", "UpgradeSucceeded")
    assert helm.secrets()[-1] == ("sh.helm.release.v1.web.v2", "deployed")


def test_failing_upgrade_is_rolled_back_and_stalls_when_retries_run_out(helm: HelmLab) -> None:
    helm.publish()
    helm.release(values={"message": "good"}, upgrade={"remediation": {"retries": 1}})
    helm.reconcile()
    assert helm.ready()[0] == "True"
    helm.edit("web", {"values": {"message": "bad", "replicaCount": -1}})  # the API server refuses the Deployment
    obj = helm.reconcile()
    assert helm.condition("Remediated")["reason"] == "RollbackSucceeded"
    # the second rollback goes to v3, the first rollback's result: the newest deployed release before v4
    assert helm.ready() == ("False", "RollbackSucceeded", "Helm rollback to previous release apps/web.v3 with chart "
                                                          "web@0.1.0 succeeded")
    assert helm.condition("Stalled")["message"] == "Failed to upgrade after 2 attempt(s)"
    assert obj["status"]["upgradeFailures"] == 2
    failed = next(m for _, reason, m in helm.events() if reason == "UpgradeFailed")
    assert failed.startswith("Helm upgrade failed for release apps/web with chart web@0.1.0: ")
    assert "spec.replicas" in failed
    # upgrade v2 failed, rollback v3, upgrade v4 failed, rollback v5 (remediateLastFailure defaults to true)
    assert [s for _, s in helm.secrets()] == ["superseded", "failed", "superseded", "failed", "deployed"]
    assert [r.info["description"] for r in helm.releases()][2::2] == ["Rollback to 1", "Rollback to 3"]
    assert helm.live("ConfigMap", "web-config")["data"] == {"message": "good"}  # the last good release runs
    helm.edit("web", {"values": {"message": "fixed", "replicaCount": None}})  # a merge patch: null removes
    helm.reconcile()
    assert helm.ready()[:2] == ("True", "UpgradeSucceeded")
    assert helm.live("ConfigMap", "web-config")["data"] == {"message": "fixed"}
    assert "Remediated" not in [c["type"] for c in helm.get()["status"]["conditions"]]


def test_failing_test_hook(helm: HelmLab) -> None:
    helm.publish()
    helm.release(values={"testCommand": "exit 1"}, test={"enable": True})
    obj = helm.reconcile()
    status, reason, message = helm.ready()
    assert (status, reason) == ("False", "TestFailed")
    assert message.startswith("Helm test failed for release apps/web.v1 with chart web@0.1.0: ")
    assert obj["status"]["history"][0]["testHooks"]["web-test"]["phase"] == "Failed"
    assert helm.condition("Stalled")["reason"] == "RetriesExceeded"
    assert helm.live("Deployment", "web", "apps/v1") is not None  # the release itself stays
    helm.edit("web", {"values": {"testCommand": "exit 0"}})
    obj = helm.reconcile()
    assert helm.ready() == ("True", "TestSucceeded", "Helm test succeeded for release apps/web.v2 with chart "
                                                     "web@0.1.0: 1 test hook completed successfully")


def test_release_changed_by_hand_is_detected_and_corrected(helm: HelmLab) -> None:
    helm.publish()
    helm.release(driftDetection={"mode": "warn"})
    helm.reconcile()
    helm.client.merge_patch("v1", "ConfigMap", "web-config", "apps", {"data": {"message": "by hand"}})
    helm.edit("web", {"interval": "5m"})  # a new generation: reconcile again
    helm.reconcile()
    drifted = helm.condition("Drifted")
    assert drifted["status"] == "True" and drifted["reason"] == "DriftDetected"
    assert drifted["message"] == ("Cluster state of release apps/web.v1 has drifted from the desired state:\n"
                                  "ConfigMap/apps/web-config changed (0 additions, 1 changes, 0 removals)")
    assert helm.ready()[0] == "True"  # warn: nothing else
    assert helm.live("ConfigMap", "web-config")["data"] == {"message": "by hand"}

    helm.edit("web", {"driftDetection": {"mode": "enabled"}})
    helm.client.delete("apps/v1", "Deployment", "web", "apps")
    helm.reconcile()
    assert helm.live("ConfigMap", "web-config")["data"] == {"message": "hello"}
    assert helm.live("Deployment", "web", "apps/v1") is not None
    assert helm.condition("Drifted")["reason"] == "NoDriftDetected"
    assert len(helm.secrets()) == 1  # corrected without a Helm upgrade
    corrected = [m for t, reason, m in helm.events() if reason == "DriftCorrected"]
    assert corrected == ["Cluster state of release apps/web.v1 has been corrected:\n"
                         "ConfigMap/apps/web-config configured\nDeployment/apps/web created"]


def test_release_locked_by_a_killed_engine_is_unlocked_and_upgraded(helm: HelmLab) -> None:
    helm.publish()
    helm.release()
    helm.reconcile()
    latest = helm.releases()[-1]
    storage.rewrite_status(helm.client, latest, "pending-upgrade", "Preparing upgrade")
    helm.edit("web", {"values": {"message": "after the crash"}})
    helm.reconcile()
    reasons = [reason for _, reason, _ in helm.events()]
    assert "PendingRelease" in reasons
    unlocked = next(m for _, reason, m in helm.events() if reason == "PendingRelease")
    assert unlocked == "Unlocked Helm release apps/web.v1 with chart web@0.1.0 in pending-upgrade state"
    assert helm.releases()[0].info["description"] == "Release unlocked from stale 'pending-upgrade' state"
    assert helm.ready()[:2] == ("True", "UpgradeSucceeded")
    assert helm.live("ConfigMap", "web-config")["data"] == {"message": "after the crash"}


def test_source_not_ready_names_the_chart(helm: HelmLab) -> None:
    helm.publish()
    helm.client.merge_patch("source.toolkit.fluxcd.io/v1", "HelmChart", "web", "apps", {"status": {
        "conditions": [{"type": "Ready", "status": "False", "reason": "InvalidChartReference",
                        "message": "invalid chart reference: failed to get chart version for remote reference: "
                                   "no 'web' chart with version matching '9.x' found",
                        "lastTransitionTime": "2026-01-01T00:00:00Z"},
                       {"type": "Stalled", "status": "True", "reason": "InvalidChartReference",
                        "message": "invalid chart reference: failed to get chart version for remote reference: "
                                   "no 'web' chart with version matching '9.x' found",
                        "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}, subresource="status")
    helm.release()
    helm.reconcile()
    assert helm.ready() == ("False", "SourceNotReady", "HelmChart 'apps/web' is not ready: invalid chart reference: "
                                                       "failed to get chart version for remote reference: no 'web' "
                                                       "chart with version matching '9.x' found")


def test_deleting_a_suspended_release_leaves_it_installed(helm: HelmLab) -> None:
    helm.publish()
    helm.release()
    helm.reconcile()
    helm.edit("web", {"suspend": True})
    helm.reconcile()
    helm.client.delete("helm.toolkit.fluxcd.io/v2", "HelmRelease", "web", "apps")
    assert helm.reconcile() == {}
    assert helm.secrets() == [("sh.helm.release.v1.web.v1", "deployed")]
    assert helm.live("Deployment", "web", "apps/v1") is not None


def test_deleting_a_release_uninstalls_it(helm: HelmLab) -> None:
    helm.publish()
    helm.release()
    helm.reconcile()
    helm.client.delete("helm.toolkit.fluxcd.io/v2", "HelmRelease", "web", "apps")
    assert helm.reconcile() == {}
    assert helm.secrets() == []
    assert helm.live("ConfigMap", "web-config") is None
    assert helm.live("Deployment", "web", "apps/v1") is None


def test_depends_on_waits_for_the_other_release(helm: HelmLab) -> None:
    helm.publish()
    helm.release("frontend", dependsOn=[{"name": "backend"}])
    helm.reconcile("frontend")
    assert helm.ready("frontend") == ("False", "DependencyNotReady",
                                      "unable to get 'apps/backend' dependency: helmreleases.helm.toolkit.fluxcd.io "
                                      "\"backend\" not found")
    helm.release("backend")
    helm.reconcile("backend")
    helm.reconcile("frontend")
    assert helm.ready("frontend")[:2] == ("True", "InstallSucceeded")
    assert [name for name, _ in helm.secrets("frontend")] == ["sh.helm.release.v1.frontend.v1"]


def test_chart_template_generates_a_helmchart(helm: HelmLab) -> None:
    helm.client.apply({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
                       "metadata": {"name": "charts", "namespace": "apps"},
                       "spec": {"interval": "1h", "url": "http://127.0.0.1:9/"}}, field_manager="test")
    helm.client.apply({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                       "metadata": {"name": "web", "namespace": "apps"},
                       "spec": {"interval": "5m", "chart": {"spec": {
                           "chart": "web", "version": "1.x", "sourceRef": {"kind": "HelmRepository", "name": "charts"}},
                           "metadata": {"labels": {"team": "a"}}}}}, field_manager="test")
    obj = helm.reconcile()
    chart = helm.client.get("source.toolkit.fluxcd.io/v1", "HelmChart", "apps-web", "apps")
    assert chart is not None
    assert chart["spec"] == {"chart": "web", "version": "1.x", "interval": "5m", "reconcileStrategy": "ChartVersion",
                             "sourceRef": {"kind": "HelmRepository", "name": "charts"}}
    assert chart["metadata"]["labels"] == {"team": "a", "helm.toolkit.fluxcd.io/name": "web",
                                           "helm.toolkit.fluxcd.io/namespace": "apps"}
    assert obj["status"]["helmChart"] == "apps/apps-web"
    assert helm.ready() == ("False", "SourceNotReady", "HelmChart 'apps/apps-web' is not ready: latest generation "
                                                       "of object has not been reconciled")


def test_install_remediation_uninstalls_then_retries(helm: HelmLab) -> None:
    helm.cluster.image_available = lambda image: "broken" not in image
    helm.publish()
    helm.release(values={"image": {"repository": "broken"}}, timeout="1s", install={"remediation": {"retries": 1}})
    obj = helm.reconcile()
    uninstalled = [m for _, reason, m in helm.events() if reason == "UninstallSucceeded"]
    assert uninstalled == ["Helm uninstall remediation for release apps/web.v1 with chart web@0.1.0 succeeded"]
    assert helm.condition("Stalled")["message"] == "Failed to install after 2 attempt(s)"
    assert obj["status"]["installFailures"] == 2
    assert helm.secrets() == [("sh.helm.release.v1.web.v1", "failed")]  # the second install's, kept: retries ran out


def test_post_renderers_and_common_metadata(helm: HelmLab) -> None:
    helm.publish()
    patch = "- op: add\n  path: /metadata/annotations\n  value: {owner: team-a}\n"
    helm.release(postRenderers=[{"kustomize": {"patches": [{"patch": patch, "target": {"kind": "ConfigMap"}}]}}],
                 commonMetadata={"labels": {"tier": "web"}})
    obj = helm.reconcile()
    live = helm.live("ConfigMap", "web-config")
    assert live["metadata"]["annotations"]["owner"] == "team-a"
    assert live["metadata"]["labels"]["tier"] == "web"
    assert live["metadata"]["labels"]["helm.toolkit.fluxcd.io/name"] == "web"
    assert obj["status"]["observedPostRenderersDigest"].startswith("sha256:")
    helm.edit("web", {"commonMetadata": {"labels": {"tier": "frontend"}}})
    helm.reconcile()
    assert helm.live("ConfigMap", "web-config")["metadata"]["labels"]["tier"] == "frontend"
    assert len(helm.secrets()) == 2  # a post-rendering change is an upgrade


def test_retry_on_failure_retries_without_remediation(helm: HelmLab) -> None:
    helm.cluster.image_available = lambda image: "broken" not in image
    helm.publish()
    helm.release(values={"image": {"repository": "broken"}}, timeout="1s",
                 install={"strategy": {"name": "RetryOnFailure", "retryInterval": "1m"}})
    helm.reconcile()
    assert helm.runs[-1].requeue_after == 60.0
    assert helm.condition("Reconciling")["reason"] == "ProgressingWithRetry"
    assert helm.condition("Reconciling")["message"] == "retrying after 1m0s"
    assert "Stalled" not in [c["type"] for c in helm.get()["status"]["conditions"]]
    assert helm.secrets() == [("sh.helm.release.v1.web.v1", "failed")]  # kept: no uninstall remediation
    helm.reconcile()  # the retry: an upgrade of the failed release
    assert [s for _, s in helm.secrets()] == ["failed", "failed"]
    helm.edit("web", {"values": {"image": {"repository": "nginx"}}, "timeout": "30s"})
    helm.reconcile()
    assert helm.ready()[:2] == ("True", "UpgradeSucceeded")
    assert "installFailures" not in helm.get()["status"]  # cleared on success
