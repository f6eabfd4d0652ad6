"""Kubernetes' defaulting for built-in kinds, applied in place on create/update as a real API server does.

Only fields a v1.32 API server (defaulting functions, registry strategies and default admission plugins)
fills in are written here; anything else would show up as drift in server-side apply diffs.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Callable
from typing import Any

from workshop.cluster.embedded.api import GVR, Obj
from workshop.cluster.embedded.resources import ResourceInfo

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
KUBERNETES_SERVICE_IP = "10.96.0.1"
KUBE_DNS_SERVICE_IP = "10.96.0.10"
NODE_PORT_RANGE = (30000, 32767)
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def stable_suffix(seed: str, length: int = 5) -> str:
    """A deterministic suffix from Kubernetes' name alphabet (as generateName uses)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(NAME_ALPHABET[b % len(NAME_ALPHABET)] for b in digest[:length])


def allocate_cluster_ip(namespace: str, name: str) -> str:
    """A cluster IP derived from the service's identity, so a fresh lab always shows the same addresses."""
    if (namespace, name) == ("default", "kubernetes"):
        return KUBERNETES_SERVICE_IP
    if (namespace, name) == ("kube-system", "kube-dns"):
        return KUBE_DNS_SERVICE_IP
    digest = int.from_bytes(hashlib.sha256(f"{namespace}/{name}".encode()).digest()[:4], "big")
    offset = 16 + digest % (2**16 - 32)
    return str(SERVICE_CIDR.network_address + offset)


def allocate_node_port(namespace: str, name: str, port: int) -> int:
    """A node port from 30000-32767 derived from the service and port."""
    low, high = NODE_PORT_RANGE
    digest = int.from_bytes(hashlib.sha256(f"{namespace}/{name}:{port}".encode()).digest()[:4], "big")
    return low + digest % (high - low + 1)


def _setdefault(obj: dict[str, Any], key: str, value: Any) -> None:
    if obj.get(key) is None:
        obj[key] = value


def _image_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def _probe(probe: dict[str, Any] | None) -> None:
    if not isinstance(probe, dict):
        return
    for key, value in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                       ("failureThreshold", 3)):
        _setdefault(probe, key, value)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        _setdefault(http, "scheme", "HTTP")
        _setdefault(http, "path", "/")


def _env(env: list[Any] | None) -> None:
    for var in env or []:
        ref = (var.get("valueFrom") or {}).get("fieldRef") if isinstance(var, dict) else None
        if isinstance(ref, dict):
            _setdefault(ref, "apiVersion", "v1")


def _container(container: dict[str, Any]) -> None:
    image = container.get("image")
    if isinstance(image, str) and image:
        _setdefault(container, "imagePullPolicy", _image_pull_policy(image))
    _setdefault(container, "terminationMessagePath", "/dev/termination-log")
    _setdefault(container, "terminationMessagePolicy", "File")
    _setdefault(container, "resources", {})
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            _setdefault(port, "protocol", "TCP")
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(container.get(key))
    _env(container.get("env"))


def _volumes(volumes: list[Any] | None) -> None:
    for volume in volumes or []:
        if not isinstance(volume, dict):
            continue
        for source in ("configMap", "secret"):
            if isinstance(volume.get(source), dict):
                _setdefault(volume[source], "defaultMode", 420)
        if isinstance(volume.get("projected"), dict):
            _setdefault(volume["projected"], "defaultMode", 420)
        if isinstance(volume.get("hostPath"), dict):
            _setdefault(volume["hostPath"], "type", "")
        if isinstance(volume.get("downwardAPI"), dict):
            _setdefault(volume["downwardAPI"], "defaultMode", 420)
            for item in volume["downwardAPI"].get("items") or []:
                if isinstance(item, dict) and isinstance(item.get("fieldRef"), dict):
                    _setdefault(item["fieldRef"], "apiVersion", "v1")
        if set(volume) == {"name"}:
            volume["emptyDir"] = {}


def pod_spec_defaults(spec: dict[str, Any]) -> None:
    """SetDefaults_PodSpec plus container, probe and volume defaults (templates and Pods alike)."""
    _setdefault(spec, "dnsPolicy", "ClusterFirst")
    _setdefault(spec, "restartPolicy", "Always")
    _setdefault(spec, "securityContext", {})
    _setdefault(spec, "terminationGracePeriodSeconds", 30)
    _setdefault(spec, "schedulerName", "default-scheduler")
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                _container(container)
    _volumes(spec.get("volumes"))


def _template(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict):
        template.setdefault("metadata", {})
        pod_spec = template.get("spec")
        if isinstance(pod_spec, dict):
            pod_spec_defaults(pod_spec)


