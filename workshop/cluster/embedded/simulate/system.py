"""A kind node's own workloads, so `kubectl get pods -A` looks like kind's: the control-plane static pods (mirror
pods owned by the node), CoreDNS and its kube-dns Service, kube-proxy and kindnet DaemonSets, and the
local-path-provisioner in local-path-storage. Their images are preloaded on the node, as on a kind node image."""

from __future__ import annotations

from typing import Any

from workshop.cluster.embedded.api import GVR, Obj, ObjectStore, StoreError

from .common import KUBERNETES_VERSION, NAMESPACES, NODE_IP, NODE_NAME, NODES, SERVICES

PODS = GVR("", "v1", "pods")
DEPLOYMENTS = GVR("apps", "v1", "deployments")
DAEMONSETS = GVR("apps", "v1", "daemonsets")
K8S_VERSION = KUBERNETES_VERSION

#: images a kind node image carries (pulled as "already present on machine", whatever the lab's registry holds)
PRELOADED = (
    f"registry.k8s.io/kube-apiserver:{K8S_VERSION}", f"registry.k8s.io/kube-controller-manager:{K8S_VERSION}",
    f"registry.k8s.io/kube-scheduler:{K8S_VERSION}", f"registry.k8s.io/kube-proxy:{K8S_VERSION}",
    "registry.k8s.io/etcd:3.5.21-0", "registry.k8s.io/coredns/coredns:v1.12.0", "registry.k8s.io/pause:3.10",
    "docker.io/kindest/kindnetd:v20250512-df8de77b",
    "docker.io/kindest/local-path-provisioner:v20250214-acbabc1a",
    "docker.io/kindest/local-path-helper:v20250214-acbabc1a",
)
SYSTEM_CRITICAL = {"priorityClassName": "system-node-critical", "priority": 2000001000}


#: what kubeadm and kind's manifests request (kubectl describe node: cpu 950m (47%) on a fresh kind node)
RESOURCES: dict[str, dict[str, Any]] = {
    "etcd": {"requests": {"cpu": "100m", "memory": "100Mi"}},
    "kube-apiserver": {"requests": {"cpu": "250m"}},
    "kube-controller-manager": {"requests": {"cpu": "200m"}},
    "kube-scheduler": {"requests": {"cpu": "100m"}},
    "coredns": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
    "kindnet-cni": {"limits": {"cpu": "100m", "memory": "50Mi"}, "requests": {"cpu": "100m", "memory": "50Mi"}},
}


def _container(name: str, image: str, command: list[str], **extra: Any) -> dict[str, Any]:
    container = {"name": name, "image": image, "command": command, "imagePullPolicy": "IfNotPresent", **extra}
    if name in RESOURCES:
        container["resources"] = {kind: dict(amounts) for kind, amounts in RESOURCES[name].items()}
    return container


def static_pods(node_uid: str) -> list[Obj]:
    """The kubeadm control plane as mirror pods (`<component>-<node>`), owned by the node."""
    components = [
        ("etcd", "registry.k8s.io/etcd:3.5.21-0", ["etcd", f"--advertise-client-urls=https://{NODE_IP}:2379",
                                                   "--data-dir=/var/lib/etcd"]),
        ("kube-apiserver", f"registry.k8s.io/kube-apiserver:{K8S_VERSION}",
         ["kube-apiserver", f"--advertise-address={NODE_IP}", "--authorization-mode=Node,RBAC",
          "--secure-port=6443", "--service-cluster-ip-range=10.96.0.0/16"]),
        ("kube-controller-manager", f"registry.k8s.io/kube-controller-manager:{K8S_VERSION}",
         ["kube-controller-manager", "--cluster-cidr=10.244.0.0/16", "--leader-elect=true"]),
        ("kube-scheduler", f"registry.k8s.io/kube-scheduler:{K8S_VERSION}",
         ["kube-scheduler", "--leader-elect=true"]),
    ]
    pods = []
    for component, image, command in components:
        pods.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": f"{component}-{NODE_NAME}", "namespace": "kube-system",
                "labels": {"component": component, "tier": "control-plane"},
                "annotations": {"kubernetes.io/config.source": "file", "kubernetes.io/config.seen": "",
                                "kubernetes.io/config.mirror": component, "kubernetes.io/config.hash": component},
                "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": NODE_NAME, "uid": node_uid,
                                     "controller": True}],
            },
            "spec": {"containers": [_container(component, image, command)], "hostNetwork": True,
                     "nodeName": NODE_NAME, "restartPolicy": "Always", **SYSTEM_CRITICAL,
                     "tolerations": [{"effect": "NoExecute", "operator": "Exists"}]},
        })
    return pods


