"""APIService, CertificateSigningRequest and CSIStorageCapacity are served like on a real cluster."""

from __future__ import annotations

import base64
import subprocess

import pytest

CSR_REQUEST = """apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {{name: alice}}
spec:
  request: {request}
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400
  username: someone-else
  usages: [client auth]
"""


def test_apiservices_follow_served_groups(kubectl, embedded_cluster):
    embedded_cluster.wait_settled()
    rows = {line.split()[0]: line.split() for line in kubectl("get", "apiservices").stdout.splitlines()[1:]}
    assert rows["v1."][1:3] == ["Local", "True"] and rows["v1.apps"][1:3] == ["Local", "True"]
    assert "v2.autoscaling" in rows and "v1.example.com" not in rows
    kubectl("apply", "-f", "-", input="""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, kind: Widget}
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
""")
    embedded_cluster.wait_settled()
    svc = kubectl("get", "apiservice", "v1.example.com", "-o", "jsonpath={.spec.group} {.spec.groupPriorityMinimum} "
                  "{.metadata.labels.kube-aggregator\\.kubernetes\\.io/automanaged}").stdout
    assert svc == "example.com 1000 true"
    kubectl("delete", "crd", "widgets.example.com")
    embedded_cluster.wait_settled()
    assert kubectl("get", "apiservice", "v1.example.com", check=False).returncode == 1


def test_certificate_signing_request_records_requestor_and_approval(kubectl, tmp_path):
    key, csr = tmp_path / "key.pem", tmp_path / "req.csr"
    made = subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                           "-out", str(csr), "-subj", "/CN=alice/O=devs"], capture_output=True)
    if made.returncode != 0:
        pytest.skip("openssl cannot make a CSR here")
    request = base64.b64encode(csr.read_bytes()).decode()
    kubectl("create", "-f", "-", input=CSR_REQUEST.format(request=request))
    row = kubectl("get", "csr", "alice").stdout.splitlines()[1].split()
    assert row[2:] == ["kubernetes.io/kube-apiserver-client", "kubernetes-admin", "1d", "Pending"]
    kubectl("certificate", "approve", "alice")
    conditions = kubectl("get", "csr", "alice", "-o", "jsonpath={.status.conditions[*].type}").stdout
    assert conditions == "Approved"


def test_csi_storage_capacity_crud(kubectl):
    kubectl("apply", "-f", "-", input="""apiVersion: storage.k8s.io/v1
kind: CSIStorageCapacity
metadata: {name: cap, namespace: default}
storageClassName: standard
capacity: 10Gi
""")
    assert kubectl("get", "csistoragecapacities").stdout.splitlines()[1].split() == ["cap", "standard", "10Gi"]
