"""The served resources: the built-in kinds a learner meets plus resources registered by CRDs."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.jsonobj import Obj

from .api import GVR

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
SUB_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class ResourceInfo:
    """Everything the server needs to serve one resource in one version."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    model: str | None = None
    verbs: tuple[str, ...] = ALL_VERBS
    crd: Obj | None = field(default=None, compare=False, hash=False)

    @property
    def gvr(self) -> GVR:
        return GVR(self.group, self.version, self.plural)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        if self.crd is not None:
            return str(self.crd.get("spec", {}).get("names", {}).get("listKind") or self.kind + "List")
        return self.kind + "List"

    @property
    def group_resource(self) -> tuple[str, str]:
        return (self.group, self.plural)

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    @property
    def crd_version(self) -> Obj | None:
        """The CRD's `spec.versions[]` entry for this version (custom resources only)."""
        if self.crd is None:
            return None
        for v in self.crd.get("spec", {}).get("versions", []):
            if v.get("name") == self.version:
                return v
        return None


def _r(group: str, version: str, plural: str, kind: str, namespaced: bool = True, short: Iterable[str] = (),
       cats: Iterable[str] = (), subs: Iterable[str] = ("status",), model: str | None = None,
       singular: str | None = None, verbs: tuple[str, ...] = ALL_VERBS) -> ResourceInfo:
    return ResourceInfo(group, version, plural, singular or kind.lower(), kind, namespaced, tuple(short),
                        tuple(cats), tuple(subs), model, verbs)


