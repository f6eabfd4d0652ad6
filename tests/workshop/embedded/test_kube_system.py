"""kube-system looks like a kind node's: control-plane static pods, CoreDNS, kube-proxy, kindnet and the
local-path-provisioner, all Running (kubectl get pods -A)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes import client

from workshop.cluster.embedded.simulate.common import NODE_IP


def test_kube_system_runs_kinds_workloads(embedded_cluster: Any, api: Any) -> None:
    embedded_cluster.wait_settled(30)
    core = client.CoreV1Api(api)
    pods = {(p.metadata.namespace, p.metadata.name): p for p in core.list_pod_for_all_namespaces().items}
    names = sorted(name.rsplit("-", 2)[0] if name.startswith(("coredns", "local-path")) else
                   name.rsplit("-", 1)[0] if name.startswith(("kindnet", "kube-proxy")) else name
                   for _, name in pods)
    assert names == ["coredns", "coredns", "etcd-lab-control-plane", "kindnet", "kube-apiserver-lab-control-plane",
                     "kube-controller-manager-lab-control-plane", "kube-proxy", "kube-scheduler-lab-control-plane",
                     "local-path-provisioner"]
    assert all(p.status.phase == "Running" for p in pods.values())
    etcd = pods[("kube-system", "etcd-lab-control-plane")]
    assert etcd.status.pod_ip == NODE_IP and etcd.metadata.owner_references[0].kind == "Node"
    assert etcd.metadata.annotations["kubernetes.io/config.mirror"]
    dns = client.AppsV1Api(api).read_namespaced_deployment("coredns", "kube-system")
    assert dns.status.ready_replicas == 2
    assert core.read_namespaced_service("kube-dns", "kube-system").spec.cluster_ip == "10.96.0.10"
    assert {ns.metadata.name for ns in core.list_namespace().items} >= {"kube-system", "local-path-storage"}


def test_kubectl_get_pods_all_namespaces(embedded_cluster: Any, kubectl: Callable[..., Any]) -> None:
    embedded_cluster.wait_settled(30)
    rows = [line.split() for line in kubectl("get", "pods", "-A", "--no-headers").stdout.splitlines()]
    assert {row[0] for row in rows} == {"kube-system", "local-path-storage"}
    assert all(row[2] == "1/1" and row[3] == "Running" for row in rows), rows
    assert len(rows) == 9


def test_system_pods_print_their_components_startup(embedded_cluster: Any, kubectl: Callable[..., Any]) -> None:
    embedded_cluster.wait_settled(30)
    dns = kubectl("logs", "-n", "kube-system", "deployment/coredns").stdout.splitlines()
    assert dns[0] == ".:53" and "CoreDNS-1.12.0" in dns
    etcd = kubectl("logs", "-n", "kube-system", "etcd-lab-control-plane", "--tail=1").stdout
    assert etcd.startswith('{"level":"info"') and "now serving peer/client/metrics" in etcd
    proxy = kubectl("logs", "-n", "kube-system", "daemonset/kube-proxy").stdout
    assert '"Using iptables proxy"' in proxy.splitlines()[0]


def test_node_shows_the_system_pods_requests(embedded_cluster: Any, kubectl: Callable[..., Any]) -> None:
    embedded_cluster.wait_settled(30)
    described = kubectl("describe", "node", "lab-control-plane").stdout
    allocated = described.split("Allocated resources:", 1)[1]
    assert [line.split()[:3] for line in allocated.splitlines() if line.strip().startswith("cpu")] == [
        ["cpu", "950m", "(47%)"]]
