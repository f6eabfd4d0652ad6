"""CRDs of the Helm kinds: `source.toolkit.fluxcd.io/v1` HelmRepository and HelmChart, and
`helm.toolkit.fluxcd.io/v2` HelmRelease, with Flux's short names, categories, printer columns and field schemas
(source-controller v1.9, helm-controller v1.6; structural, so the API server prunes unknown fields as Flux's
CRDs make it do). Importing the module registers the three kinds.
"""

from __future__ import annotations

import json
from typing import Any

from engine.api.crds import (
    ARTIFACT,
    BOOL,
    INT64,
    LOCAL_REF,
    READY_COLUMNS,
    SELECTOR,
    STRING_MAP,
    Schema,
    array,
    common_status,
    obj,
    string,
)
from engine.api.duration import DURATION_PATTERN, TIMEOUT_PATTERN
from engine.api.kinds import KindInfo, register_kind

SOURCE_GROUP = "source.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"
_ANY: Schema = {"x-kubernetes-preserve-unknown-fields": True}
_INT: Schema = {"type": "integer"}


def _duration() -> Schema:
    return string(DURATION_PATTERN)


def _metadata_template() -> Schema:
    return obj({"labels": dict(STRING_MAP), "annotations": dict(STRING_MAP)})


def _top(spec: Schema, status: Schema) -> Schema:
    """The whole object's schema as a tree of distinct dicts (shared ones would become YAML anchors)."""
    schema = obj({"apiVersion": string(), "kind": string(), "metadata": {"type": "object"}, "spec": spec,
                  "status": status})
    return json.loads(json.dumps(schema))


# -- HelmRepository -----------------------------------------------------------------------------------------
HELM_REPOSITORY_SPEC = obj({
    "url": string(r"^(http|https|oci)://.*$"),
    "type": string(enum=["default", "oci"]),
    "interval": _duration(),
    "timeout": string(TIMEOUT_PATTERN),  # no hours, as in Flux
    "secretRef": LOCAL_REF,
    "certSecretRef": LOCAL_REF,
    "passCredentials": BOOL,
    "insecure": BOOL,
    "provider": string(enum=["generic", "aws", "azure", "gcp"], default="generic"),
    "suspend": BOOL,
    "accessFrom": obj({"namespaceSelectors": array(obj({"matchLabels": dict(STRING_MAP)}))},
                      ["namespaceSelectors"]),
}, ["url"])

HELM_REPOSITORY_STATUS = common_status({"url": string(), "artifact": ARTIFACT})
HELM_REPOSITORY_STATUS["default"] = {"observedGeneration": -1}

HELM_REPOSITORY = register_kind(KindInfo(
    group=SOURCE_GROUP, version="v1", kind="HelmRepository", plural="helmrepositories",
    short_names=("helmrepo",), categories=("all", "fluxcd", "fluxcd-sources"),
    printer_columns=({"jsonPath": ".spec.url", "name": "URL", "type": "string"},) + READY_COLUMNS,
    schema=_top(HELM_REPOSITORY_SPEC, HELM_REPOSITORY_STATUS),
))

# -- HelmChart ----------------------------------------------------------------------------------------------
_VERIFY = obj({
    "provider": string(enum=["cosign", "notation"], default="cosign"),
    "secretRef": LOCAL_REF,
    "matchOIDCIdentity": array(obj({"issuer": string(), "subject": string()}, ["issuer", "subject"])),
}, ["provider"])

HELM_CHART_SPEC = obj({
    "chart": string(),
    "version": string(default="*"),
    "sourceRef": obj({"apiVersion": string(), "kind": string(enum=["HelmRepository", "GitRepository", "Bucket"]),
                      "name": string()}, ["kind", "name"]),
    "interval": _duration(),
    "reconcileStrategy": string(enum=["ChartVersion", "Revision"], default="ChartVersion"),
    "valuesFiles": array(string()),
    "ignoreMissingValuesFiles": BOOL,
    "suspend": BOOL,
    "verify": _VERIFY,
}, ["chart", "interval", "sourceRef"], **{"x-kubernetes-validations": [{
    "message": "spec.verify is only supported when spec.sourceRef.kind is 'HelmRepository'",
    "rule": "!has(self.verify) || self.sourceRef.kind == 'HelmRepository'"}]})

HELM_CHART_STATUS = common_status({
    "observedSourceArtifactRevision": string(),
    "observedChartName": string(),
    "observedValuesFiles": array(string()),
    "url": string(),
    "artifact": ARTIFACT,
})
HELM_CHART_STATUS["default"] = {"observedGeneration": -1}

