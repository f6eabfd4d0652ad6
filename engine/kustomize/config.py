"""Transformer configuration: kustomize's builtin field specs, plus `configurations:` files merged in."""

from __future__ import annotations

from .errors import KustomizeError
from .fieldspec import FieldSpec
from .resid import Gvk

_POD_SPEC = {
    "Pod": "spec",
    "PodTemplate": "template/spec",
    "Deployment": "spec/template/spec",
    "ReplicaSet": "spec/template/spec",
    "DaemonSet": "spec/template/spec",
    "StatefulSet": "spec/template/spec",
    "Job": "spec/template/spec",
    "CronJob": "spec/jobTemplate/spec/template/spec",
    "ReplicationController": "spec/template/spec",
}
_CM_WORKLOADS = (
    "Pod",
    "PodTemplate",
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
)
_SA_WORKLOADS = ("Pod", "StatefulSet", "Deployment", "ReplicationController", "CronJob", "Job", "DaemonSet")

_CM_PATHS = (
    "volumes/configMap/name",
    "containers/env/valueFrom/configMapKeyRef/name",
    "initContainers/env/valueFrom/configMapKeyRef/name",
    "containers/envFrom/configMapRef/name",
    "initContainers/envFrom/configMapRef/name",
    "volumes/projected/sources/configMap/name",
)
_SECRET_PATHS = (
    "volumes/secret/secretName",
    "containers/env/valueFrom/secretKeyRef/name",
    "initContainers/env/valueFrom/secretKeyRef/name",
    "containers/envFrom/secretRef/name",
    "initContainers/envFrom/secretRef/name",
    "imagePullSecrets/name",
    "volumes/projected/sources/secret/name",
)


def _fs(kind: str, path: str, group: str = "", version: str = "", create: bool = False) -> FieldSpec:
    return FieldSpec(Gvk(group, version, kind), path, create)


def _pod_refs(kinds: tuple[str, ...], paths: tuple[str, ...]) -> list[FieldSpec]:
    return [_fs(k, f"{_POD_SPEC[k]}/{p}", version="v1" if k == "Pod" else "") for k in kinds for p in paths]


def _default_name_references() -> dict[Gvk, list[FieldSpec]]:
    hpa = [_fs("HorizontalPodAutoscaler", "spec/scaleTargetRef/name")]
    role_names = [_fs("Role", "rules/resourceNames"), _fs("ClusterRole", "rules/resourceNames")]
    rbac = "rbac.authorization.k8s.io"
    adm = "admissionregistration.k8s.io"
    return {
        Gvk("", "", "Deployment"): hpa,
        Gvk("", "", "ReplicationController"): hpa,
        Gvk("", "", "ReplicaSet"): hpa,
        Gvk("", "", "StatefulSet"): hpa,
        Gvk("", "v1", "ConfigMap"): _pod_refs(_CM_WORKLOADS, _CM_PATHS)
        + [
            _fs("Node", "spec/configSource/configMap"),
            *role_names,
            _fs("Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap"),
        ],
        Gvk("", "v1", "Secret"): _pod_refs(_CM_WORKLOADS, _SECRET_PATHS)
        + [
            _fs("Ingress", "spec/tls/secretName"),
            _fs("Ingress", "metadata/annotations/ingress.kubernetes.io\\/auth-secret"),
            _fs("Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret"),
            _fs("Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret"),
            _fs("ServiceAccount", "imagePullSecrets/name"),
            *(
                _fs("StorageClass", f"parameters/{p}")
                for p in ("secretName", "adminSecretName", "userSecretName", "secretRef")
            ),
            *role_names,
            _fs(
                "Service",
                "spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
                "serving.knative.dev",
                "v1",
            ),
            _fs("PersistentVolume", "spec/azureFile/secretName"),
        ],
        Gvk("", "v1", "Service"): [
            _fs("StatefulSet", "spec/serviceName", "apps"),
            _fs("Ingress", "spec/rules/http/paths/backend/serviceName"),
            _fs("Ingress", "spec/backend/serviceName"),
            _fs("Ingress", "spec/rules/http/paths/backend/service/name"),
            _fs("Ingress", "spec/defaultBackend/service/name"),
            _fs("APIService", "spec/service/name", "apiregistration.k8s.io"),
            _fs("ValidatingWebhookConfiguration", "webhooks/clientConfig/service", adm),
            _fs("MutatingWebhookConfiguration", "webhooks/clientConfig/service", adm),
        ],
        Gvk(rbac, "", "Role"): [_fs("RoleBinding", "roleRef/name", rbac)],
        Gvk(rbac, "", "ClusterRole"): [
            _fs("RoleBinding", "roleRef/name", rbac),
            _fs("ClusterRoleBinding", "roleRef/name", rbac),
        ],
        Gvk("", "v1", "ServiceAccount"): [
            _fs("RoleBinding", "subjects", rbac),
            _fs("ClusterRoleBinding", "subjects", rbac),
            *(_fs(k, f"{_POD_SPEC[k]}/serviceAccountName") for k in _SA_WORKLOADS),
        ],
        Gvk("", "v1", "PersistentVolumeClaim"): [
            _fs(k, f"{_POD_SPEC[k]}/volumes/persistentVolumeClaim/claimName") for k in _SA_WORKLOADS
        ],
        Gvk("", "v1", "PersistentVolume"): [
            _fs("PersistentVolumeClaim", "spec/volumeName"),
            _fs("ClusterRole", "rules/resourceNames"),
        ],
        Gvk("storage.k8s.io", "v1", "StorageClass"): [
            _fs("PersistentVolume", "spec/storageClassName"),
            _fs("PersistentVolumeClaim", "spec/storageClassName"),
            _fs("StatefulSet", "spec/volumeClaimTemplates/spec/storageClassName"),
        ],
        Gvk("scheduling.k8s.io", "v1", "PriorityClass"): [
            _fs(k, f"{_POD_SPEC[k]}/priorityClassName") for k in _SA_WORKLOADS
        ],
        Gvk("networking.k8s.io/v1", "v1", "IngressClass"): [_fs("Ingress", "spec/ingressClassName")],
        Gvk(adm, "", "ValidatingAdmissionPolicy"): [
            _fs("ValidatingAdmissionPolicyBinding", "spec/policyName", adm)
        ],
    }


