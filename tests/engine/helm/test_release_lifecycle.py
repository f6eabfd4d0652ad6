"""A HelmRelease's life through Helm's own actions: install, upgrade on a values change, in-sync no-op."""

from __future__ import annotations

from .harness import HelmLab


def test_install_then_values_change_upgrades(helm: HelmLab) -> None:
    helm.publish()
    helm.release(values={"message": "one"})
    obj = helm.reconcile()
    assert helm.ready() == ("True", "InstallSucceeded",
                            "Helm install succeeded for release apps/web.v1 with chart web@0.1.0")
    assert helm.secrets() == [("sh.helm.release.v1.web.v1", "deployed")]
    assert helm.live("ConfigMap", "web-config")["data"] == {"message": "one"}
    snap = obj["status"]["history"][0]
    assert (snap["version"], snap["status"], snap["chartVersion"], snap["action"]) == (1, "deployed", "0.1.0",
                                                                                        "install")
    assert obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
    assert obj["status"]["storageNamespace"] == "apps"
    assert obj["status"]["lastAttemptedRevision"] == "0.1.0"
    assert "apps_web_apps_Deployment" in [e["id"] for e in obj["status"]["inventory"]["entries"]]
    labels = helm.live("ConfigMap", "web-config")["metadata"]["labels"]
    assert labels["helm.toolkit.fluxcd.io/name"] == "web"

    helm.edit("web", {"values": {"message": "two"}})
    obj = helm.reconcile()
    assert helm.ready()[:2] == ("True", "UpgradeSucceeded")
    assert helm.secrets() == [("sh.helm.release.v1.web.v1", "superseded"), ("sh.helm.release.v1.web.v2", "deployed")]
    assert helm.live("ConfigMap", "web-config")["data"] == {"message": "two"}
    assert [s["version"] for s in obj["status"]["history"]] == [2, 1]
    assert ("Normal", "UpgradeSucceeded",
            "Helm upgrade succeeded for release apps/web.v2 with chart web@0.1.0") in helm.events()

    helm.reconcile()
    assert len(helm.secrets()) == 2  # in sync: no new revision


def test_upgrade_after_a_hand_made_change_takes_the_fields_back(helm: HelmLab) -> None:
    """Helm's SDK applies without force; a field another manager took (kubectl scale) would conflict. The kit takes
    the fields back first, as Flux's forced server-side apply does."""
    helm.publish()
    helm.release()
    helm.reconcile()
    helm.client.merge_patch("apps/v1", "Deployment", "web", "apps", {"spec": {"replicas": 4}},
                            field_manager="kubectl")
    helm.edit("web", {"values": {"replicaCount": 2}})
    helm.reconcile()
    assert helm.ready()[:2] == ("True", "UpgradeSucceeded")
    assert helm.live("Deployment", "web", "apps/v1")["spec"]["replicas"] == 2


def test_drift_ignore_rules_leave_a_field_alone(helm: HelmLab) -> None:
    helm.publish()
    helm.release(driftDetection={"mode": "enabled", "ignore": [
        {"paths": ["/spec/replicas"], "target": {"kind": "Deployment"}}]})
    helm.reconcile()
    helm.client.merge_patch("apps/v1", "Deployment", "web", "apps", {"spec": {"replicas": 3}}, field_manager="hpa")
    helm.edit("web", {"interval": "5m"})
    helm.reconcile()
    assert helm.live("Deployment", "web", "apps/v1")["spec"]["replicas"] == 3  # ignored, as an autoscaler's field
    assert helm.condition("Drifted")["reason"] == "NoDriftDetected"


def test_a_new_release_name_uninstalls_the_old_release(helm: HelmLab) -> None:
    helm.publish()
    helm.release()
    helm.reconcile()
    helm.edit("web", {"releaseName": "web2"})
    obj = helm.reconcile()
    assert helm.secrets("web") == []
    assert helm.secrets("web2") == [("sh.helm.release.v1.web2.v1", "deployed")]
    assert helm.ready() == ("True", "InstallSucceeded",
                            "Helm install succeeded for release apps/web2.v1 with chart web@0.1.0")
    assert [s["name"] for s in obj["status"]["history"]] == ["web2"]


def test_a_release_installed_by_hand_is_adopted_by_an_upgrade(helm: HelmLab) -> None:
    from engine.helm import sdk
    from engine.helm.kubeconfig import kubeconfig_for

    chart = helm.publish()
    archive = open(chart["status"]["artifact"]["url"].removeprefix("file://"), "rb").read()
    sdk.Session(kubeconfig_for(helm.client.api_client), "apps").install(archive, "web", {}, timeout=30,
                                                                        wait="watcher")
    helm.release(values={"message": "managed now"})
    helm.reconcile()
    assert helm.ready()[:2] == ("True", "UpgradeSucceeded")
    assert [s for _, s in helm.secrets()] == ["superseded", "deployed"]
    assert helm.live("ConfigMap", "web-config")["data"] == {"message": "managed now"}


def test_target_namespace_keeps_the_release_storage_in_the_helmreleases_namespace(helm: HelmLab) -> None:
    """Flux's default: objects in targetNamespace, Helm's storage Secrets in the HelmRelease's namespace."""
    helm.client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}}, field_manager="test")
    helm.publish()
    helm.release(targetNamespace="web")
    obj = helm.reconcile()
    assert helm.ready()[:2] == ("True", "InstallSucceeded")
    assert obj["status"]["storageNamespace"] == "apps"
    assert helm.secrets("web-web") == [("sh.helm.release.v1.web-web.v1", "deployed")]
    assert helm.secrets("web-web", "web") == []  # nothing left next to the objects
    assert helm.client.get("apps/v1", "Deployment", "web-web", "web") is not None
    helm.edit("web", {"values": {"message": "two"}})
    helm.reconcile()
    assert helm.secrets("web-web") == [("sh.helm.release.v1.web-web.v1", "superseded"),
                                       ("sh.helm.release.v1.web-web.v2", "deployed")]
    assert helm.client.get("v1", "ConfigMap", "web-web-config", "web")["data"] == {"message": "two"}
    helm.client.delete("helm.toolkit.fluxcd.io/v2", "HelmRelease", "web", "apps")
    assert helm.reconcile() == {}
    assert helm.secrets("web-web") == [] and helm.secrets("web-web", "web") == []
    assert helm.client.get("apps/v1", "Deployment", "web-web", "web") is None
