"""engine.kustomization.remote: the client of `spec.kubeConfig.secretRef` reaches the cluster the kubeconfig names;
`spec.serviceAccountName` makes every request as the service account (client-go's Impersonate-User header)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.client import Client, client_from_kubeconfig, load_api_client
from engine.kustomization.remote import TargetClientError, must_impersonate, target_client
from engine.loopback import LoopbackServer, Reply, Request
from workshop.cluster.embedded import EmbeddedCluster

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "hello", "namespace": "default"},
      "data": {"k": "v"}}


@pytest.fixture
def second_cluster(tmp_path: Path) -> Iterator[Any]:
    cluster = EmbeddedCluster(name="staging", workdir=tmp_path / "staging")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def local_client(cluster: Any) -> Client:
    return Client(load_api_client(str(cluster.kubeconfig_path)))


def kustomization(**spec: Any) -> dict:
    return {"metadata": {"name": "apps", "namespace": "flux-system"}, "spec": {"prune": True, **spec}}


def secret(client: Client, name: str, **data: bytes) -> None:
    client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "flux-system"},
                   "data": {k: base64.b64encode(v).decode() for k, v in data.items()}})


def namespace(client: Client, name: str) -> None:
    if client.get("v1", "Namespace", name) is None:
        client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def test_kubeconfig_secret_targets_the_cluster_it_names(embedded_cluster: Any, second_cluster: Any) -> None:
    local = local_client(embedded_cluster)
    namespace(local, "flux-system")
    secret(local, "staging-kubeconfig", value=second_cluster.kubeconfig_path.read_bytes())
    remote = target_client(local, kustomization(kubeConfig={"secretRef": {"name": "staging-kubeconfig"}}))
    assert remote is not local
    remote.apply(CM, field_manager="kustomize-controller")
    assert local_client(second_cluster).get("v1", "ConfigMap", "hello", "default") is not None
    assert local.get("v1", "ConfigMap", "hello", "default") is None  # not the management cluster


@pytest.mark.parametrize(("ref", "data", "message"), [
    ({"name": "nope"}, None,
     "unable to read KubeConfig secret 'flux-system/nope' error: secrets \"nope\" not found"),
    ({"name": "kc"}, {"other": b"x"},
     "KubeConfig secret 'flux-system/kc' does not contain a 'value' key with a kubeconfig"),
    ({"name": "kc", "key": "custom"}, {"value": b"x"},
     "KubeConfig secret 'flux-system/kc' does not contain a 'custom' key with a kubeconfig"),
    ({"name": "kc"}, {"value": b"just: text\n"}, "invalid configuration: no configuration has been provided"),
])
def test_kubeconfig_failures_are_flux_messages(embedded_cluster: Any, ref: dict, data: dict | None,
                                               message: str) -> None:
    local = local_client(embedded_cluster)
    namespace(local, "flux-system")
    if data is not None:
        secret(local, "kc", **data)
    with pytest.raises(TargetClientError) as err:
        target_client(local, kustomization(kubeConfig={"secretRef": ref}))
    assert str(err.value) == message


def test_kubeconfig_without_secret_ref_and_cloud_providers(embedded_cluster: Any) -> None:
    local = local_client(embedded_cluster)
    with pytest.raises(TargetClientError, match=r"^invalid .spec.kubeConfig, neither .spec.kubeConfig.provider nor "
                                                r".spec.kubeConfig.secretRef is set$"):
        target_client(local, kustomization(kubeConfig={}))
    with pytest.raises(TargetClientError, match="'aws' needs a cloud provider's workload identity"):
        target_client(local, kustomization(kubeConfig={"provider": "aws"}))


def test_value_yaml_key_is_the_fallback(embedded_cluster: Any, second_cluster: Any) -> None:
    local = local_client(embedded_cluster)
    namespace(local, "flux-system")
    secret(local, "kc", **{"value.yaml": second_cluster.kubeconfig_path.read_bytes()})
    remote = target_client(local, kustomization(kubeConfig={"secretRef": {"name": "kc"}}))
    assert remote.api_client.configuration.host == second_cluster.url


class HeaderRecorder:
    """An API stand-in that records the Impersonate-User header of each request."""

    def __init__(self) -> None:
        self.users: list[str | None] = []
        self.server = LoopbackServer(self.reply, methods=("GET",)).start()

    def reply(self, request: Request) -> Reply:
        self.users.append(request.headers.get("Impersonate-User"))
        return Reply(200, b'{"kind": "NamespaceList", "items": []}', "application/json")

    def kubeconfig(self) -> bytes:
        return (f"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: '{self.server.url}'}}\n"
                "contexts:\n- name: c\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {}\n"
                "current-context: c\n").encode()


def test_service_account_name_impersonates_the_account_and_local_client_is_untouched() -> None:
    recorder = HeaderRecorder()
    try:
        local = client_from_kubeconfig(recorder.kubeconfig())
        assert target_client(local, kustomization()) is local
        assert not must_impersonate(kustomization()["spec"])
        sa = target_client(local, kustomization(serviceAccountName="deployer"))
        sa.request("GET", "/api/v1/namespaces")
        local.request("GET", "/api/v1/namespaces")
        assert recorder.users == ["system:serviceaccount:flux-system:deployer", None]
    finally:
        recorder.server.stop()


def test_kubeconfig_and_service_account_together_impersonate_on_the_remote_cluster(embedded_cluster: Any) -> None:
    recorder = HeaderRecorder()
    try:
        local = local_client(embedded_cluster)
        namespace(local, "flux-system")
        secret(local, "kc", value=recorder.kubeconfig())
        remote = target_client(local, kustomization(kubeConfig={"secretRef": {"name": "kc"}},
                                                    serviceAccountName="deployer"))
        remote.request("GET", "/api/v1/namespaces")
        assert recorder.users == ["system:serviceaccount:flux-system:deployer"]
    finally:
        recorder.server.stop()
