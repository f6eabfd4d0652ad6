"""CustomResourceDefinitions for the Flux-compatible kinds, installable into any cluster or exported as YAML."""

from __future__ import annotations

import time
from typing import Any

import yaml

from engine.api.duration import DURATION_PATTERN, TIMEOUT_PATTERN
from engine.api.kinds import KindInfo, register_kind, registered_kinds

Schema = dict[str, Any]

READY_COLUMNS: tuple[dict[str, Any], ...] = (
    {"jsonPath": ".metadata.creationTimestamp", "name": "Age", "type": "date"},
    {"jsonPath": '.status.conditions[?(@.type=="Ready")].status', "name": "Ready", "type": "string"},
    {"jsonPath": '.status.conditions[?(@.type=="Ready")].message', "name": "Status", "type": "string"},
)


def string(pattern: str | None = None, **extra: Any) -> Schema:
    out: Schema = {"type": "string", **extra}
    if pattern:
        out["pattern"] = pattern
    return out


def obj(properties: dict[str, Schema], required: list[str] | None = None, **extra: Any) -> Schema:
    out: Schema = {"type": "object", "properties": properties, **extra}
    if required:
        out["required"] = required
    return out


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


BOOL: Schema = {"type": "boolean"}
INT64: Schema = {"type": "integer", "format": "int64"}
STRING_MAP: Schema = {"type": "object", "additionalProperties": {"type": "string"}}
LOCAL_REF = obj({"name": string()}, ["name"])

CONDITION = obj({
    "type": string(maxLength=316),
    "status": string(enum=["True", "False", "Unknown"]),
    "observedGeneration": INT64,
    "lastTransitionTime": string(format="date-time"),
    "reason": string(maxLength=1024, minLength=1),
    "message": string(maxLength=32768),
}, ["lastTransitionTime", "message", "reason", "status", "type"])