_TEMPLATE_LABELS = [
    _fs("", "metadata/labels", create=True),
    _fs("ReplicationController", "spec/template/metadata/labels", version="v1", create=True),
    _fs("Deployment", "spec/template/metadata/labels", create=True),
    _fs("ReplicaSet", "spec/template/metadata/labels", create=True),
    _fs("DaemonSet", "spec/template/metadata/labels", create=True),
    _fs("StatefulSet", "spec/template/metadata/labels", "apps", create=True),
    _fs("StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", "apps", create=True),
    _fs("Job", "spec/template/metadata/labels", "batch", create=True),
    _fs("CronJob", "spec/jobTemplate/metadata/labels", "batch", create=True),
    _fs("CronJob", "spec/jobTemplate/spec/template/metadata/labels", "batch", create=True),
]


def _affinity(kind: str) -> list[FieldSpec]:
    base = "spec/template/spec/affinity"
    tails = (
        "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    )
    return [_fs(kind, f"{base}/{t}", "apps") for t in tails] + [
        _fs(kind, "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", "apps")
    ]


_COMMON_LABELS = [
    _fs("Service", "spec/selector", version="v1", create=True),
    _fs("ReplicationController", "spec/selector", version="v1", create=True),
    _fs("Deployment", "spec/selector/matchLabels", create=True),
    *_affinity("Deployment"),
    _fs("ReplicaSet", "spec/selector/matchLabels", create=True),
    _fs("DaemonSet", "spec/selector/matchLabels", create=True),
    _fs("StatefulSet", "spec/selector/matchLabels", "apps", create=True),
    _fs("StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", "apps", create=True),
    *_affinity("StatefulSet"),
    _fs("Job", "spec/selector/matchLabels", "batch"),
    _fs("CronJob", "spec/jobTemplate/spec/selector/matchLabels", "batch"),
    _fs("PodDisruptionBudget", "spec/selector/matchLabels", "policy"),
    _fs("NetworkPolicy", "spec/podSelector/matchLabels", "networking.k8s.io"),
    _fs("NetworkPolicy", "spec/ingress/from/podSelector/matchLabels", "networking.k8s.io"),
    _fs("NetworkPolicy", "spec/egress/to/podSelector/matchLabels", "networking.k8s.io"),
    *_TEMPLATE_LABELS,
]

_COMMON_ANNOTATIONS = [
    _fs("", "metadata/annotations", create=True),
    _fs("ReplicationController", "spec/template/metadata/annotations", version="v1", create=True),
    _fs("Deployment", "spec/template/metadata/annotations", create=True),
    _fs("ReplicaSet", "spec/template/metadata/annotations", create=True),
    _fs("DaemonSet", "spec/template/metadata/annotations", create=True),
    _fs("StatefulSet", "spec/template/metadata/annotations", create=True),
    _fs("Job", "spec/template/metadata/annotations", "batch", create=True),
    _fs("CronJob", "spec/jobTemplate/metadata/annotations", "batch", create=True),
    _fs("CronJob", "spec/jobTemplate/spec/template/metadata/annotations", "batch", create=True),
]

_NAMESPACE = [
    _fs("Namespace", "metadata/name", create=True),
    _fs("APIService", "spec/service/namespace", "apiregistration.k8s.io", create=True),
    _fs(
        "CustomResourceDefinition",
        "spec/conversion/webhook/clientConfig/service/namespace",
        "apiextensions.k8s.io",
    ),
]

_IMAGES = [
    _fs("", "spec/containers[]/image", create=True),
    _fs("", "spec/initContainers[]/image", create=True),
    _fs("", "spec/template/spec/containers[]/image", create=True),
    _fs("", "spec/template/spec/initContainers[]/image", create=True),
]

_REPLICAS = [
    _fs(k, "spec/replicas", create=True)
    for k in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")
]

_VAR_CONTAINER_FIELDS = ("args", "command", "env/value", "volumeMounts/mountPath")
_VAR_POD_SPECS = {
    "CronJob": "spec/jobTemplate/spec/template/spec",
    "DaemonSet": "spec/template/spec",
    "Deployment": "spec/template/spec",
    "Job": "spec/template/spec",
    "Pod": "spec",
    "ReplicaSet": "spec/template/spec",
    "StatefulSet": "spec/template/spec",
}


def default_var_references() -> list[FieldSpec]:
    """kustomize's builtin varReference field specs."""
    out: list[FieldSpec] = []
    for kind, spec in _VAR_POD_SPECS.items():
        for c in ("containers", "initContainers"):
            out += [_fs(kind, f"{spec}/{c}/{f}") for f in _VAR_CONTAINER_FIELDS]
        if kind == "CronJob":
            out.append(_fs(kind, "spec/jobTemplate/spec/template/volumes/nfs/server"))
        elif kind == "StatefulSet":
            out.append(_fs(kind, "spec/volumeClaimTemplates/spec/nfs/server"))
        else:
            out.append(_fs(kind, f"{spec}/volumes/nfs/server"))
    out += [
        _fs("Deployment", "spec/template/metadata/annotations"),
        _fs("Ingress", "spec/rules/host"),
        _fs("Ingress", "spec/tls/hosts"),
        _fs("Ingress", "spec/tls/secretName"),
        _fs("Service", "spec/ports/port"),
        _fs("Service", "spec/ports/targetPort"),
        _fs("PersistentVolume", "spec/nfs/server"),
        _fs("", "metadata/labels"),
        _fs("", "metadata/annotations"),
    ]
    return out


LIST_FIELDS = (
    "labels",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "templateLabels",
    "commonAnnotations",
    "images",
    "replicas",
    "varReference",
)


_ORDER_FIRST = (
    "Namespace ResourceQuota StorageClass CustomResourceDefinition ServiceAccount PodSecurityPolicy Role "
    "ClusterRole RoleBinding ClusterRoleBinding ConfigMap Secret Endpoints Service LimitRange PriorityClass "
    "PersistentVolume PersistentVolumeClaim Deployment StatefulSet CronJob PodDisruptionBudget"
).split()
_TYPE_ORDERS = {
    **{k: i - len(_ORDER_FIRST) for i, k in enumerate(_ORDER_FIRST)},
    "MutatingWebhookConfiguration": 1,
    "ValidatingWebhookConfiguration": 2,
}
_GO_FIELD = {
    "namePrefix": "NamePrefix",
    "nameSuffix": "NameSuffix",
    "namespace": "NameSpace",
    "commonLabels": "CommonLabels",
    "labels": "Labels",
    "templateLabels": "TemplateLabels",
    "commonAnnotations": "CommonAnnotations",
    "varReference": "VarReference",
    "images": "Images",
    "replicas": "Replicas",
}


def _gvk_order(gvk: Gvk) -> tuple[int, str]:
    """kustomize's Gvk.IsLessThan: kind priority, then group_version_kind with ~G/~V/~K for blanks."""
    stable = f"{gvk.group or '~G'}_{gvk.version or '~V'}_{gvk.kind or '~K'}"
    return _TYPE_ORDERS.get(gvk.kind, 0), stable


def _spec_order(fs: FieldSpec) -> tuple[int, str]:
    return _gvk_order(fs.gvk)


def merge_into(into: list[FieldSpec], extra: list[FieldSpec]) -> None:
    """Append the specs of `extra` not already in `into`."""
    seen = set(into)
    for fs in extra:
        if fs not in seen:
            into.append(fs)
            seen.add(fs)


_BUILTIN: TransformerConfig | None = None  # the builtin specs, merged and sorted once per process


class TransformerConfig:
    """Field specs per transformer; `name_reference` maps a referenced kind to the fields that name it."""

    __slots__ = ("specs", "name_reference")

    def __init__(
        self,
        specs: dict[str, list[FieldSpec]] | None = None,
        name_reference: dict[Gvk, list[FieldSpec]] | None = None,
    ) -> None:
        self.specs = {} if specs is None else specs
        self.name_reference = {} if name_reference is None else name_reference

    @classmethod
    def default(cls) -> TransformerConfig:
        return cls(
            specs={
                "namePrefix": [_fs("", "metadata/name")],
                "nameSuffix": [_fs("", "metadata/name")],
                "namespace": list(_NAMESPACE),
                "commonLabels": list(_COMMON_LABELS),
                "templateLabels": list(_TEMPLATE_LABELS),
                "commonAnnotations": list(_COMMON_ANNOTATIONS),
                "images": list(_IMAGES),
                "replicas": list(_REPLICAS),
                "varReference": default_var_references(),
            },
            name_reference={k: list(v) for k, v in _default_name_references().items()},
        )

    @classmethod
    def empty(cls) -> TransformerConfig:
        return cls(specs={k: [] for k in LIST_FIELDS}, name_reference={})

    def get(self, name: str) -> list[FieldSpec]:
        return self.specs.get(name, [])

    def merge(self, other: TransformerConfig) -> None:
        """kustomize's TransformerConfig.Merge: each field spec list merged (a spec already covered by one
        whose gvk it selects, with the same path, is dropped; differing `create` is an error), then sorted
        by gvk; name references merged per referenced gvk and sorted likewise."""
        from .fieldspec import merge_specs

        for k, v in other.specs.items():
            current = self.specs.get(k) or []
            if current == v and current:
                continue  # merging a list into itself changes nothing (the common case: builtin specs)
            try:
                self.specs[k] = sorted(merge_specs(current, v), key=_spec_order)
            except KustomizeError as e:
                raise KustomizeError(f"failed to merge {_GO_FIELD.get(k, k)} fieldSpec: {e}") from None
        refs = self.name_reference
        changed = False
        for gvk, v in other.name_reference.items():
            existing = refs.get(gvk)
            if existing == v:
                continue
            changed = changed or existing is None
            try:
                refs[gvk] = merge_specs(existing or [], v)
            except KustomizeError as e:
                raise KustomizeError(f"failed to merge NameReference fieldSpec: {e}") from None
        if changed:
            self.name_reference = {g: refs[g] for g in sorted(refs, key=_gvk_order)}

    def copy(self) -> TransformerConfig:
        return TransformerConfig(
            {k: list(v) for k, v in self.specs.items()}, {g: list(v) for g, v in self.name_reference.items()}
        )

    @classmethod
    def for_kustomization(cls, configs: list[TransformerConfig]) -> TransformerConfig:
        """The builtin configuration merged with a kustomization's `configurations:` files (in order)."""
        global _BUILTIN
        if _BUILTIN is None:
            _BUILTIN = cls.empty()
            _BUILTIN.merge(cls.default())
        result = _BUILTIN.copy()
        if configs:
            user = cls.empty()
            for c in configs:
                user.merge(c)
            result.merge(user)
        return result

    @classmethod
    def from_yaml(cls, text: str, *, source: str) -> TransformerConfig:
        """Parse a `configurations:` file (nameReference, commonLabels, namePrefix, ... field specs)."""
        import yaml

        try:
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as e:
            raise KustomizeError(f"invalid transformer configuration in {source}: {e}", path=source) from None
        cfg = cls.empty()
        if data is None:
            return cfg
        if not isinstance(data, dict):
            raise KustomizeError(f"{source}: a transformer configuration must be a map", path=source)
        for key, value in data.items():
            if key == "nameReference":
                for i, entry in enumerate(value or []):
                    where = f"{source}: nameReference[{i}]"
                    if not isinstance(entry, dict):
                        raise KustomizeError(f"{where} must be a map with kind and fieldSpecs", path=source)
                    gvk = Gvk(
                        str(entry.get("group") or ""),
                        str(entry.get("version") or ""),
                        str(entry.get("kind") or ""),
                    )
                    specs = [FieldSpec.from_dict(f, where=where) for f in entry.get("fieldSpecs") or []]
                    merge_into(cfg.name_reference.setdefault(gvk, []), specs)
            elif key in LIST_FIELDS:
                if not isinstance(value, list):
                    raise KustomizeError(f"{source}: '{key}' must be a list of field specs", path=source)
                merge_into(cfg.specs[key], [FieldSpec.from_dict(f, where=f"{source}: {key}") for f in value])
            else:
                raise KustomizeError(f'{source}: json: unknown field "{key}"', path=source)
        return cfg
