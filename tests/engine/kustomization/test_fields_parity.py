"""Kustomization fields that used to be silently ignored work or fail like Flux: healthCheckExprs,
dependsOn[].readyExpr, kubeConfig.secretRef, serviceAccountName; and the events kustomize-controller sends (or does
not send) for a missing source, prune-disabled objects and deletion."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.client import Client, load_api_client
from workshop.cluster.embedded import EmbeddedCluster

from .story import Story

TERMINAL = "Reconciliation failed terminally due to configuration error: "


def cm_exprs(**exprs: str) -> list[dict]:
    return [{"apiVersion": "v1", "kind": "ConfigMap", **exprs}]


def warnings(story: Story, name: str) -> list[tuple[str, str, str]]:
    return [e for e in story.events("Kustomization", name) if e[0] == "Warning"]


# -- healthCheckExprs ------------------------------------------------------------------------------
def test_invalid_health_check_expr_is_stalled_before_anything_is_applied(story: Story) -> None:
    story.commit("app", {"app/cm.yaml": story.configmap("web")})
    story.git_repository()
    story.kustomization("app", "./app", wait=True, healthCheckExprs=cm_exprs(current="data.ready =="))
    story.sync()
    ks = story.ks("app")
    ready, stalled = story.condition("app", "Ready"), story.condition("app", "Stalled")
    assert (ready["status"], ready["reason"]) == ("False", "InvalidCELExpression")
    assert ready["message"].startswith(
        TERMINAL + "failed to create custom status evaluator for healthchecks[0]: failed to parse the expression "
        "Current: failed to parse the CEL expression 'data.ready ==': ERROR: <input>:1:")
    assert (stalled["status"], stalled["reason"]) == ("True", "InvalidCELExpression")
    assert ks.observed_generation == ks.generation
    assert story.get("ConfigMap", "web") is None
    assert warnings(story, "app")[-1][1:] == ("InvalidCELExpression", ready["message"])


def test_health_check_exprs_decide_health_of_the_kinds_they_cover(story: Story) -> None:
    exprs = cm_exprs(current="data.state == 'ready'", failed="data.state == 'broken'")
    story.commit("app", {"app/cm.yaml": story.configmap("web", {"state": "broken"})})
    story.git_repository()
    story.kustomization("app", "./app", wait=True, healthCheckExprs=exprs)
    story.sync()
    ready = story.condition("app", "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "HealthCheckFailed")
    assert f"ConfigMap/{story.apps}/web status: 'Failed'" in ready["message"]
    story.commit("fix", {"app/cm.yaml": story.configmap("web", {"state": "ready"})})
    story.sync()
    assert story.ready("Kustomization", "app")[:2] == ("True", "ReconciliationSucceeded")
    assert story.condition("app", "Healthy")["status"] == "True"


# -- dependsOn[].readyExpr --------------------------------------------------------------------------
def test_ready_expr_replaces_the_builtin_check(story: Story) -> None:
    story.commit("app", {"app/cm.yaml": story.configmap("web"), "infra/cm.yaml": story.configmap("db")})
    story.git_repository()
    story.kustomization("infra", "./infra", suspend=True)  # never Ready: the built-in check would wait forever
    story.kustomization("app", "./app", dependsOn=[{"name": "infra", "readyExpr": "dep.spec.suspend == true"}])
    story.sync()
    assert story.ready("Kustomization", "app")[:2] == ("True", "ReconciliationSucceeded")

    story.patch_spec("Kustomization", "app", {"dependsOn": [
        {"name": "infra", "readyExpr": "dep.metadata.name == self.metadata.name"}]})
    story.sync()
    ready = story.ready("Kustomization", "app")
    assert ready == ("False", "DependencyNotReady",
                     f"dependency '{story.ns}/infra' is not ready according to readyExpr eval")
    assert not warnings(story, "app")


def test_invalid_ready_expr_is_stalled(story: Story) -> None:
    story.commit("app", {"app/cm.yaml": story.configmap("web")})
    story.git_repository()
    story.kustomization("infra", "./app")
    story.kustomization("app", "./app", dependsOn=[{"name": "infra", "readyExpr": "other.ready"}])
    story.sync()
    ready, stalled = story.condition("app", "Ready"), story.condition("app", "Stalled")
    assert (ready["status"], ready["reason"], stalled["reason"]) == ("False", "InvalidCELExpression",
                                                                     "InvalidCELExpression")
    assert ready["message"] == (TERMINAL + "failed to evaluate dependency infra: failed to parse the CEL expression "
                                "'other.ready': ERROR: <input>: undeclared reference to 'other' (in container '')")


# -- kubeConfig.secretRef -------------------------------------------------------------------------
def test_missing_kubeconfig_secret_is_reconciliation_failed_and_nothing_lands_locally(story: Story) -> None:
    story.commit("app", {"app/cm.yaml": story.configmap("web")})
    story.git_repository()
    story.kustomization("app", "./app", kubeConfig={"secretRef": {"name": "prod-kubeconfig"}})
    story.sync()
    assert story.ready("Kustomization", "app") == (
        "False", "ReconciliationFailed",
        f"unable to read KubeConfig secret '{story.ns}/prod-kubeconfig' error: secrets \"prod-kubeconfig\" not found")
    assert story.get("ConfigMap", "web") is None


@pytest.fixture
def staging(tmp_path: Path) -> Iterator[Any]:
    cluster = EmbeddedCluster(name="staging", workdir=tmp_path / "staging")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_kubeconfig_applies_prunes_and_health_checks_on_the_named_cluster(story: Story, staging: Any) -> None:
    if not isinstance(story.cluster, EmbeddedCluster):
        pytest.skip("the staging cluster is embedded: a kind node could not reach it (the engine can)")
    remote = Client(load_api_client(str(staging.kubeconfig_path)))
    remote.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": story.apps}})
    story.client.create({"apiVersion": "v1", "kind": "Secret",
                         "metadata": {"name": "staging-kubeconfig", "namespace": story.ns},
                         "data": {"value": base64.b64encode(staging.kubeconfig_path.read_bytes()).decode()}})
    story.commit("app", {"app/a.yaml": story.configmap("a"), "app/b.yaml": story.configmap("b")})
    story.git_repository()
    story.kustomization("app", "./app", wait=True, kubeConfig={"secretRef": {"name": "staging-kubeconfig"}})
    story.sync()
    assert story.ready("Kustomization", "app")[:2] == ("True", "ReconciliationSucceeded")
    assert remote.get("v1", "ConfigMap", "a", story.apps) is not None
    assert story.get("ConfigMap", "a") is None  # the management cluster only holds the Kustomization
    assert story.inventory("app") == [f"ConfigMap/{story.apps}/a", f"ConfigMap/{story.apps}/b"]
    story.commit("drop b", {"app/b.yaml": None})
    story.sync()
    assert remote.get("v1", "ConfigMap", "b", story.apps) is None
    story.delete("Kustomization", "app")
    story.sync()
    assert remote.get("v1", "ConfigMap", "a", story.apps) is None  # garbage-collected on the remote cluster


# -- events ----------------------------------------------------------------------------------------
def test_missing_source_and_artifact_send_no_warning(story: Story) -> None:
    story.kustomization("app", "./app", source="nope")
    story.sync()
    assert story.ready("Kustomization", "app")[:2] == ("False", "ArtifactFailed")
    assert not warnings(story, "app")


def test_prune_disabled_objects_are_reported_skipped_and_deletion_event_carries_reason_and_revision(
        story: Story) -> None:
    keep = story.configmap("keep").replace("metadata:\n", "metadata:\n  annotations:\n"
                                           "    kustomize.toolkit.fluxcd.io/prune: disabled\n", 1)
    story.commit("app", {"app/keep.yaml": keep, "app/web.yaml": story.configmap("web")})
    story.git_repository()
    story.kustomization("app", "./app")
    story.sync()
    story.commit("drop", {"app/keep.yaml": None})
    story.sync()
    assert story.get("ConfigMap", "keep") is not None
    assert ("Normal", "Progressing", f"ConfigMap/{story.apps}/keep skipped") in story.events("Kustomization", "app")
    revision = story.ks("app").last_applied_revision
    story.delete("Kustomization", "app")
    story.sync()
    deletion = [e for e in story.manager.events(kind="Kustomization", name="app", namespace=story.ns)
                if e["message"] == f"ConfigMap/{story.apps}/web deleted"]
    assert deletion and deletion[-1]["reason"] == "ReconciliationSucceeded"
    assert (deletion[-1]["metadata"].get("annotations") or {}).get(
        "kustomize.toolkit.fluxcd.io/revision") == revision


# -- serviceAccountName ------------------------------------------------------------------------------
def test_service_account_name_is_impersonated_and_a_missing_account_is_forbidden(story: Story) -> None:
    story.commit("app", {"app/cm.yaml": story.configmap("web")})
    story.git_repository()
    story.kustomization("app", "./app", serviceAccountName="deployer")
    story.sync()
    status, reason, message = story.ready("Kustomization", "app")
    user = f"system:serviceaccount:{story.ns}:deployer"
    assert (status, reason) == ("False", "ReconciliationFailed")
    assert message.startswith(f"ConfigMap/{story.apps}/web dry-run failed (Forbidden): ")
    assert f'User "{user}" cannot' in message
    assert story.get("ConfigMap", "web") is None

    # the account, allowed to edit the apps namespace: the same Kustomization now applies
    story.client.create({"apiVersion": "v1", "kind": "ServiceAccount",
                         "metadata": {"name": "deployer", "namespace": story.ns}})
    story.client.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                         "metadata": {"name": "deployer-edit", "namespace": story.apps},
                         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
                         "subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": story.ns}]})
    story.manager.reconcile("Kustomization", "app", story.ns)
    assert story.ready("Kustomization", "app")[:2] == ("True", "ReconciliationSucceeded")
    assert story.get("ConfigMap", "web") is not None


# -- decryption ----------------------------------------------------------------------------------------
SOPS_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: {ns}
stringData:
  password: ENC[AES256_GCM,data:tJ8=,iv:abc=,tag:def=,type:str]
sops:
  age:
  - recipient: age1qqqq
    enc: "-----BEGIN AGE ENCRYPTED FILE-----"
  mac: ENC[AES256_GCM,data:xyz=,iv:abc=,tag:def=,type:str]
  version: 3.9.0
"""