ARTIFACT = obj({
    "path": string(), "url": string(), "revision": string(), "digest": string(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$"),
    "lastUpdateTime": string(format="date-time"), "size": INT64, "metadata": STRING_MAP,
}, ["lastUpdateTime", "path", "revision", "url"])


def common_status(extra: dict[str, Schema]) -> Schema:
    return obj({
        "observedGeneration": {**INT64, "default": -1},
        "lastHandledReconcileAt": string(),
        "conditions": array(CONDITION),
        **extra,
    })


GIT_REPOSITORY_SPEC = obj({
    "url": string(r"^(http|https|ssh|file)://.*$"),  # file:// added for lab remotes
    "secretRef": LOCAL_REF,
    "provider": string(enum=["generic", "aws", "azure", "github"]),
    "serviceAccountName": string(),
    "interval": string(DURATION_PATTERN),
    "timeout": string(TIMEOUT_PATTERN, default="60s"),
    "ref": obj({"branch": string(), "tag": string(), "semver": string(), "name": string(), "commit": string()}),
    "verify": obj({"mode": string(enum=["head", "HEAD", "Tag", "TagAndHEAD"], default="HEAD"),
                   "secretRef": LOCAL_REF}, ["secretRef"]),
    "proxySecretRef": LOCAL_REF,
    "ignore": string(),
    "suspend": BOOL,
    "recurseSubmodules": BOOL,
    "include": array(obj({"repository": LOCAL_REF, "fromPath": string(), "toPath": string()}, ["repository"])),
    "sparseCheckout": array(string()),
}, ["interval", "url"])

GIT_REPOSITORY_STATUS = common_status({
    "artifact": ARTIFACT,
    "includedArtifacts": array(ARTIFACT),
    "observedIgnore": string(),
    "observedRecurseSubmodules": BOOL,
    "observedInclude": array({"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
    "observedSparseCheckout": array(string()),
    "sourceVerificationMode": string(),
})

SELECTOR = obj({"group": string(), "version": string(), "kind": string(), "name": string(),
                "namespace": string(), "labelSelector": string(), "annotationSelector": string()})

KUSTOMIZATION_SPEC = obj({
    "sourceRef": obj({"apiVersion": string(),
                      "kind": string(enum=["OCIRepository", "GitRepository", "Bucket", "ExternalArtifact"]),
                      "name": string(), "namespace": string()}, ["kind", "name"]),
    "path": string(),
    "interval": string(DURATION_PATTERN),
    "retryInterval": string(DURATION_PATTERN),
    "timeout": string(DURATION_PATTERN),
    "prune": BOOL,
    "deletionPolicy": string(enum=["MirrorPrune", "Delete", "WaitForTermination", "Orphan"]),
    "wait": BOOL,
    "force": {**BOOL, "default": False},
    "suspend": BOOL,
    "healthChecks": array(obj({"apiVersion": string(), "kind": string(), "name": string(),
                               "namespace": string()}, ["kind", "name"])),
    "healthCheckExprs": array(obj({"apiVersion": string(), "kind": string(), "current": string(),
                                   "inProgress": string(), "failed": string()}, ["apiVersion", "current", "kind"])),
    "dependsOn": array(obj({"name": string(), "namespace": string(), "readyExpr": string()}, ["name"])),
    "targetNamespace": string(maxLength=63, minLength=1),
    "namePrefix": string(maxLength=200, minLength=1),
    "nameSuffix": string(maxLength=200, minLength=1),
    "commonMetadata": obj({"labels": STRING_MAP, "annotations": STRING_MAP}),
    "patches": array(obj({"patch": string(), "target": SELECTOR}, ["patch"])),
    "images": array(obj({"name": string(), "newName": string(), "newTag": string(), "digest": string()}, ["name"])),
    "components": array(string()),
    "ignoreMissingComponents": BOOL,
    "buildMetadata": array(string(enum=["originAnnotations", "transformerAnnotations"])),
    "postBuild": obj({
        "substitute": STRING_MAP,
        "substituteFrom": array(obj({"kind": string(enum=["Secret", "ConfigMap"]), "name": string(),
                                     "optional": {**BOOL, "default": False}}, ["kind", "name"])),
        "substituteStrategy": string(enum=["WithVariables", "Always"]),
    }),
    "ignore": array(obj({"paths": array(string()), "target": SELECTOR}, ["paths"])),
    "serviceAccountName": string(),
    "kubeConfig": obj({"secretRef": obj({"name": string(), "key": string()}, ["name"]),
                       "configMapRef": LOCAL_REF}),
    "decryption": obj({"provider": string(enum=["sops"]), "secretRef": LOCAL_REF,
                       "serviceAccountName": string()}, ["provider"]),
}, ["interval", "prune", "sourceRef"])

KUSTOMIZATION_STATUS = common_status({
    "lastAppliedRevision": string(),
    "lastAppliedOriginRevision": string(),
    "lastAttemptedRevision": string(),
    "inventory": obj({"entries": array(obj({"id": string(), "v": string()}, ["id", "v"]))}, ["entries"]),
    "history": array({"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
})

GIT_REPOSITORY = register_kind(KindInfo(
    group="source.toolkit.fluxcd.io", version="v1", kind="GitRepository", plural="gitrepositories",
    short_names=("gitrepo",), categories=("all",),
    printer_columns=({"jsonPath": ".spec.url", "name": "URL", "type": "string"},) + READY_COLUMNS,
    schema=obj({"apiVersion": string(), "kind": string(), "metadata": {"type": "object"},
                "spec": GIT_REPOSITORY_SPEC, "status": GIT_REPOSITORY_STATUS}),
))

KUSTOMIZATION = register_kind(KindInfo(
    group="kustomize.toolkit.fluxcd.io", version="v1", kind="Kustomization", plural="kustomizations",
    short_names=("ks",), categories=("all",),
    printer_columns=READY_COLUMNS,
    schema=obj({"apiVersion": string(), "kind": string(), "metadata": {"type": "object"},
                "spec": KUSTOMIZATION_SPEC, "status": KUSTOMIZATION_STATUS}),
))


def crd_manifest(info: KindInfo) -> dict[str, Any]:
    """The CustomResourceDefinition for one kind (carries `substitute: disabled` as Flux's CRDs do)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": info.crd_name,
            "labels": {"app.kubernetes.io/part-of": "flux", "app.kubernetes.io/component": "gitops-workshop"},
            "annotations": {"kustomize.toolkit.fluxcd.io/substitute": "disabled"},
        },
        "spec": {
            "group": info.group,
            "names": {"kind": info.kind, "listKind": f"{info.kind}List", "plural": info.plural,
                      "singular": info.singular, "shortNames": list(info.short_names),
                      "categories": list(info.categories)},
            "scope": "Namespaced" if info.namespaced else "Cluster",
            "versions": [{
                "name": info.version, "served": True, "storage": True,
                "additionalPrinterColumns": [dict(c) for c in info.printer_columns],
                "schema": {"openAPIV3Schema": info.schema or {"type": "object",
                                                              "x-kubernetes-preserve-unknown-fields": True}},
                "subresources": {"status": {}},
            }],
        },
    }


def crd_manifests(kinds: list[KindInfo] | None = None) -> list[dict[str, Any]]:
    """CRDs of the given kinds (default: every registered kind), sorted by name."""
    return sorted((crd_manifest(k) for k in (kinds or registered_kinds())), key=lambda c: c["metadata"]["name"])


def export_crds_yaml(kinds: list[KindInfo] | None = None) -> str:
    """All CRDs as one multi-document YAML stream, ready for `kubectl apply -f -`."""
    return "".join("---\n" + yaml.safe_dump(c, sort_keys=False) for c in crd_manifests(kinds))


def install_crds(api_client: Any, kinds: list[KindInfo] | None = None, *, timeout: float = 30.0) -> list[str]:
    """Server-side apply the CRDs and wait until each is Established; returns the CRD names."""
    from engine.client import Client

    client = api_client if isinstance(api_client, Client) else Client(api_client)
    names = []
    for crd in crd_manifests(kinds):
        client.apply(crd, field_manager="gitops-install")
        names.append(crd["metadata"]["name"])
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            live = client.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
            conds = {c.get("type"): c.get("status") for c in (live or {}).get("status", {}).get("conditions", [])}
            if conds.get("Established") == "True":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"CustomResourceDefinition {name} not Established after {timeout:.0f}s")
            time.sleep(0.05)
    client.invalidate_discovery()
    return names
