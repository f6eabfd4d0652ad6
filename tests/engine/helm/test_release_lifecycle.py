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