def test_decryption_fails_as_flux_and_says_what_the_kit_supports(story: Story) -> None:
    story.commit("app", {"app/db.yaml": SOPS_SECRET.format(ns=story.apps), "app/cm.yaml": story.configmap("web")})
    story.git_repository()
    story.kustomization("keys-missing", "./app", decryption={"provider": "sops", "secretRef": {"name": "sops-age"}})
    story.kustomization("gated", "./app", decryption={"provider": "sops", "serviceAccountName": "sops"})
    story.sync()
    assert story.ready("Kustomization", "keys-missing") == ("False", "BuildFailed", 'secrets "sops-age" not found')
    gated = story.ready("Kustomization", "gated")
    assert gated == ("False", "FeatureGateDisabled", "to use spec.decryption.serviceAccountName for decryption "
                     "authentication please enable the ObjectLevelWorkloadIdentity feature gate in the controller")
    assert story.condition("gated", "Stalled")["reason"] == "FeatureGateDisabled"

    story.client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sops-age", "namespace": story.ns},
                         "stringData": {"age.agekey": "AGE-SECRET-KEY-1QQQQ"}})
    story.manager.reconcile("Kustomization", "keys-missing", story.ns)
    status, reason, message = story.ready("Kustomization", "keys-missing")
    assert (status, reason) == ("False", "BuildFailed")
    assert message.startswith(f"decryption failed for 'Secret.v1.[noGrp]/db': failed to decrypt and format "
                              f"'{story.apps}/db' Secret data: the workshop kit cannot decrypt SOPS data")
    assert story.get("ConfigMap", "web") is None and story.get("Secret", "db") is None


