"""Resource identity as kustomize sees it: group/version/kind plus namespace and name."""

from __future__ import annotations

from typing import Any, NamedTuple

# Kinds kustomize's bundled OpenAPI schema knows as cluster-scoped, keyed by (group, kind).
CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("networking.k8s.io", "IngressClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("policy", "PodSecurityPolicy"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("authentication.k8s.io", "TokenReview"),
        ("authorization.k8s.io", "SelfSubjectAccessReview"),
        ("authorization.k8s.io", "SelfSubjectRulesReview"),
        ("authorization.k8s.io", "SubjectAccessReview"),
    }
)


_GV_CACHE: dict[str, tuple[str, str]] = {}


def split_api_version(api_version: Any) -> tuple[str, str]:
    """`apps/v1` -> ("apps", "v1"); `v1` -> ("", "v1")."""
    if not isinstance(api_version, str) or not api_version:
        return "", ""
    gv = _GV_CACHE.get(api_version)
    if gv is None:
        group, sep, version = api_version.rpartition("/")
        gv = _GV_CACHE[api_version] = (group, version) if sep else ("", api_version)
    return gv


def is_cluster_scoped(group: str, kind: str) -> bool:
    return (group, kind) in CLUSTER_SCOPED


class Gvk(NamedTuple):
    group: str
    version: str
    kind: str

    def is_selected_by(self, selector: Gvk) -> bool:
        """True when every non-empty part of `selector` equals ours (kustomize's Gvk.IsSelected)."""
        return (
            (not selector.group or selector.group == self.group)
            and (not selector.version or selector.version == self.version)
            and (not selector.kind or selector.kind == self.kind)
        )

    def __str__(self) -> str:
        return f"{self.kind or '[noKind]'}.{self.version or '[noVer]'}.{self.group or '[noGrp]'}"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


class ResId(NamedTuple):
    group: str
    version: str
    kind: str
    name: str
    namespace: str

    @property
    def gvk(self) -> Gvk:
        return Gvk(self.group, self.version, self.kind)

    @property
    def cluster_scoped(self) -> bool:
        return (self.group, self.kind) in CLUSTER_SCOPED

    @property
    def effective_namespace(self) -> str:
        if self.cluster_scoped:
            return "_non_namespaceable_"
        return self.namespace or "default"

    def equals(self, other: ResId) -> bool:
        """kustomize's ResId.Equals: same gvk and name, namespaces equal once "" means "default"."""
        return (
            self.name == other.name
            and self.kind == other.kind
            and self.group == other.group
            and self.version == other.version
            and self.effective_namespace == other.effective_namespace
        )

    def key(self) -> tuple[str, str, str, str, str]:
        """Hashable form of `equals`."""
        return (self.group, self.version, self.kind, self.name, self.effective_namespace)

    def __str__(self) -> str:
        return f"{self.gvk}/{self.name}.{self.namespace or '[noNs]'}"

    def go_repr(self) -> str:
        """The id as Go's %#v prints it (used in generator-merge errors)."""
        scoped = "true" if self.cluster_scoped else "false"
        return (
            f'resid.ResId{{Gvk:resid.Gvk{{Group:"{self.group}", Version:"{self.version}", '
            f'Kind:"{self.kind}", isClusterScoped:{scoped}}}, Name:"{self.name}", Namespace:"{self.namespace}"}}'
        )
