"""Strategic merge patch (API-server flavor) compared with `kubectl patch --local --type=strategic`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.patch import apply_strategic_merge_patch

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl (the oracle) is not installed")


def _deployment(containers: list[dict], **spec: object) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "finalizers": ["a", "b", "c"], "labels": {"app": "web"}},
        "spec": {
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
            "template": {"spec": {"containers": containers, **spec}},
        },
    }


def _c(name: str, **fields: object) -> dict:
    return {"name": name, "image": f"{name}:1", **fields}


CASES: dict[str, tuple[dict, dict]] = {
    "new items interleave with live order": (
        _deployment([_c("a"), _c("b"), _c("c")]),
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "c:2"}, _c("d")]}}}},
    ),
    "patch order moves a live item forward": (
        _deployment([_c("a"), _c("b"), _c("c")]),
        {"spec": {"template": {"spec": {"containers": [_c("d"), {"name": "b", "image": "b:2"}]}}}},
    ),
    "primitive merge list (finalizers) and deleteFromPrimitiveList": (
        _deployment([_c("a")]),
        {"metadata": {"finalizers": ["d", "a"], "$deleteFromPrimitiveList/finalizers": ["b"]}},
    ),
    "kubectl client-side apply body with setElementOrder": (
        _deployment(
            [
                _c("nginx", env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]),
                _c("side"),
            ]
        ),
        {
            "spec": {
                "replicas": 3,
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [{"name": "nginx"}],
                        "containers": [
                            {
                                "$setElementOrder/env": [{"name": "C"}, {"name": "A"}],
                                "env": [{"name": "C", "value": "3"}, {"$patch": "delete", "name": "B"}],
                                "name": "nginx",
                            },
                            {"$patch": "delete", "name": "side"},
                        ],
                    }
                },
            }
        },
    ),
    "retainKeys clears the other union members": (
        _deployment([_c("a")]),
        {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
    ),
    "replace and delete directives on maps and lists": (
        _deployment(
            [_c("a", resources={"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}), _c("b")],
            volumes=[{"name": "v", "emptyDir": {}}, {"name": "w", "emptyDir": {}}],
        ),
        {
            "metadata": {"labels": {"app": None, "tier": "web"}},
            "spec": {
                "strategy": {"$patch": "delete"},
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "a", "resources": {"$patch": "replace", "limits": {"cpu": "2"}}}
                        ],
                        "volumes": [{"$patch": "replace"}, {"name": "x", "emptyDir": {"medium": "Memory"}}],
                    }
                },
            },
        },
    ),
    "ports by containerPort, env merged as maps, atomic lists replaced": (
        _deployment(
            [
                _c(
                    "a",
                    ports=[{"containerPort": 80, "name": "http"}, {"containerPort": 81}],
                    env=[{"name": "X", "value": "1"}],
                    args=["--a", "--b"],
                    volumeMounts=[{"name": "v", "mountPath": "/v"}],
                )
            ],
            tolerations=[{"key": "k", "operator": "Exists"}],
            imagePullSecrets=[{"name": "one"}],
            hostAliases=[{"ip": "10.0.0.1", "hostnames": ["a"]}],
            topologySpreadConstraints=[
                {"topologyKey": "zone", "maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}
            ],
        ),
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "a",
                                "ports": [{"containerPort": 81, "name": "metrics"}, {"containerPort": 90}],
                                "env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
                                "args": ["--c"],
                                "volumeMounts": [{"name": "w", "mountPath": "/w"}],
                            }
                        ],
                        "tolerations": [{"key": "j", "operator": "Exists"}],
                        "imagePullSecrets": [{"name": "two"}],
                        "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["b"]}, {"ip": "10.0.0.2"}],
                        "topologySpreadConstraints": [{"topologyKey": "zone", "maxSkew": 2}],
                    }
                }
            }
        },
    ),
    "service ports by port, status conditions by type, ownerReferences by uid": (
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "s",
                "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "x", "uid": "1"}],
            },
            "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}], "externalIPs": ["1.1.1.1"]},
            "status": {"conditions": [{"type": "A", "status": "True"}]},
        },
        {
            "metadata": {"ownerReferences": [{"apiVersion": "v1", "kind": "Y", "name": "y", "uid": "2"}]},
            "spec": {"ports": [{"port": 443, "name": "https"}], "externalIPs": ["2.2.2.2"]},
            "status": {"conditions": [{"type": "B", "status": "False"}, {"type": "A", "status": "False"}]},
        },
    ),
}


def _kubectl(obj: dict, patch: dict, tmp_path: Path) -> dict:
    source = tmp_path / "obj.json"
    source.write_text(json.dumps(obj))
    assert KUBECTL is not None
    run = subprocess.run(
        [
            KUBECTL,
            "patch",
            "--local",
            "-f",
            str(source),
            "--type=strategic",
            "-p",
            json.dumps(patch),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(run.stdout)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_kubectl(name: str, tmp_path: Path) -> None:
    obj, patch = CASES[name]
    assert apply_strategic_merge_patch(obj, patch) == _kubectl(obj, patch, tmp_path)