BUILTIN: tuple[ResourceInfo, ...] = (
    _r("", "v1", "configmaps", "ConfigMap", short=["cm"], subs=(), model="V1ConfigMap"),
    _r("", "v1", "endpoints", "Endpoints", short=["ep"], subs=(), model="V1Endpoints", singular="endpoints"),
    _r("", "v1", "events", "Event", short=["ev"], subs=(), model="CoreV1Event"),
    _r("", "v1", "limitranges", "LimitRange", short=["limits"], subs=(), model="V1LimitRange"),
    _r("", "v1", "namespaces", "Namespace", False, short=["ns"], subs=("status", "finalize"),
       model="V1Namespace", verbs=("create", "delete", "get", "list", "patch", "update", "watch")),
    _r("", "v1", "nodes", "Node", False, short=["no"], model="V1Node"),
    _r("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", short=["pvc"],
       model="V1PersistentVolumeClaim"),
    _r("", "v1", "persistentvolumes", "PersistentVolume", False, short=["pv"], model="V1PersistentVolume"),
    _r("", "v1", "pods", "Pod", short=["po"], cats=["all"], subs=("status", "log", "exec", "attach", "portforward"),
       model="V1Pod"),
    _r("", "v1", "podtemplates", "PodTemplate", subs=(), model="V1PodTemplate"),
    _r("", "v1", "replicationcontrollers", "ReplicationController", short=["rc"], cats=["all"],
       subs=("status", "scale"), model="V1ReplicationController"),
    _r("", "v1", "resourcequotas", "ResourceQuota", short=["quota"], model="V1ResourceQuota"),
    _r("", "v1", "secrets", "Secret", subs=(), model="V1Secret"),
    _r("", "v1", "serviceaccounts", "ServiceAccount", short=["sa"], subs=("token",), model="V1ServiceAccount"),
    _r("", "v1", "services", "Service", short=["svc"], cats=["all"], model="V1Service",
       verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")),
    _r("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False,
       short=["crd", "crds"], model="V1CustomResourceDefinition"),
    _r("apps", "v1", "controllerrevisions", "ControllerRevision", subs=(), model="V1ControllerRevision"),
    _r("apps", "v1", "daemonsets", "DaemonSet", short=["ds"], cats=["all"], model="V1DaemonSet"),
    _r("apps", "v1", "deployments", "Deployment", short=["deploy"], cats=["all"], subs=("status", "scale"),
       model="V1Deployment"),
    _r("apps", "v1", "replicasets", "ReplicaSet", short=["rs"], cats=["all"], subs=("status", "scale"),
       model="V1ReplicaSet"),
    _r("apps", "v1", "statefulsets", "StatefulSet", short=["sts"], cats=["all"], subs=("status", "scale"),
       model="V1StatefulSet"),
    _r("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short=["hpa"], cats=["all"],
       model="V2HorizontalPodAutoscaler"),
    _r("batch", "v1", "cronjobs", "CronJob", short=["cj"], cats=["all"], model="V1CronJob"),
    _r("batch", "v1", "jobs", "Job", cats=["all"], model="V1Job"),
    _r("coordination.k8s.io", "v1", "leases", "Lease", subs=(), model="V1Lease"),
    _r("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", subs=(), model="V1EndpointSlice"),
    _r("events.k8s.io", "v1", "events", "Event", short=["ev"], subs=(), model="EventsV1Event"),
    _r("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False, subs=(), model="V1IngressClass"),
    _r("networking.k8s.io", "v1", "ingresses", "Ingress", short=["ing"], model="V1Ingress"),
    _r("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", short=["netpol"], subs=(),
       model="V1NetworkPolicy", singular="networkpolicy"),
    _r("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", short=["pdb"],
       model="V1PodDisruptionBudget"),
    _r("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False, subs=(),
       model="V1ClusterRoleBinding"),
    _r("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False, subs=(), model="V1ClusterRole"),
    _r("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", subs=(), model="V1RoleBinding"),
    _r("rbac.authorization.k8s.io", "v1", "roles", "Role", subs=(), model="V1Role"),
    _r("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, short=["sc"], subs=(),
       model="V1StorageClass"),
    _r("storage.k8s.io", "v1", "csistoragecapacities", "CSIStorageCapacity", subs=(),
       model="V1CSIStorageCapacity"),
    _r("apiregistration.k8s.io", "v1", "apiservices", "APIService", False, cats=["api-extensions"],
       model="V1APIService"),
    _r("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", False,
       short=["csr"], subs=("status", "approval"), model="V1CertificateSigningRequest"),
    # create-only reviews, answered by auth.reviews and never stored
    _r("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", False, subs=(),
       model="V1SelfSubjectReview", verbs=("create",)),
    _r("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", False, subs=(), model="V1TokenReview",
       verbs=("create",)),
    _r("authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", subs=(),
       model="V1LocalSubjectAccessReview", verbs=("create",)),
    _r("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False, subs=(),
       model="V1SelfSubjectAccessReview", verbs=("create",)),
    _r("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", False, subs=(),
       model="V1SelfSubjectRulesReview", verbs=("create",)),
    _r("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", False, subs=(),
       model="V1SubjectAccessReview", verbs=("create",)),
)

#: Group order in /apis, as a real server lists them (built-ins first, CRD groups after, alphabetically).
BUILTIN_GROUP_ORDER = ("apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io",
                       "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io",
                       "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "apiextensions.k8s.io",
                       "coordination.k8s.io", "discovery.k8s.io")


class Registry:
    """Thread-safe lookup of served resources; CRDs add and remove entries at run time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_gvr: dict[GVR, ResourceInfo] = {r.gvr: r for r in BUILTIN}
        self.generation = 0

    def get(self, gvr: GVR) -> ResourceInfo | None:
        return self._by_gvr.get(gvr)

    def find(self, group: str, version: str, plural: str) -> ResourceInfo | None:
        return self._by_gvr.get(GVR(group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceInfo | None:
        for r in list(self._by_gvr.values()):
            if r.api_version == api_version and r.kind == kind:
                return r
        return None

    def all(self) -> list[ResourceInfo]:
        return list(self._by_gvr.values())

    def for_group_version(self, group: str, version: str) -> list[ResourceInfo]:
        return sorted((r for r in list(self._by_gvr.values()) if r.group == group and r.version == version),
                      key=lambda r: r.plural)

    def group_versions(self) -> dict[str, list[str]]:
        """Non-core groups → served versions, preferred first, in discovery order."""
        groups: dict[str, list[str]] = {}
        for r in list(self._by_gvr.values()):
            if r.group:
                vs = groups.setdefault(r.group, [])
                if r.version not in vs:
                    vs.append(r.version)
        order = {g: i for i, g in enumerate(BUILTIN_GROUP_ORDER)}
        for vs in groups.values():
            vs.sort(key=_version_priority)
        return dict(sorted(groups.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))

    def storage_version(self, group: str, plural: str) -> str | None:
        for r in list(self._by_gvr.values()):
            if r.group == group and r.plural == plural:
                crd = r.crd
                if crd is None:
                    return r.version
                for v in crd["spec"]["versions"]:
                    if v.get("storage"):
                        return str(v["name"])
                return r.version
        return None

    def register_crd(self, crd: Obj) -> list[ResourceInfo]:
        """Serve every served version of a CRD; returns the new entries."""
        spec = crd.get("spec", {})
        names = spec.get("names", {})
        group = spec.get("group", "")
        plural = names.get("plural", "")
        infos = []
        for v in spec.get("versions", []):
            if not v.get("served", True):
                continue
            subs = tuple(s for s in ("status", "scale") if s in (v.get("subresources") or {}))
            infos.append(ResourceInfo(group, v["name"], plural, names.get("singular") or names.get("kind", "").lower(),
                                      names.get("kind", ""), spec.get("scope", "Namespaced") == "Namespaced",
                                      tuple(names.get("shortNames") or ()), tuple(names.get("categories") or ()),
                                      subs, None, ALL_VERBS, crd))
        with self._lock:
            for gvr in [g for g, r in self._by_gvr.items() if r.group == group and r.plural == plural]:
                del self._by_gvr[gvr]
            for info in infos:
                self._by_gvr[info.gvr] = info
            self.generation += 1
        return infos

    def unregister_crd(self, group: str, plural: str) -> None:
        with self._lock:
            for gvr in [g for g, r in self._by_gvr.items() if r.group == group and r.plural == plural
                        and r.crd is not None]:
                del self._by_gvr[gvr]
            self.generation += 1


def _version_priority(v: str) -> tuple[int, int, int, str]:
    """Kubernetes version ordering: GA > beta > alpha, higher numbers first."""
    import re

    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", v)
    if not m:
        return (3, 0, 0, v)
    major = int(m.group(1))
    stage = {"alpha": 2, "beta": 1, None: 0}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor, v)
