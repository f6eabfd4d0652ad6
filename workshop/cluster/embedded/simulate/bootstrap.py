"""What a fresh single-node kind cluster has before anything is applied."""

from __future__ import annotations

from typing import Any

from workshop.cluster.embedded.api import GVR, Obj, ObjectStore, StoreError

from .common import (
    DEFAULT_CLASS_ANNOTATION,
    ENDPOINTS,
    KUBERNETES_VERSION,
    NAMESPACES,
    NODE_IP,
    NODE_NAME,
    NODES,
    SERVICES,
    STORAGECLASSES,
)
from .core import Clock, Context
from .namespaces import NamespaceDefaults

SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
ENDPOINTSLICES = GVR("discovery.k8s.io", "v1", "endpointslices")

_RESOURCES = {"cpu": "2", "ephemeral-storage": "61202244Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
              "memory": "8029180Ki", "pods": "110"}


def _create(store: ObjectStore, gvr: GVR, obj: Obj) -> Obj | None:
    try:
        return store.create(gvr, obj)
    except StoreError as err:
        if err.code == 409:
            return store.get(gvr, obj["metadata"].get("namespace"), obj["metadata"]["name"])
        if err.code == 404 and gvr == ENDPOINTSLICES:
            return None
        raise


def _set_status(store: ObjectStore, gvr: GVR, obj: Obj | None, status: dict[str, Any]) -> None:
    if obj is None or obj.get("status") == status:
        return
    updated = dict(obj)
    updated["status"] = status
    store.update(gvr, updated, subresource="status")


def node(now: str) -> tuple[Obj, dict[str, Any]]:
    """The lab's node `lab-control-plane` and its status, as the kubelet registers it on kind."""
    obj = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "annotations": {"kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
                            "node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
            "labels": {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                       "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": NODE_NAME,
                       "kubernetes.io/os": "linux", "node-role.kubernetes.io/control-plane": "",
                       "node.kubernetes.io/exclude-from-external-load-balancers": ""},
        },
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"],
                 "providerID": f"kind://docker/lab/{NODE_NAME}"},
    }

    def cond(type_: str, status: str, reason: str, message: str) -> dict[str, str]:
        return {"lastHeartbeatTime": now, "lastTransitionTime": now, "message": message, "reason": reason,
                "status": status, "type": type_}

    status = {
        "addresses": [{"address": NODE_IP, "type": "InternalIP"}, {"address": NODE_NAME, "type": "Hostname"}],
        "allocatable": dict(_RESOURCES),
        "capacity": dict(_RESOURCES),
        "conditions": [
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {"architecture": "amd64", "bootID": "5f1c2d0e-0b7a-4c5e-9d8f-6a3b2c1d0e9f",
                     "containerRuntimeVersion": "containerd://1.7.24", "kernelVersion": "6.1.0-lab",
                     "kubeProxyVersion": KUBERNETES_VERSION, "kubeletVersion": KUBERNETES_VERSION,
                     "machineID": "9a8b7c6d5e4f40318293a4b5c6d7e8f9", "operatingSystem": "linux",
                     "osImage": "Debian GNU/Linux 12 (bookworm)",
                     "systemUUID": "2b1c0d9e-8f7a-4b6c-5d4e-3f2a1b0c9d8e"},
    }
    return obj, status


def bootstrap(store: ObjectStore, *, clock: Clock | None = None, system_workloads: bool = False,
              ca_bundle: str | None = None) -> None:
    """Create the namespaces, node, default StorageClass, `kubernetes` Service, default RBAC policy and
    per-namespace defaults; with system_workloads, kind's kube-system pods too (simulate.system)."""
    clock = clock or Clock()
    for name in SYSTEM_NAMESPACES:
        _create(store, NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    obj, status = node(clock.stamp())
    _set_status(store, NODES, _create(store, NODES, obj), status)
    _create(store, STORAGECLASSES, {
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "standard", "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"})
    _create(store, SERVICES, {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                                      "targetPort": 6443}],
                 "sessionAffinity": "None", "type": "ClusterIP"}})
    _create(store, ENDPOINTS, {
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": NODE_IP}], "ports": [{"name": "https", "port": 6443,
                                                               "protocol": "TCP"}]}]})
    _create(store, ENDPOINTSLICES, {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [NODE_IP], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]})
    from .rbac import bootstrap_rbac

    bootstrap_rbac(store)
    if system_workloads:
        from .system import bootstrap_system

        bootstrap_system(store)
    ctx = Context(store, clock, lambda image: True, lambda key: None, lambda key, at: None)
    namespaces = NamespaceDefaults(ca_bundle)
    for ns in store.list(NAMESPACES):
        namespaces.reconcile(ctx, None, ns["metadata"]["name"])