def _qos_class(spec: dict[str, Any]) -> str:
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    containers = [c for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])
                  if isinstance(c, dict)]
    guaranteed = bool(containers)
    for container in containers:
        res = container.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        requests.update(req)
        limits.update(lim)
        for resource in ("cpu", "memory"):
            if resource not in lim or (resource in req and str(req[resource]) != str(lim[resource])):
                guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _pod(obj: Obj) -> None:
    meta = obj.setdefault("metadata", {})
    spec = obj.setdefault("spec", {})
    for container in spec.get("containers") or []:
        res = container.get("resources") if isinstance(container, dict) else None
        if isinstance(res, dict) and res.get("limits"):
            requests = res.setdefault("requests", {})
            for key, value in res["limits"].items():
                requests.setdefault(key, value)
    pod_spec_defaults(spec)
    _setdefault(spec, "enableServiceLinks", True)
    _setdefault(spec, "priority", 0)
    _setdefault(spec, "preemptionPolicy", "PreemptLowerPriority")
    _service_account(meta, spec)
    tolerations = spec.setdefault("tolerations", [])
    keys = {t.get("key") for t in tolerations if isinstance(t, dict)}
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if key not in keys:
            tolerations.append({"effect": "NoExecute", "key": key, "operator": "Exists",
                                "tolerationSeconds": 300})
    status = obj.setdefault("status", {})
    _setdefault(status, "phase", "Pending")
    _setdefault(status, "qosClass", _qos_class(spec))


def _service_account(meta: dict[str, Any], spec: dict[str, Any]) -> None:
    """The ServiceAccount admission plugin: default SA and the projected kube-api-access volume."""
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = account
    spec["serviceAccount"] = account
    if spec.get("automountServiceAccountToken") is False:
        return
    volumes = spec.setdefault("volumes", [])
    if any(isinstance(v, dict) and str(v.get("name", "")).startswith("kube-api-access-") for v in volumes):
        return
    seed = f"{meta.get('namespace', '')}/{meta.get('name') or meta.get('generateName', '')}"
    volume_name = f"kube-api-access-{stable_suffix(seed)}"
    volumes.append({"name": volume_name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
        {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    "path": "namespace"}]}},
    ]}})
    mount = {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": volume_name,
             "readOnly": True}
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                container.setdefault("volumeMounts", []).append(dict(mount))