HELM_CHART = register_kind(KindInfo(
    group=SOURCE_GROUP, version="v1", kind="HelmChart", plural="helmcharts",
    short_names=("hc",), categories=("all", "fluxcd", "fluxcd-sources"),
    printer_columns=(
        {"jsonPath": ".spec.chart", "name": "Chart", "type": "string"},
        {"jsonPath": ".spec.version", "name": "Version", "type": "string"},
        {"jsonPath": ".spec.sourceRef.kind", "name": "Source Kind", "type": "string"},
        {"jsonPath": ".spec.sourceRef.name", "name": "Source Name", "type": "string"},
    ) + READY_COLUMNS,
    schema=_top(HELM_CHART_SPEC, HELM_CHART_STATUS),
))

# -- HelmRelease --------------------------------------------------------------------------------------------
_CROSS_REF = {"apiVersion": string(), "name": string(maxLength=253, minLength=1),
              "namespace": string(maxLength=63, minLength=1)}
_INSTALL_REMEDIATION = obj({"retries": _INT, "ignoreTestFailures": BOOL, "remediateLastFailure": BOOL})
_UPGRADE_REMEDIATION = obj({"retries": _INT, "ignoreTestFailures": BOOL, "remediateLastFailure": BOOL,
                            "strategy": string(enum=["rollback", "uninstall"])})


def _strategy(message: str, rule: str) -> Schema:
    return obj({"name": string(enum=["RemediateOnFailure", "RetryOnFailure"]), "retryInterval": _duration()},
               ["name"], **{"x-kubernetes-validations": [{"message": message, "rule": rule}]})


_DISABLE_FLAGS = ("disableHooks", "disableOpenAPIValidation", "disableSchemaValidation", "disableTakeOwnership",
                  "disableWait", "disableWaitForJobs")
_CRDS = string(enum=["Skip", "Create", "CreateReplace"])

HELM_RELEASE_SPEC = obj({
    "chart": obj({
        "metadata": _metadata_template(),
        "spec": obj({
            "chart": string(maxLength=2048, minLength=1),
            "version": string(default="*"),
            "sourceRef": obj({**_CROSS_REF, "kind": string(enum=["HelmRepository", "GitRepository", "Bucket"])},
                             ["kind", "name"]),
            "interval": _duration(),
            "reconcileStrategy": string(enum=["ChartVersion", "Revision"], default="ChartVersion"),
            "valuesFiles": array(string()),
            "ignoreMissingValuesFiles": BOOL,
            "verify": obj({"provider": string(enum=["cosign", "notation"], default="cosign"),
                           "secretRef": LOCAL_REF}, ["provider"]),
        }, ["chart", "sourceRef"]),
    }, ["spec"]),
    "chartRef": obj({**_CROSS_REF, "kind": string(enum=["OCIRepository", "HelmChart", "ExternalArtifact"])},
                    ["kind", "name"]),
    "interval": _duration(),
    "kubeConfig": obj({"secretRef": obj({"name": string(), "key": string()}, ["name"]),
                       "configMapRef": LOCAL_REF}),
    "suspend": BOOL,
    "releaseName": string(maxLength=53, minLength=1),
    "targetNamespace": string(maxLength=63, minLength=1),
    "storageNamespace": string(maxLength=63, minLength=1),
    "dependsOn": array(obj({"name": string(), "namespace": string(), "readyExpr": string()}, ["name"])),
    "timeout": _duration(),
    "maxHistory": _INT,
    "serviceAccountName": string(maxLength=253, minLength=1),
    "persistentClient": BOOL,
    "waitStrategy": obj({"name": string(enum=["poller", "legacy"])}, ["name"]),
    "healthCheckExprs": array(obj({"apiVersion": string(), "kind": string(), "current": string(),
                                   "inProgress": string(), "failed": string()}, ["apiVersion", "current"])),
    "driftDetection": obj({
        "mode": string(enum=["enabled", "warn", "disabled"]),
        "ignore": array(obj({"paths": array(string()), "target": SELECTOR}, ["paths"])),
    }),
    "install": obj({
        "timeout": _duration(),
        "remediation": _INSTALL_REMEDIATION,
        "strategy": _strategy(".retryInterval cannot be set when .name is 'RemediateOnFailure'",
                              "!has(self.retryInterval) || self.name != 'RemediateOnFailure'"),
        **{flag: BOOL for flag in _DISABLE_FLAGS},
        "replace": BOOL,
        "skipCRDs": BOOL,
        "crds": _CRDS,
        "createNamespace": BOOL,
        "serverSideApply": BOOL,
    }),
    "upgrade": obj({
        "timeout": _duration(),
        "remediation": _UPGRADE_REMEDIATION,
        "strategy": _strategy(".retryInterval can only be set when .name is 'RetryOnFailure'",
                              "!has(self.retryInterval) || self.name == 'RetryOnFailure'"),
        **{flag: BOOL for flag in _DISABLE_FLAGS},
        "force": BOOL,
        "preserveValues": BOOL,
        "cleanupOnFail": BOOL,
        "crds": _CRDS,
        "serverSideApply": string(enum=["enabled", "disabled", "auto"]),
        "chartNameChangeStrategy": string(enum=["InPlaceUpdate", "Reinstall"]),
    }),
    "test": obj({
        "enable": BOOL,
        "timeout": _duration(),
        "ignoreFailures": BOOL,
        "filters": array(obj({"name": string(maxLength=253, minLength=1), "exclude": BOOL}, ["name"])),
    }),
    "rollback": obj({
        "timeout": _duration(),
        "disableWait": BOOL, "disableWaitForJobs": BOOL, "disableHooks": BOOL,
        "recreate": BOOL, "force": BOOL, "cleanupOnFail": BOOL,
        "serverSideApply": string(enum=["enabled", "disabled", "auto"]),
    }),
    "uninstall": obj({
        "timeout": _duration(),
        "disableHooks": BOOL, "keepHistory": BOOL, "disableWait": BOOL,
        "deletionPropagation": string(enum=["background", "foreground", "orphan"], default="background"),
    }),
    "valuesFrom": array(obj({
        "kind": string(enum=["Secret", "ConfigMap"]),
        "name": string(maxLength=253, minLength=1),
        "valuesKey": string(r"^[\-._a-zA-Z0-9]+$", maxLength=253),
        "targetPath": string(r"^([a-zA-Z0-9_\-.\\\/]|\[[0-9]{1,5}\])+$", maxLength=250),
        "optional": BOOL,
        "literal": BOOL,
    }, ["kind", "name"])),
    "values": dict(_ANY),
    "postRenderStrategy": string(enum=["nohooks", "combined", "separate"]),
    "postRenderers": array(obj({"kustomize": obj({
        "patches": array(obj({"patch": string(), "target": SELECTOR}, ["patch"])),
        "images": array(obj({"name": string(), "newName": string(), "newTag": string(), "digest": string()},
                            ["name"])),
    })})),
    "commonMetadata": _metadata_template(),
}, ["interval"], **{"x-kubernetes-validations": [{
    "message": "either chart or chartRef must be set",
    "rule": "(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))"}]})