# -- older Flux API versions -------------------------------------------------------------------------
def test_manifest_with_an_old_flux_api_version_names_the_current_one(story: Story) -> None:
    child = (f"apiVersion: kustomize.toolkit.fluxcd.io/v1beta2\nkind: Kustomization\nmetadata:\n  name: child\n"
             f"  namespace: {story.ns}\nspec:\n  interval: 5m\n  prune: true\n  sourceRef:\n"
             f"    kind: GitRepository\n    name: fleet\n")
    story.commit("app", {"app/child.yaml": child})
    story.git_repository()
    story.kustomization("app", "./app")
    story.sync()
    status, reason, message = story.ready("Kustomization", "app")
    assert (status, reason) == ("False", "ReconciliationFailed")
    assert message.startswith(f"Kustomization/{story.ns}/child dry-run failed: no matches for kind \"Kustomization\" "
                              "in version \"kustomize.toolkit.fluxcd.io/v1beta2\"")
    assert "the current version of Kustomization is kustomize.toolkit.fluxcd.io/v1" in message
    assert "gitops migrate -f PATH" in message


def test_deleting_a_kustomization_whose_account_is_gone_leaves_the_objects_with_flux_event(story: Story) -> None:
    story.client.create({"apiVersion": "v1", "kind": "ServiceAccount",
                         "metadata": {"name": "deployer", "namespace": story.ns}})
    story.client.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                         "metadata": {"name": "deployer-edit", "namespace": story.apps},
                         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
                         "subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": story.ns}]})
    story.commit("app", {"app/cm.yaml": story.configmap("web")})
    story.git_repository()
    story.kustomization("app", "./app", serviceAccountName="deployer")
    story.sync()
    assert story.ready("Kustomization", "app")[:2] == ("True", "ReconciliationSucceeded")
    story.client.delete("v1", "ServiceAccount", "deployer", story.ns)
    story.delete("Kustomization", "app")
    story.sync()
    assert not story.exists("Kustomization", "app")
    assert story.get("ConfigMap", "web") is not None  # nobody may delete it: left in place
    assert ("Warning", "ReconciliationSucceeded", f"unable to prune objects: \nConfigMap/{story.apps}/web\n") in \
        story.events("Kustomization", "app")
