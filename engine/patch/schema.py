"""Patch strategies and merge keys of built-in Kubernetes kinds, for strategic merge patch and server-side apply.

Hand-written from the Go API types (k8s.io/api v0.32): the `patchStrategy`/`patchMergeKey` struct tags drive
strategic merge patch, the `+listType`/`+listMapKey` markers drive server-side apply. A path is a tuple of field
names from the object root; list items are transparent (`("spec", "containers", "env")` is the env list of every
container). Lists not in the table are atomic: SMP replaces them, SSA owns them as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

ListType = Literal["atomic", "map", "set"]


class ListStrategy(NamedTuple):
    """How a list is merged: `type`/`keys` for server-side apply, `merge_key`/`smp_merge` for strategic merge."""

    type: ListType = "atomic"
    keys: tuple[str, ...] = ()
    smp_merge: bool = False
    merge_key: str | None = None
    key_defaults: tuple[tuple[str, object], ...] = ()

    @property
    def atomic(self) -> bool:
        return self.type == "atomic"


ATOMIC = ListStrategy()


def _keyed(smp_key: str, *ssa_keys: str, defaults: tuple[tuple[str, object], ...] = ()) -> ListStrategy:
    return ListStrategy("map", ssa_keys or (smp_key,), True, smp_key, defaults)


def _smp_only(smp_key: str) -> ListStrategy:
    """Merged by key in strategic merge patch but atomic for server-side apply."""
    return ListStrategy("atomic", (), True, smp_key)


def _ssa_map(*keys: str) -> ListStrategy:
    """A map list for server-side apply that strategic merge patch replaces."""
    return ListStrategy("map", keys, False, None)


SET = ListStrategy("set", (), True, None)
SSA_SET = ListStrategy("set", (), False, None)
_TCP = (("protocol", "TCP"),)


class L(NamedTuple):
    """A list field: its strategy and the type of its items (a struct name or None for scalars)."""

    strategy: ListStrategy
    item: str | None = None


FieldType = str | L

# struct name -> field name -> struct name or list; scalars and plain maps are absent
TYPES: dict[str, dict[str, FieldType]] = {
    "ObjectMeta": {
        "finalizers": L(SET),
        "ownerReferences": L(_keyed("uid"), "OwnerReference"),
        "managedFields": L(ATOMIC),
    },
    "OwnerReference": {},
    "LabelSelector": {"matchExpressions": L(ATOMIC)},
    "PodTemplateSpec": {"metadata": "ObjectMeta", "spec": "PodSpec"},
    "PodSpec": {
        "volumes": L(_keyed("name"), "Volume"),
        "initContainers": L(_keyed("name"), "Container"),
        "containers": L(_keyed("name"), "Container"),
        "ephemeralContainers": L(_keyed("name"), "Container"),
        "imagePullSecrets": L(_keyed("name")),
        "hostAliases": L(_keyed("ip"), "HostAlias"),
        "tolerations": L(ATOMIC),
        "topologySpreadConstraints": L(
            _keyed("topologyKey", "topologyKey", "whenUnsatisfiable"), "TopologySpreadConstraint"
        ),
        "readinessGates": L(ATOMIC),
        "resourceClaims": L(_keyed("name")),
        "schedulingGates": L(_keyed("name")),
        "securityContext": "PodSecurityContext",
        "affinity": "Affinity",
        "dnsConfig": "PodDNSConfig",
    },
    "HostAlias": {"hostnames": L(ATOMIC)},
    "TopologySpreadConstraint": {"labelSelector": "LabelSelector", "matchLabelKeys": L(ATOMIC)},
    "PodSecurityContext": {"supplementalGroups": L(ATOMIC), "sysctls": L(ATOMIC)},
    "PodDNSConfig": {"nameservers": L(ATOMIC), "searches": L(ATOMIC), "options": L(ATOMIC)},
    "Affinity": {"nodeAffinity": "NodeAffinity"},
    "NodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": "NodeSelector"},
    "NodeSelector": {},
    "Volume": {
        "projected": "ProjectedVolumeSource",
        "configMap": "KeyToPathSource",
        "secret": "KeyToPathSource",
        "downwardAPI": "DownwardAPIVolumeSource",
    },
    "ProjectedVolumeSource": {"sources": L(ATOMIC)},
    "KeyToPathSource": {"items": L(ATOMIC)},
    "DownwardAPIVolumeSource": {"items": L(ATOMIC)},
    "Container": {
        "command": L(ATOMIC),
        "args": L(ATOMIC),
        "ports": L(_keyed("containerPort", "containerPort", "protocol", defaults=_TCP)),
        "envFrom": L(ATOMIC),
        "env": L(_keyed("name"), "EnvVar"),
        "volumeMounts": L(_keyed("mountPath")),
        "volumeDevices": L(_keyed("devicePath")),
        "resizePolicy": L(ATOMIC),
        "resources": "ResourceRequirements",
        "securityContext": "SecurityContext",
    },
    "EnvVar": {"valueFrom": "EnvVarSource"},
    "EnvVarSource": {
        "configMapKeyRef": "KeySelector",
        "secretKeyRef": "KeySelector",
        "fieldRef": "KeySelector",
        "resourceFieldRef": "KeySelector",
    },
    "KeySelector": {},
    "ResourceRequirements": {"claims": L(_ssa_map("name"))},
    "SecurityContext": {"capabilities": "Capabilities"},
    "Capabilities": {"add": L(ATOMIC), "drop": L(ATOMIC)},
    "PodStatus": {
        "conditions": L(_keyed("type"), "Condition"),
        "podIPs": L(_keyed("ip")),
        "hostIPs": L(_smp_only("ip")),
        "containerStatuses": L(ATOMIC),
        "initContainerStatuses": L(ATOMIC),
        "ephemeralContainerStatuses": L(ATOMIC),
        "resourceClaimStatuses": L(_keyed("name")),
    },
    "Condition": {},
    "WorkloadStatus": {"conditions": L(_keyed("type"), "Condition")},
    "DeploymentSpec": {"selector": "LabelSelector", "template": "PodTemplateSpec"},
    "StatefulSetSpec": {
        "selector": "LabelSelector",
        "template": "PodTemplateSpec",
        "volumeClaimTemplates": L(ATOMIC),
    },
    "JobSpec": {"selector": "LabelSelector", "template": "PodTemplateSpec"},
    "JobStatus": {"conditions": L(_smp_only("type")), "uncountedTerminatedPods": "UncountedTerminatedPods"},
    "UncountedTerminatedPods": {"succeeded": L(SSA_SET), "failed": L(SSA_SET)},
    "JobTemplateSpec": {"metadata": "ObjectMeta", "spec": "JobSpec"},
    "CronJobSpec": {"jobTemplate": "JobTemplateSpec"},
    "CronJobStatus": {"active": L(ATOMIC)},
    "ReplicationControllerSpec": {"template": "PodTemplateSpec"},
    "ServiceSpec": {
        "ports": L(_keyed("port", "port", "protocol", defaults=_TCP)),
        "externalIPs": L(ATOMIC),
        "clusterIPs": L(ATOMIC),
        "ipFamilies": L(ATOMIC),
        "loadBalancerSourceRanges": L(ATOMIC),
    },
    "ServiceStatus": {"conditions": L(_keyed("type"), "Condition"), "loadBalancer": "LoadBalancerStatus"},
    "LoadBalancerStatus": {"ingress": L(ATOMIC)},
    "NamespaceSpec": {"finalizers": L(ATOMIC)},
    "PersistentVolumeClaimSpec": {"accessModes": L(ATOMIC), "selector": "LabelSelector"},
    "PersistentVolumeSpec": {
        "accessModes": L(ATOMIC),
        "mountOptions": L(ATOMIC),
        "claimRef": "ObjectReference",
    },
    "ObjectReference": {},
    "Webhook": {"namespaceSelector": "LabelSelector", "objectSelector": "LabelSelector", "rules": L(ATOMIC)},
    "NodeSpec": {"taints": L(ATOMIC), "podCIDRs": L(SET)},
    "NodeStatus": {
        "conditions": L(_keyed("type"), "Condition"),
        "addresses": L(_smp_only("type")),
        "images": L(ATOMIC),
        "volumesInUse": L(ATOMIC),
        "volumesAttached": L(ATOMIC),
    },
    "PodDisruptionBudgetSpec": {"selector": "LabelSelector"},
    "HorizontalPodAutoscalerSpec": {"metrics": L(ATOMIC)},
    "CustomResourceDefinitionSpec": {"versions": L(ATOMIC)},
    "CustomResourceDefinitionStatus": {"conditions": L(_ssa_map("type")), "storedVersions": L(ATOMIC)},
}

# structs marked `+structType=atomic`: server-side apply owns them as a whole
ATOMIC_STRUCTS = frozenset({"LabelSelector", "KeySelector", "NodeSelector", "ObjectReference"})

_STATUS = "WorkloadStatus"
_WORKLOAD_ROOTS: dict[str, str] = {
    "Deployment": "DeploymentSpec",
    "ReplicaSet": "DeploymentSpec",
    "DaemonSet": "DeploymentSpec",
    "StatefulSet": "StatefulSetSpec",
}

# (group, kind) -> top-level field -> struct name
ROOTS: dict[tuple[str, str], dict[str, FieldType]] = {
    ("", "Pod"): {"spec": "PodSpec", "status": "PodStatus"},
    ("", "PodTemplate"): {"template": "PodTemplateSpec"},
    ("", "ReplicationController"): {"spec": "ReplicationControllerSpec", "status": _STATUS},
    ("", "Service"): {"spec": "ServiceSpec", "status": "ServiceStatus"},
    ("", "Namespace"): {"spec": "NamespaceSpec", "status": _STATUS},
    ("", "ServiceAccount"): {"secrets": L(_keyed("name")), "imagePullSecrets": L(ATOMIC)},
    ("", "PersistentVolumeClaim"): {"spec": "PersistentVolumeClaimSpec", "status": _STATUS},
    ("", "Node"): {"spec": "NodeSpec", "status": "NodeStatus"},
    ("", "PersistentVolume"): {"spec": "PersistentVolumeSpec"},
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): {
        "webhooks": L(_keyed("name"), "Webhook")
    },
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): {
        "webhooks": L(_keyed("name"), "Webhook")
    },
    **{("apps", kind): {"spec": spec, "status": _STATUS} for kind, spec in _WORKLOAD_ROOTS.items()},
    **{("extensions", kind): {"spec": spec, "status": _STATUS} for kind, spec in _WORKLOAD_ROOTS.items()},
    ("batch", "Job"): {"spec": "JobSpec", "status": "JobStatus"},
    ("batch", "CronJob"): {"spec": "CronJobSpec", "status": "CronJobStatus"},
    ("policy", "PodDisruptionBudget"): {"spec": "PodDisruptionBudgetSpec", "status": _STATUS},
    ("autoscaling", "HorizontalPodAutoscaler"): {"spec": "HorizontalPodAutoscalerSpec", "status": _STATUS},
    ("apiextensions.k8s.io", "CustomResourceDefinition"): {
        "spec": "CustomResourceDefinitionSpec",
        "status": "CustomResourceDefinitionStatus",
    },
}

# Kinds whose lists Kubernetes knows (everything under core and the built-in groups); other groups are custom.
BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "node.k8s.io",
        "apiextensions.k8s.io",
        "admissionregistration.k8s.io",
        "apiregistration.k8s.io",
        "certificates.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "extensions",
    }
)


def group_of(api_version: str) -> str:
    """The API group of an apiVersion (`apps/v1` -> `apps`, `v1` -> ``)."""
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def is_builtin(api_version: str) -> bool:
    """Whether the apiVersion belongs to a Kubernetes built-in group (not a custom resource)."""
    return group_of(api_version) in BUILTIN_GROUPS


def _field_type(api_version: str, kind: str, path: tuple[str, ...]) -> FieldType | None:
    if not path:
        return None
    if path[0] == "metadata":
        current: FieldType | None = "ObjectMeta"
    else:
        current = ROOTS.get((group_of(api_version), kind), {}).get(path[0])
    for name in path[1:]:
        struct = current.item if isinstance(current, L) else current
        if struct is None:
            return None
        current = TYPES[struct].get(name)
        if current is None:
            return None
    return current


def list_strategy(api_version: str, kind: str, path: tuple[str, ...]) -> ListStrategy:
    """The merge strategy of the list at `path` in an object of this apiVersion/kind; atomic when unknown."""
    found = _field_type(api_version, kind, path)
    return found.strategy if isinstance(found, L) else ATOMIC


def is_atomic_map(api_version: str, kind: str, path: tuple[str, ...]) -> bool:
    """Whether the map at `path` is an atomic struct for server-side apply (e.g. a Deployment's selector)."""
    return _field_type(api_version, kind, path) in ATOMIC_STRUCTS


SchemaLookup = Callable[[tuple[str, ...]], ListStrategy]


def schema_for(api_version: str, kind: str) -> SchemaLookup:
    """A lookup bound to one apiVersion/kind, as strategic merge patch and server-side apply take it."""
    return lambda path: list_strategy(api_version, kind, path)