def _deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    _setdefault(spec, "replicas", 1)
    strategy = spec.setdefault("strategy", {})
    _setdefault(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        _setdefault(rolling, "maxUnavailable", "25%")
        _setdefault(rolling, "maxSurge", "25%")
    _setdefault(spec, "revisionHistoryLimit", 10)
    _setdefault(spec, "progressDeadlineSeconds", 600)
    _template(spec)


def _zero_status(obj: Obj, *fields: str) -> None:
    """The non-omitempty counters a Go server always serialises, even before any controller ran."""
    status = obj.setdefault("status", {})
    for field in fields:
        _setdefault(status, field, 0)


def _replicaset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    _setdefault(spec, "replicas", 1)
    _template(spec)
    _zero_status(obj, "replicas")


def _replication_controller(obj: Obj) -> None:
    """SetDefaults_ReplicationController: selector and labels from the template's labels, one replica."""
    spec = obj.setdefault("spec", {})
    template = spec.get("template")
    labels = ((template or {}).get("metadata") or {}).get("labels") if isinstance(template, dict) else None
    if isinstance(labels, dict) and labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = obj.setdefault("metadata", {})
        if not meta.get("labels"):
            meta["labels"] = dict(labels)
    _setdefault(spec, "replicas", 1)
    _template(spec)
    _zero_status(obj, "replicas")


def _pvc_spec(spec: dict[str, Any]) -> None:
    _setdefault(spec, "volumeMode", "Filesystem")


def _statefulset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    _setdefault(spec, "replicas", 1)
    _setdefault(spec, "podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    _setdefault(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        _setdefault(rolling, "partition", 0)
    _setdefault(spec, "revisionHistoryLimit", 10)
    policy = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    _setdefault(policy, "whenDeleted", "Retain")
    _setdefault(policy, "whenScaled", "Retain")
    for claim in spec.get("volumeClaimTemplates") or []:
        if isinstance(claim, dict):
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")
            _pvc_spec(claim.setdefault("spec", {}))
            _setdefault(claim.setdefault("status", {}), "phase", "Pending")
    _template(spec)
    _zero_status(obj, "availableReplicas", "replicas")


def _daemonset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    strategy = spec.setdefault("updateStrategy", {})
    _setdefault(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        _setdefault(rolling, "maxUnavailable", 1)
        _setdefault(rolling, "maxSurge", 0)
    _setdefault(spec, "revisionHistoryLimit", 10)
    _template(spec)
    _zero_status(obj, "currentNumberScheduled", "desiredNumberScheduled", "numberMisscheduled", "numberReady")


def _job_spec(spec: dict[str, Any]) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    _setdefault(spec, "parallelism", 1)
    _setdefault(spec, "backoffLimit", 6)
    _setdefault(spec, "completionMode", "NonIndexed")
    _setdefault(spec, "suspend", False)
    if not spec.get("podFailurePolicy"):
        _setdefault(spec, "podReplacementPolicy", "TerminatingOrFailed")


def _job(obj: Obj) -> None:
    meta = obj.setdefault("metadata", {})
    spec = obj.setdefault("spec", {})
    _job_spec(spec)
    _template(spec)
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    share_labels = not meta.get("labels") and bool(template_labels)
    uid = meta.get("uid")
    if uid and not spec.get("manualSelector"):
        name = meta.get("name", "")
        _setdefault(spec, "selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
        labels.setdefault("batch.kubernetes.io/controller-uid", uid)
        labels.setdefault("batch.kubernetes.io/job-name", name)
        labels.setdefault("controller-uid", uid)
        labels.setdefault("job-name", name)
        template_labels = labels
    if share_labels and template_labels:
        meta["labels"] = dict(template_labels)


def _cronjob(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    _setdefault(spec, "concurrencyPolicy", "Allow")
    _setdefault(spec, "suspend", False)
    _setdefault(spec, "successfulJobsHistoryLimit", 3)
    _setdefault(spec, "failedJobsHistoryLimit", 1)
    job_spec = (spec.get("jobTemplate") or {}).get("spec")
    if isinstance(job_spec, dict):
        _template(job_spec)


def _service(obj: Obj) -> None:
    meta = obj.setdefault("metadata", {})
    spec = obj.setdefault("spec", {})
    _setdefault(spec, "type", "ClusterIP")
    kind = spec["type"]
    _setdefault(spec, "sessionAffinity", "None")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            _setdefault(port, "protocol", "TCP")
            if port.get("targetPort") is None and port.get("port") is not None:
                port["targetPort"] = port["port"]
            if kind in ("NodePort", "LoadBalancer") and port.get("nodePort") is None:
                port["nodePort"] = allocate_node_port(meta.get("namespace", ""), meta.get("name", ""),
                                                      int(port.get("port", 0)))
    if kind == "ExternalName":
        return
    if not spec.get("clusterIP"):
        spec["clusterIP"] = allocate_cluster_ip(meta.get("namespace", ""), meta.get("name", ""))
    _setdefault(spec, "clusterIPs", [spec["clusterIP"]])
    _setdefault(spec, "ipFamilies", ["IPv4"])
    _setdefault(spec, "ipFamilyPolicy", "SingleStack")
    _setdefault(spec, "internalTrafficPolicy", "Cluster")
    if kind in ("NodePort", "LoadBalancer"):
        _setdefault(spec, "externalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        _setdefault(spec, "allocateLoadBalancerNodePorts", True)
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


def _namespace(obj: Obj) -> None:
    meta = obj.setdefault("metadata", {})
    labels = meta.setdefault("labels", {})
    labels["kubernetes.io/metadata.name"] = meta.get("name", "")
    spec = obj.setdefault("spec", {})
    _setdefault(spec, "finalizers", ["kubernetes"])
    _setdefault(obj.setdefault("status", {}), "phase", "Active")


def _secret(obj: Obj) -> None:
    """Opaque by default; stringData is write-only: the server folds it into data (base64) and drops it."""
    _setdefault(obj, "type", "Opaque")
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = obj.get("data") or {}
        data.update({key: base64.b64encode(str(value).encode()).decode() for key, value in string_data.items()})
        obj["data"] = data


def _pvc(obj: Obj) -> None:
    _pvc_spec(obj.setdefault("spec", {}))
    _setdefault(obj.setdefault("status", {}), "phase", "Pending")


def _pv(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    _setdefault(spec, "persistentVolumeReclaimPolicy", "Retain")
    _setdefault(spec, "volumeMode", "Filesystem")
    _setdefault(obj.setdefault("status", {}), "phase", "Pending")


def _storageclass(obj: Obj) -> None:
    _setdefault(obj, "reclaimPolicy", "Delete")
    _setdefault(obj, "volumeBindingMode", "Immediate")


def _pod_template(obj: Obj) -> None:
    template = obj.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        pod_spec_defaults(template["spec"])


_DEFAULTERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("apps", "deployments"): _deployment,
    ("apps", "replicasets"): _replicaset,
    ("", "replicationcontrollers"): _replication_controller,
    ("apps", "statefulsets"): _statefulset,
    ("apps", "daemonsets"): _daemonset,
    ("batch", "jobs"): _job,
    ("batch", "cronjobs"): _cronjob,
    ("", "pods"): _pod,
    ("", "podtemplates"): _pod_template,
    ("", "services"): _service,
    ("", "namespaces"): _namespace,
    ("", "secrets"): _secret,
    ("", "persistentvolumeclaims"): _pvc,
    ("", "persistentvolumes"): _pv,
    ("storage.k8s.io", "storageclasses"): _storageclass,
}


def apply_defaults(gvr: GVR, obj: Obj) -> None:
    """Fill in the fields a Kubernetes API server defaults for this resource, in place."""
    defaulter = _DEFAULTERS.get((gvr.group, gvr.resource))
    if defaulter is not None:
        defaulter(obj)


def default_object(info: ResourceInfo, obj: Obj, subresource: str | None = None) -> None:
    """Defaults on a write: a custom resource's from its CRD version's schema (whole object, as the server
    defaults every decoded body), a built-in kind's from its defaulting functions (not on subresource writes)."""
    if info.crd is not None:
        from .crd_schema import for_info

        for_info(info).apply_defaults(obj)
    elif subresource is None:
        apply_defaults(info.gvr, obj)
