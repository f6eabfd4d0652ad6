"""Malformed input reaches the engine (a manifest without apiVersion, a wrong-type spec, a bad duration): that one
Kustomization fails with a reason and a message naming the file or field, every other object keeps converging,
and the background manager stays alive."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kustomization.story import Story

OVERLAY_WITHOUT_API_VERSION = {
    "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: v\n",
    "base/kustomization.yaml": "resources:\n- cm.yaml\n",
    "overlay/kustomization.yaml": "resources:\n- ../base\npatches:\n- patch: |-\n    kind: ConfigMap\n"
                                  "    metadata:\n      name: cm\n    data:\n      k: patched\n",
}


def good_and(story: Story, files: dict[str, str]) -> None:
    story.commit("Add", {"good/a.yaml": story.configmap("a"), **files})
    story.git_repository()
    story.kustomization("good", "./good")


def run_with_spec(story: Story, spec: Any) -> tuple[str, str, str]:
    """Reconcile a Kustomization whose spec (in the engine's hands) is `spec`: what a cluster without schema
    validation would hand over. Returns the Ready condition the engine wrote to the cluster."""
    story.kustomization("bad", "./good")
    obj = story.ks("bad").obj
    obj["spec"] = spec
    run = story.manager.reconciler("Kustomization").run(obj)
    assert run.result is not None and run.result.error
    return story.ready("Kustomization", "bad")


def test_a_patch_without_api_version_fails_only_its_kustomization(story: Story) -> None:
    good_and(story, {f"apps/{k}": v for k, v in OVERLAY_WITHOUT_API_VERSION.items()})
    story.kustomization("broken", "./apps/overlay")
    report = story.sync()
    assert story.ready("Kustomization", "good")[0] == "True", str(report)
    status, reason, message = story.ready("Kustomization", "broken")
    assert (status, reason) == ("False", "BuildFailed"), message
    assert message.startswith("kustomize build failed: ") or message.startswith("failed to decode"), message
    assert "Traceback" not in message


@pytest.mark.parametrize(("field", "value", "says"), [
    ("interval", "1 minute", "invalid spec.interval: invalid duration '1 minute'"),
    ("retryInterval", "soon", "invalid spec.retryInterval: invalid duration 'soon'"),
    ("timeout", 30, "invalid spec.timeout: invalid duration 30"),
])
def test_an_invalid_duration_stalls_only_its_kustomization(story: Story, field: str, value: Any, says: str) -> None:
    good_and(story, {})
    story.sync()
    spec = {"sourceRef": {"kind": "GitRepository", "name": "fleet"}, "interval": "5m", "path": "./good",
            "prune": True, field: value}
    status, reason, message = run_with_spec(story, spec)
    assert (status, reason) == ("False", "ReconciliationFailed")
    assert message.startswith(says), message
    stalled = story.condition("bad", "Stalled")
    assert stalled["status"] == "True" and stalled["message"] == message
    assert story.ready("Kustomization", "good")[0] == "True"


@pytest.mark.parametrize(("spec", "says"), [
    ([], "invalid spec: expected an object, got list"),
    ({"sourceRef": "fleet", "interval": "5m", "prune": True}, "invalid spec.sourceRef"),
    ({"sourceRef": {"kind": "GitRepository", "name": "fleet"}, "interval": "5m", "prune": True,
      "dependsOn": "good"}, "invalid spec.dependsOn"),
    ({"sourceRef": {"kind": "GitRepository", "name": "fleet"}, "interval": "5m", "prune": True, "path": "./good",
      "healthChecks": [{"kind": "Deployment"}]}, "invalid spec.healthChecks"),
    ({"sourceRef": {"kind": "GitRepository", "name": "fleet"}, "interval": "5m", "prune": True, "path": ["good"]},
     "invalid spec.path: expected a string, got list"),
])
def test_a_wrong_type_spec_fails_only_its_kustomization(story: Story, spec: Any, says: str) -> None:
    good_and(story, {})
    story.sync()
    status, reason, message = run_with_spec(story, spec)
    assert (status, reason) == ("False", "ReconciliationFailed"), message
    assert message.startswith(says), message
    assert story.ready("Kustomization", "good")[0] == "True"


def test_the_background_manager_survives_bad_objects(story: Story) -> None:
    good_and(story, {f"apps/{k}": v for k, v in OVERLAY_WITHOUT_API_VERSION.items()})
    story.kustomization("broken", "./apps/overlay")
    manager = story.manager
    manager.start()
    try:
        wait_until(lambda: story.ready("Kustomization", "good")[0] == "True")
        wait_until(lambda: story.ready("Kustomization", "broken")[1] == "BuildFailed")
        story.kustomization("late", "./good")  # created after the bad ones: still reconciled
        wait_until(lambda: story.ready("Kustomization", "late")[0] == "True")
        assert manager.alive and manager.failure is None
    finally:
        manager.stop()


def wait_until(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)
