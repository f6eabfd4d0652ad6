"""`gitops get` prints objects whose status a foreign or older writer left malformed, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest

from engine.api.crds import KUSTOMIZATION, crd_manifest
from engine.cli import main

KS = "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations"


@pytest.fixture
def permissive_cluster(embedded_cluster: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A cluster whose Kustomization CRD keeps any status (as a cluster without the kit's schema would)."""
    crd = crd_manifest(KUSTOMIZATION)
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = {"type": "object",
                                                               "x-kubernetes-preserve-unknown-fields": True}
    url = embedded_cluster.url
    with embedded_cluster.http_session() as http:
        assert http.post(f"{url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd,
                         timeout=5).status_code == 201
        assert http.post(f"{url}/api/v1/namespaces", json={"metadata": {"name": "flux-system"}},
                         timeout=5).status_code == 201
    monkeypatch.setenv("KUBECONFIG", str(embedded_cluster.kubeconfig_path))
    return embedded_cluster


@pytest.mark.parametrize("conditions", ["x", ["x", 5], [{"type": "Ready", "status": True, "message": 7}], None])
def test_get_kustomizations_with_malformed_conditions(permissive_cluster: Any, conditions: Any,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    url = permissive_cluster.url
    body = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "odd"},
            "spec": {"interval": "5m", "prune": True, "sourceRef": {"kind": "GitRepository", "name": "x"}}}
    with permissive_cluster.http_session() as http:
        created = http.post(url + KS, json=body, timeout=5).json()
        created["status"] = {"conditions": conditions}
        assert http.put(f"{url}{KS}/odd/status", json=created, timeout=5).status_code == 200
    code = main(["get", "kustomizations", "-n", "flux-system"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"]
    expected = ["odd", "False", "True", "7"] if isinstance(conditions, list) and len(conditions) == 1 else \
        ["odd", "False", "False", "waiting", "to", "be", "reconciled"]
    assert lines[1].split() == expected
