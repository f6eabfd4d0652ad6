"""Random kustomization trees (fixed seed) built by engine.kustomize and by `kubectl kustomize`, compared."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.kustomize import KustomizeError, build, build_result, render
from engine.kustomize.yamlio import load_documents

KUBECTL = shutil.which("kubectl")
SEED = 20241121
TREES = 20

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl (the kustomize oracle) is not on PATH")


def _dump(path: Path, docs: list[Any] | dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(docs, list):
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    else:
        path.write_text(yaml.safe_dump(docs, sort_keys=False))


def _pod_spec(rng: random.Random, app: str) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": app,
        "image": rng.choice(["nginx", "nginx:1.25", "ghcr.io/acme/api:1.0", "redis@sha256:" + "a" * 64]),
        "envFrom": [{"configMapRef": {"name": "settings"}}],
        "env": [
            {"name": "MODE", "value": "x"},
            {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}},
        ],
    }
    spec: dict[str, Any] = {
        "containers": [container],
        "volumes": [
            {"name": "cfg", "configMap": {"name": "settings"}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
        ],
        "serviceAccountName": "runner",
    }
    if rng.random() < 0.5:
        spec["initContainers"] = [{"name": "init", "image": "busybox:1.36"}]
    return spec


def _workload(rng: random.Random, kind: str, app: str) -> dict[str, Any]:
    labels = {"app": app}
    template = {"metadata": {"labels": dict(labels)}, "spec": _pod_spec(rng, app)}
    if kind == "CronJob":
        return {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": app},
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}},
        }
    spec: dict[str, Any] = {"selector": {"matchLabels": dict(labels)}, "template": template}
    if kind == "StatefulSet":
        spec["serviceName"] = app
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": app, "labels": dict(labels)},
        "spec": spec,
    }


def _base_objects(rng: random.Random) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = [
        _workload(rng, "Deployment", "web"),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "runner"}},
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
    ]
    extras = [
        _workload(rng, "StatefulSet", "db"),
        _workload(rng, "CronJob", "report"),
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "reader"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "reader"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [
                {"kind": "ServiceAccount", "name": "runner"},
                {"kind": "ServiceAccount", "name": "default"},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "viewer"},
            "rules": [],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "viewer"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "viewer"},
            "subjects": [{"kind": "ServiceAccount", "name": "runner", "namespace": "default"}],
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web"},
            "spec": {
                "tls": [{"hosts": ["a.example"], "secretName": "creds"}],
                "rules": [
                    {
                        "host": "a.example",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 1,
                "maxReplicas": 3,
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "web"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "web"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
            },
        },
        {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w", "labels": {"app": "web"}},
            "spec": {"list": [1, 2], "containers": [{"name": "c", "image": "nginx"}]},
        },
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}},
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "migrate"},
            "spec": {"template": {"spec": _pod_spec(rng, "migrate")}},
        },
    ]
    objs += rng.sample(extras, rng.randint(2, len(extras)))
    rng.shuffle(objs)
    return objs


def _patch(rng: random.Random) -> dict[str, Any]:
    choice = rng.randrange(4)
    if choice == 0:
        return {
            "patch": yaml.safe_dump(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": "web"},
                    "spec": {
                        "template": {
                            "spec": {
                                "containers": [
                                    {"name": "sidecar", "image": "envoy:1"},
                                    {"name": "web", "env": [{"name": "EXTRA", "value": "1"}]},
                                ]
                            }
                        }
                    },
                }
            )
        }
    if choice == 1:
        return {
            "target": {"kind": "Deployment"},
            "patch": yaml.safe_dump(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": "any"},
                    "spec": {"revisionHistoryLimit": 3},
                }
            ),
        }
    if choice == 2:
        return {
            "target": {"kind": "Service", "name": "web"},
            "patch": yaml.safe_dump(
                [{"op": "add", "path": "/metadata/annotations", "value": {"patched": "yes"}}]
            ),
        }
    return {
        "target": {"labelSelector": "app=web"},
        "patch": yaml.safe_dump([{"op": "add", "path": "/metadata/labels/selected", "value": "true"}]),
    }


def make_tree(root: Path, rng: random.Random) -> Path:
    """Write a base (+ optional component) and an overlay using a random subset of kustomize's features."""
    base = root / "base"
    _dump(base / "objects.yaml", _base_objects(rng))
    base_k: dict[str, Any] = {"resources": ["objects.yaml"]}
    base_k["configMapGenerator"] = [{"name": "settings", "literals": ["A=1", f"B={rng.randint(0, 9)}"]}]
    base_k["secretGenerator"] = [{"name": "creds", "literals": ["password=s3cret"]}]
    if rng.random() < 0.5:
        base_k["namePrefix"] = "base-"
    if rng.random() < 0.4:
        base_k["labels"] = [{"pairs": {"tier": "backend"}, "includeSelectors": rng.random() < 0.5}]
    _dump(base / "kustomization.yaml", base_k)

    overlay = root / "overlay"
    k: dict[str, Any] = {"resources": ["../base"]}
    if rng.random() < 0.6:
        k["namespace"] = rng.choice(["prod", "team", "apps-canary"])
    if rng.random() < 0.5:
        k["namePrefix"] = "ov-"
    if rng.random() < 0.5:
        k["nameSuffix"] = "-v2"
    if rng.random() < 0.4:
        k["commonLabels"] = {"env": "prod"}
    if rng.random() < 0.5:
        k["labels"] = [
            {"pairs": {"team": "a"}, "includeTemplates": rng.random() < 0.5, "includeSelectors": False}
        ]
    if rng.random() < 0.5:
        k["commonAnnotations"] = {"owner": "platform", "number": "42"}
    if rng.random() < 0.6:
        k["images"] = rng.sample(
            [
                {"name": "nginx", "newTag": "1.27"},
                {"name": "redis", "newName": "mirror/redis", "newTag": "7"},
                {"name": "busybox", "digest": "sha256:" + "b" * 64},
                {"name": "ghcr.io/acme/api", "newName": "registry.local:5000/api"},
            ],
            rng.randint(1, 3),
        )
    if rng.random() < 0.4:
        k["replicas"] = [{"name": "web", "count": rng.randint(0, 5)}]
    if rng.random() < 0.7:
        k["patches"] = [_patch(rng) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        k["configMapGenerator"] = [
            {"name": "settings", "behavior": rng.choice(["merge", "replace"]), "literals": ["C=3"]},
            {"name": "extra", "literals": ["X=y"], "options": {"disableNameSuffixHash": rng.random() < 0.3}},
        ]
    if rng.random() < 0.3:
        comp = root / "component"
        _dump(
            comp / "kustomization.yaml",
            {
                "apiVersion": "kustomize.config.k8s.io/v1alpha1",
                "kind": "Component",
                "resources": ["extra.yaml"],
                "commonLabels": {"component": "on"},
            },
        )
        _dump(
            comp / "extra.yaml",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "component-cm"},
                "data": {"k": "v"},
            },
        )
        k["components"] = ["../component"]
    if rng.random() < 0.3:
        k["sortOptions"] = {"order": "fifo"}
    _dump(overlay / "kustomization.yaml", k)
    return overlay


def _kubectl(path: Path) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    return subprocess.run(
        [KUBECTL, "kustomize", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )


def test_random_trees_match_kubectl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED)
    identical = 0
    for n in range(TREES):
        tree = make_tree(tmp_path / f"tree-{n:02d}", rng)
        expected = _kubectl(tree)
        if expected.returncode != 0:
            with pytest.raises(KustomizeError):
                build(tree)
            continue
        result = build_result(tree)
        objects = result.objects
        assert objects == load_documents(expected.stdout, source="kubectl"), f"tree {n} differs: {tree}"
        assert result.warnings == expected.stderr.splitlines(), f"tree {n}: warnings differ"
        identical += render(objects) == expected.stdout
    with capsys.disabled():
        print(
            f"\nkustomize oracle: {TREES} random trees equal to kubectl kustomize, {identical} byte-identical"
        )
    assert identical == TREES
