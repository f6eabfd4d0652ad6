"""HTTPS like kind's: the lab CA, a client-certificate admin (kubernetes-admin in system:masters), anonymous
requests without credentials, and client certificates issued through an approved CertificateSigningRequest."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
import yaml
from kubernetes import client

from workshop.cluster.embedded.cluster import EmbeddedCluster


@pytest.fixture
def tls_cluster(tmp_path):
    cluster = EmbeddedCluster("tls", workdir=tmp_path / "cluster", tls=True)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def kubectl(cluster: EmbeddedCluster, home: Path, *args: str, kubeconfig: Path | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    env = {**os.environ, "KUBECONFIG": str(kubeconfig or cluster.kubeconfig_path), "HOME": str(home)}
    return subprocess.run(["kubectl", f"--cache-dir={home}/cache", *args], capture_output=True, text=True, env=env,
                          input=input, timeout=60)


def test_kubeconfig_is_like_kinds(tls_cluster):
    doc = yaml.safe_load(tls_cluster.kubeconfig_path.read_text())
    cluster, user = doc["clusters"][0]["cluster"], doc["users"][0]["user"]
    assert cluster["server"].startswith("https://127.0.0.1:") and cluster["certificate-authority-data"]
    assert set(user) == {"client-certificate-data", "client-key-data"}
    subject = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=base64.b64decode(
        user["client-certificate-data"]), capture_output=True).stdout.decode()
    assert "O = system:masters" in subject and "CN = kubernetes-admin" in subject


def test_clients_authenticate_with_the_certificate(tls_cluster, tmp_path):
    whoami = kubectl(tls_cluster, tmp_path, "auth", "whoami", "-o", "json")
    assert json.loads(whoami.stdout)["status"]["userInfo"] == {
        "username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]}
    with tls_cluster.api_client() as api:
        names = [n.metadata.name for n in client.CoreV1Api(api).list_namespace().items]
    assert "kube-system" in names
    with tls_cluster.http_session() as session:
        assert session.get(f"{tls_cluster.url}/api/v1/namespaces/default", timeout=5).status_code == 200


def test_requests_without_credentials_are_anonymous(tls_cluster):
    ca = str(tls_cluster.pki.ca_cert)
    assert requests.get(f"{tls_cluster.url}/version", verify=ca, timeout=5).status_code == 200
    denied = requests.get(f"{tls_cluster.url}/api/v1/namespaces", verify=ca, timeout=5)
    assert denied.status_code == 403
    assert denied.json()["message"] == ('namespaces is forbidden: User "system:anonymous" cannot list resource '
                                        '"namespaces" in API group "" at the cluster scope')
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{tls_cluster.url}/version", timeout=5)  # the lab CA is not a public one


def test_start_reuses_the_pki(tmp_path):
    first = EmbeddedCluster("tls", workdir=tmp_path, tls=True)
    first.start()
    ca = first.pki.ca_cert.read_bytes()
    first.stop()
    second = EmbeddedCluster("tls", workdir=tmp_path, tls=True)
    second.start()
    try:
        assert second.pki.ca_cert.read_bytes() == ca
    finally:
        second.stop()


def test_approved_csr_issues_a_client_certificate(tls_cluster, tmp_path):
    key, csr = tmp_path / "alice.key", tmp_path / "alice.csr"
    made = subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                           "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/O=devs/CN=alice"],
                          capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"openssl cannot make a CSR here: {made.stderr.decode()}")
    manifest = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                "metadata": {"name": "alice"},
                "spec": {"request": base64.b64encode(csr.read_bytes()).decode(), "usages": ["client auth"],
                         "signerName": "kubernetes.io/kube-apiserver-client"}}
    assert kubectl(tls_cluster, tmp_path, "create", "-f", "-", input=json.dumps(manifest)).returncode == 0
    assert kubectl(tls_cluster, tmp_path, "certificate", "approve", "alice").returncode == 0
    tls_cluster.wait_settled()
    cert = kubectl(tls_cluster, tmp_path, "get", "csr", "alice", "-o", "jsonpath={.status.certificate}").stdout
    assert cert, "the approved request was signed"
    assert kubectl(tls_cluster, tmp_path, "get", "csr", "alice").stdout.split()[-1] == "Approved,Issued"
    doc = yaml.safe_load(tls_cluster.kubeconfig_path.read_text())
    doc["users"][0]["user"] = {"client-certificate-data": cert,
                               "client-key-data": base64.b64encode(key.read_bytes()).decode()}
    alice = tmp_path / "alice.kubeconfig"
    alice.write_text(yaml.safe_dump(doc))
    whoami = kubectl(tls_cluster, tmp_path, "auth", "whoami", "-o", "json", kubeconfig=alice)
    assert json.loads(whoami.stdout)["status"]["userInfo"] == {"username": "alice",
                                                                "groups": ["devs", "system:authenticated"]}
    denied = kubectl(tls_cluster, tmp_path, "get", "pods", kubeconfig=alice)
    assert 'User "alice" cannot list resource "pods"' in denied.stderr


def test_kube_root_ca_configmaps_hold_the_cluster_ca(tls_cluster, tmp_path):
    ca = tls_cluster.pki.ca_cert.read_text()
    with tls_cluster.api_client() as api:
        core = client.CoreV1Api(api)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team")))
        tls_cluster.wait_settled()
        for ns in ("default", "kube-system", "team"):
            assert core.read_namespaced_config_map("kube-root-ca.crt", ns).data == {"ca.crt": ca}
        core.patch_namespaced_config_map("kube-root-ca.crt", "team", {"data": {"ca.crt": "edited"}})
        tls_cluster.wait_settled()
        assert core.read_namespaced_config_map("kube-root-ca.crt", "team").data == {"ca.crt": ca}  # put back
    bundle = tmp_path / "ca.crt"
    bundle.write_text(ca)  # what a pod reads from the projected volume verifies the API server
    assert requests.get(f"{tls_cluster.url}/version", verify=str(bundle), timeout=5).status_code == 200


def test_a_plain_http_lab_restarted_with_tls_publishes_its_ca(tmp_path):
    plain = EmbeddedCluster("tls", workdir=tmp_path / "a", state_dir=tmp_path / "state", tls=False)
    plain.start()
    plain.stop()
    again = EmbeddedCluster("tls", workdir=tmp_path / "b", state_dir=tmp_path / "state", tls=True)
    again.start()
    try:
        again.wait_settled()
        with again.api_client() as api:
            data = client.CoreV1Api(api).read_namespaced_config_map("kube-root-ca.crt", "default").data
        assert data == {"ca.crt": again.pki.ca_cert.read_text()}
    finally:
        again.stop()


def test_https_is_the_default_and_an_environment_switch_turns_it_off(tmp_path, monkeypatch):
    from workshop.cluster.embedded.cluster import tls_default

    monkeypatch.delenv("WORKSHOP_EMBEDDED_TLS", raising=False)
    assert tls_default() and EmbeddedCluster("d", workdir=tmp_path).tls
    monkeypatch.setenv("WORKSHOP_EMBEDDED_TLS", "0")
    plain = EmbeddedCluster("d", workdir=tmp_path, system_pods=False)
    plain.start()
    try:
        assert plain.url.startswith("http://") and plain.pki is None
        user = yaml.safe_load(plain.kubeconfig_path.read_text())["users"][0]["user"]
        assert user == {}  # plain HTTP: no credentials, every request is the lab's admin
        assert requests.get(f"{plain.url}/api/v1/namespaces", timeout=5).status_code == 200
    finally:
        plain.stop()
    assert EmbeddedCluster("d", workdir=tmp_path, tls=True).tls  # the argument wins over the environment