def _workload(kind: str, name: str, namespace: str, labels: dict[str, str], spec: dict[str, Any],
              replicas: int | None = None) -> Obj:
    body: dict[str, Any] = {"selector": {"matchLabels": labels},
                            "template": {"metadata": {"labels": labels}, "spec": spec}}
    if replicas is not None:
        body["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": namespace,
                                                                 "labels": dict(labels)}, "spec": body}


def workloads() -> list[tuple[GVR, Obj]]:
    """CoreDNS, kube-proxy, kindnet and the local-path-provisioner as kind deploys them."""
    coredns = _workload("Deployment", "coredns", "kube-system", {"k8s-app": "kube-dns"}, {
        "containers": [_container("coredns", "registry.k8s.io/coredns/coredns:v1.12.0", ["/coredns"],
                                  args=["-conf", "/etc/coredns/Corefile"],
                                  ports=[{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                         {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                                         {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}])],
        "priorityClassName": "system-cluster-critical", "serviceAccountName": "coredns",
        "dnsPolicy": "Default"}, replicas=2)
    proxy = _workload("DaemonSet", "kube-proxy", "kube-system", {"k8s-app": "kube-proxy"}, {
        "containers": [_container("kube-proxy", f"registry.k8s.io/kube-proxy:{K8S_VERSION}",
                                  ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                                   "--hostname-override=$(NODE_NAME)"])],
        "hostNetwork": True, "priorityClassName": "system-node-critical", "serviceAccountName": "kube-proxy"})
    kindnet = _workload("DaemonSet", "kindnet", "kube-system", {"app": "kindnet"}, {
        "containers": [_container("kindnet-cni", "docker.io/kindest/kindnetd:v20250512-df8de77b",
                                  ["/bin/kindnetd"])],
        "hostNetwork": True, "serviceAccountName": "kindnet"})
    kindnet["metadata"]["labels"] = {"app": "kindnet", "k8s-app": "kindnet", "tier": "node"}
    provisioner = _workload("Deployment", "local-path-provisioner", "local-path-storage",
                            {"app": "local-path-provisioner"}, {
        "containers": [_container("local-path-provisioner",
                                  "docker.io/kindest/local-path-provisioner:v20250214-acbabc1a",
                                  ["local-path-provisioner", "--debug", "start", "--helper-image",
                                   "docker.io/kindest/local-path-helper:v20250214-acbabc1a", "--config",
                                   "/etc/config/config.json"])],
        "serviceAccountName": "local-path-provisioner-service-account"}, replicas=1)
    return [(DEPLOYMENTS, coredns), (DAEMONSETS, proxy), (DAEMONSETS, kindnet), (DEPLOYMENTS, provisioner)]


def kube_dns_service() -> Obj:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system",
                         "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                    "kubernetes.io/name": "CoreDNS"},
                         "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
            "spec": {"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"}, "type": "ClusterIP",
                     "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                               {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                               {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}}


def _create(store: ObjectStore, gvr: GVR, obj: Obj) -> None:
    try:
        store.create(gvr, obj)
    except StoreError as err:
        if err.code != 409:
            raise


def bootstrap_system(store: ObjectStore) -> None:
    """Create kind's system workloads (the simulation brings their pods up)."""
    node = store.get(NODES, None, NODE_NAME)
    _create(store, NAMESPACES, {"apiVersion": "v1", "kind": "Namespace",
                                "metadata": {"name": "local-path-storage"}})
    for sa, ns in (("coredns", "kube-system"), ("kube-proxy", "kube-system"), ("kindnet", "kube-system"),
                   ("local-path-provisioner-service-account", "local-path-storage")):
        _create(store, GVR("", "v1", "serviceaccounts"), {"apiVersion": "v1", "kind": "ServiceAccount",
                                                          "metadata": {"name": sa, "namespace": ns}})
    _create(store, SERVICES, kube_dns_service())
    for gvr, obj in workloads():
        _create(store, gvr, obj)
    if node is not None:
        for pod in static_pods(node["metadata"].get("uid", "")):
            _create(store, PODS, pod)