_TEST_HOOK = obj({"lastStarted": string(format="date-time"), "lastCompleted": string(format="date-time"),
                  "phase": string()})
SNAPSHOT = obj({
    "apiVersion": string(), "digest": string(), "name": string(), "namespace": string(), "version": _INT,
    "status": string(), "action": string(), "chartName": string(), "chartVersion": string(),
    "appVersion": string(), "configDigest": string(), "firstDeployed": string(format="date-time"),
    "lastDeployed": string(format="date-time"), "deleted": string(format="date-time"),
    "testHooks": {"type": "object", "additionalProperties": _TEST_HOOK}, "ociDigest": string(),
}, ["chartName", "chartVersion", "configDigest", "digest", "firstDeployed", "lastDeployed", "name", "namespace",
    "status", "version"])

HELM_RELEASE_STATUS = common_status({
    "observedPostRenderersDigest": string(),
    "observedCommonMetadataDigest": string(),
    "lastAttemptedGeneration": INT64,
    "helmChart": string(),
    "storageNamespace": string(maxLength=63, minLength=1),
    "history": array(SNAPSHOT),
    "lastAttemptedReleaseAction": string(enum=["install", "upgrade"]),
    "lastAttemptedReleaseActionDuration": string(),
    "failures": INT64,
    "installFailures": INT64,
    "upgradeFailures": INT64,
    "lastAttemptedRevision": string(),
    "lastAttemptedRevisionDigest": string(),
    "lastAttemptedValuesChecksum": string(),
    "lastReleaseRevision": _INT,
    "lastAttemptedConfigDigest": string(),
    "lastHandledForceAt": string(),
    "lastHandledResetAt": string(),
    "inventory": obj({"entries": array(obj({"id": string(), "v": string()}, ["id", "v"]))}, ["entries"]),
})
HELM_RELEASE_STATUS["default"] = {"observedGeneration": -1}

HELM_RELEASE = register_kind(KindInfo(
    group=HELM_GROUP, version="v2", kind="HelmRelease", plural="helmreleases",
    short_names=("hr",), categories=("all", "fluxcd", "fluxcd-appliers"),
    printer_columns=READY_COLUMNS,
    schema=_top(HELM_RELEASE_SPEC, HELM_RELEASE_STATUS),
))

HELM_KINDS: tuple[KindInfo, ...] = (HELM_REPOSITORY, HELM_CHART, HELM_RELEASE)


def helm_kind(kind: str) -> KindInfo:
    """The KindInfo of HelmRepository, HelmChart or HelmRelease."""
    by_kind: dict[str, Any] = {k.kind: k for k in HELM_KINDS}
    return by_kind[kind]
