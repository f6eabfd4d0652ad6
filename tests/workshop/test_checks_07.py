"""workshop.checks_07: the lesson 07 exercise check, on a fake lab (no cluster)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import yaml

from workshop.checks_07 import WANT_MESSAGE, WANT_REPLICAS, check_07

GOOD = {"replicaCount": WANT_REPLICAS, "message": WANT_MESSAGE}


def release_secret(config: dict[str, Any]) -> dict[str, Any]:
    packed = gzip.compress(json.dumps({"name": "web", "version": 6, "config": config}).encode())
    return {"data": {"release": base64.b64encode(base64.b64encode(packed)).decode()}}


class FakeRepo:
    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def read(self, path: str) -> str:
        if path not in self.files:
            raise FileNotFoundError(path)
        return self.files[path]


class FakeLab:
    def __init__(self, *, git_values: dict[str, Any], stored: dict[str, Any], replicas: int,
                 ready: str = "True", configmap: dict[str, Any] | None = None) -> None:
        files = {"apps/web/release.yaml": yaml.safe_dump({"spec": {"values": git_values}})}
        if configmap is not None:
            files["apps/web/values.yaml"] = yaml.safe_dump({"data": {"values.yaml": yaml.safe_dump(configmap)}})
        self.repo = FakeRepo(files)
        self.objects = {
            ("HelmRelease", "web"): {"status": {"conditions": [{"type": "Ready", "status": ready,
                                                                "reason": "TestSucceeded"}],
                                                "history": [{"version": 6}]}},
            ("Secret", "sh.helm.release.v1.web.v6"): release_secret(stored),
            ("Deployment", "web"): {"spec": {"replicas": replicas}},
        }

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = "default") -> Any:
        return self.objects.get((kind, name))


def test_production_values_from_git_pass() -> None:
    assert check_07(FakeLab(git_values=GOOD, stored=GOOD, replicas=3)).passed


def test_configmap_replicas_count_when_inline_values_do_not_override() -> None:
    lab = FakeLab(git_values={"message": WANT_MESSAGE}, configmap={"replicaCount": 3}, stored=GOOD, replicas=3)
    assert check_07(lab).passed


def test_a_patch_on_the_cluster_is_not_enough() -> None:
    result = check_07(FakeLab(git_values={"message": "Hello from Git"}, stored={"message": "Hello from Git"},
                              replicas=3))
    text = str(result)
    assert not result.passed
    assert "replicaCount (unset), not 3" in text
    assert "message 'Hello from Git', not 'Hello, production'" in text
    assert "was made with replicaCount (chart default)" in text


def test_committed_but_not_synced() -> None:
    result = check_07(FakeLab(git_values=GOOD, stored={"message": "Hello from Git"}, replicas=2, ready="False"))
    assert [p.split(" ")[1] for p in result.problems] == ["HelmRelease", "current", "Deployment"]
