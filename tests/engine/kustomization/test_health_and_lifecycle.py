"""Health checks, suspend, manual triggers and deletion policies."""

from __future__ import annotations

from typing import Any

import pytest

from kustomization.story import READY_IMAGE, Story


def test_health_checks_pass_when_the_deployment_is_available(story: Story) -> None:
    story.commit("Add", {"apps/web.yaml": story.deployment("web", image=READY_IMAGE, replicas=2),
                         "apps/cm.yaml": story.configmap("cfg")})
    story.git_repository()
    story.kustomization("apps", "./apps", healthChecks=[{"kind": "Deployment", "name": "web", "namespace": story.apps}])
    story.sync()
    assert story.ready("Kustomization", "apps")[1] == "ReconciliationSucceeded"
    web = story.obj("Deployment", "web")
    assert web["status"].get("availableReplicas") == 2
    healthy = story.condition("apps", "Healthy")
    assert healthy["status"] == "True" and healthy["reason"] == "Succeeded"


def test_failing_rollout_fails_fast_with_health_check_failed(story: Story) -> None:
    simulation = getattr(story.cluster, "simulation", None)
    if simulation is not None:  # the embedded kubelet is told the image is missing; a kind node fails to pull it
        simulation.image_available = lambda image: "does-not-exist" not in image
    bad = story.deployment("web", image="registry.local/does-not-exist:1").replace(
        "spec:\n  replicas", "spec:\n  progressDeadlineSeconds: 1\n  replicas")
    story.commit("Add", {"apps/web.yaml": bad})
    story.git_repository()
    story.kustomization("apps", "./apps", wait=True, timeout="1m")
    story.sync()
    status, reason, message = story.ready("Kustomization", "apps")
    assert (status, reason) == ("False", "HealthCheckFailed")
    assert message.startswith("health check failed after ")
    assert f"failed early due to stalled resources: [Deployment/{story.apps}/web status: 'Failed'" in message
    assert story.condition("apps", "Healthy")["status"] == "False"
    assert story.ks("apps").inventory == [{"id": f"{story.apps}_web_apps_Deployment", "v": "v1"}]


def test_suspended_kustomization_is_left_alone(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    story.patch_spec("Kustomization", "apps", {"suspend": True})
    story.commit("Add b", {"apps/b.yaml": story.configmap("b")})
    story.sync(drift=True)
    assert story.get("ConfigMap", "b") is None
    story.patch_spec("Kustomization", "apps", {"suspend": False})
    story.sync()
    assert story.get("ConfigMap", "b") is not None


def test_requested_at_annotation_is_handled(story: Story) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps")
    story.sync()
    story.client.merge_patch("v1", "ConfigMap", "a", story.apps, {"data": {"key": "drifted"}})
    story.sync()  # nothing asks for the Kustomization: drift stays until its interval or a request
    assert story.obj("ConfigMap", "a")["data"]["key"] == "drifted"
    value = story.manager.request_reconcile("Kustomization", "apps", story.ns)
    story.sync(sources=False)
    assert story.ks("apps").status["lastHandledReconcileAt"] == value
    assert story.obj("ConfigMap", "a")["data"]["key"] == "value"


def delete_ks(story: Story, name: str = "apps") -> None:
    story.delete("Kustomization", name)
    story.sync(sources=False)
    assert not story.exists("Kustomization", name)


@pytest.mark.parametrize(("spec", "kept"), [
    ({"prune": True}, False),
    ({"prune": False}, True),
    ({"prune": False, "deletionPolicy": "Delete"}, False),
    ({"prune": True, "deletionPolicy": "Orphan"}, True),
    ({"prune": True, "deletionPolicy": "WaitForTermination"}, False),
    ({"prune": True, "suspend": True}, True),
])
def test_deletion_policies(story: Story, spec: dict[str, Any], kept: bool) -> None:
    story.commit("Add", {"apps/a.yaml": story.configmap("a")})
    story.git_repository()
    story.kustomization("apps", "./apps", **{k: v for k, v in spec.items() if k != "suspend"})
    story.sync()
    assert story.get("ConfigMap", "a") is not None
    if spec.get("suspend"):
        story.patch_spec("Kustomization", "apps", {"suspend": True})
    delete_ks(story)
    assert (story.get("ConfigMap", "a") is not None) is kept
