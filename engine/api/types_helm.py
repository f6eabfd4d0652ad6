"""Typed, read-only views of HelmRepository, HelmChart and HelmRelease objects, with Flux's defaults applied
(the API server stores what was written; these accessors answer what source-/helm-controller would use)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from engine.api.duration import parse_duration
from engine.api.types import NamespacedName, SourceView, View
from engine.jsonobj import Obj

#: `reconcile.fluxcd.io/forceAt` / `resetAt`: one-off install/upgrade and failure-counter reset (helm-controller).
FORCE_AT = "reconcile.fluxcd.io/forceAt"
RESET_AT = "reconcile.fluxcd.io/resetAt"
#: Labels on a HelmChart generated for a HelmRelease.
HR_NAME_LABEL = "helm.toolkit.fluxcd.io/name"
HR_NAMESPACE_LABEL = "helm.toolkit.fluxcd.io/namespace"
#: Label or annotation that takes an object out of drift detection.
DRIFT_DETECTION_KEY = "helm.toolkit.fluxcd.io/driftDetection"
DEFAULT_MAX_HISTORY = 5
RELEASE_NAME_MAX = 53


def shorten_release_name(name: str) -> str:
    """Helm's 53-character limit the way helm-controller applies it: first 40 chars + `-` + 12 hex of sha256."""
    if len(name) <= RELEASE_NAME_MAX:
        return name
    return name[:RELEASE_NAME_MAX - 13] + "-" + hashlib.sha256(name.encode()).hexdigest()[:12]


def _seconds(value: Any, default: float) -> float:
    return parse_duration(value) if value else default


class HelmRepository(SourceView):
    kind = "HelmRepository"

    @property
    def type(self) -> str:
        """`default` (HTTP/S index.yaml) or `oci`; absent means default."""
        return self.spec.get("type") or "default"

    @property
    def is_oci(self) -> bool:
        return self.type == "oci"

    @property
    def interval(self) -> float:
        """spec.interval; source-controller uses 1m when unset."""
        return _seconds(self.spec.get("interval"), 60.0)

    @property
    def timeout(self) -> float:
        return _seconds(self.spec.get("timeout"), 60.0)

    @property
    def cert_secret_ref(self) -> str | None:
        return (self.spec.get("certSecretRef") or {}).get("name")

    @property
    def pass_credentials(self) -> bool:
        return bool(self.spec.get("passCredentials"))

    @property
    def insecure(self) -> bool:
        return bool(self.spec.get("insecure"))

    @property
    def provider(self) -> str:
        return self.spec.get("provider") or "generic"


class HelmChart(SourceView):
    kind = "HelmChart"

    @property
    def chart(self) -> str:
        return self.spec.get("chart", "")

    @property
    def version(self) -> str:
        """The semver range or exact version; the CRD default is `*`."""
        return self.spec.get("version") or "*"

    @property
    def source_ref(self) -> Obj:
        """`{kind, name, namespace}`: always the HelmChart's own namespace."""
        ref = dict(self.spec.get("sourceRef") or {})
        ref["namespace"] = self.namespace
        return ref

    @property
    def reconcile_strategy(self) -> str:
        return self.spec.get("reconcileStrategy") or "ChartVersion"

    @property
    def values_files(self) -> list[str]:
        return list(self.spec.get("valuesFiles") or [])

    @property
    def ignore_missing_values_files(self) -> bool:
        return bool(self.spec.get("ignoreMissingValuesFiles"))

    @property
    def observed_source_artifact_revision(self) -> str:
        return self.status.get("observedSourceArtifactRevision", "")

    @property
    def observed_chart_name(self) -> str:
        return self.status.get("observedChartName", "")


# -- HelmRelease ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Remediation:
    """install/upgrade `remediation` with helm-controller's defaults (`Get*`/`Must*` of api/v2)."""

    action: str  # "install" or "upgrade"
    retries: int = 0
    ignore_test_failures: bool | None = None
    remediate_last_failure_set: bool | None = None
    strategy: str = "uninstall"

    def must_ignore_test_failures(self, default: bool) -> bool:
        return default if self.ignore_test_failures is None else self.ignore_test_failures

    @property
    def remediate_last_failure(self) -> bool:
        """install: false unless set; upgrade: `retries > 0` unless set."""
        if self.remediate_last_failure_set is not None:
            return self.remediate_last_failure_set
        return self.action == "upgrade" and self.retries > 0

    def failure_count(self, status: Obj) -> int:
        return int(status.get("installFailures" if self.action == "install" else "upgradeFailures") or 0)

    def retries_exhausted(self, status: Obj) -> bool:
        return self.retries >= 0 and self.failure_count(status) > self.retries

    @property
    def uninstall_after_upgrade(self) -> bool:
        return self.action == "upgrade" and self.strategy == "uninstall"


@dataclass(frozen=True)
class ActionStrategy:
    """install/upgrade `strategy`: RemediateOnFailure (default) or RetryOnFailure with its retryInterval."""

    name: str = "RemediateOnFailure"
    retry_interval: float = 300.0

    @property
    def retry_on_failure(self) -> bool:
        return self.name == "RetryOnFailure"


@dataclass(frozen=True)
class ActionOptions:
    """One of install/upgrade/test/rollback/uninstall with defaults resolved; `raw` is the spec block."""

    action: str
    timeout: float
    raw: Obj = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        return bool(self.raw.get(name))

    @property
    def disable_wait(self) -> bool:
        return self.flag("disableWait")

    @property
    def disable_hooks(self) -> bool:
        return self.flag("disableHooks")

    @property
    def crds(self) -> str:
        """CRD policy: install default Create, upgrade default Skip (`skipCRDs: true` means Skip)."""
        if self.raw.get("crds"):
            return str(self.raw["crds"])
        if self.flag("skipCRDs"):
            return "Skip"
        return "Create" if self.action == "install" else "Skip"

    @property
    def strategy(self) -> ActionStrategy:
        raw = self.raw.get("strategy") or {}
        if not raw:
            return ActionStrategy()
        return ActionStrategy(raw.get("name") or "RemediateOnFailure", _seconds(raw.get("retryInterval"), 300.0))

    @property
    def remediation(self) -> Remediation:
        raw = self.raw.get("remediation") or {}
        default_strategy = "uninstall" if self.action == "install" else "rollback"
        return Remediation(
            action=self.action, retries=int(raw.get("retries") or 0),
            ignore_test_failures=raw.get("ignoreTestFailures"),
            remediate_last_failure_set=raw.get("remediateLastFailure"),
            strategy=(raw.get("strategy") or default_strategy) if self.action == "upgrade" else "uninstall")


@dataclass(frozen=True)
class ValuesReference:
    """One `valuesFrom` entry."""

    kind: str
    name: str
    values_key: str = "values.yaml"
    target_path: str = ""
    optional: bool = False
    literal: bool = False


@dataclass(frozen=True)
class DependsOn:
    name: str
    namespace: str
    ready_expr: str = ""

    @property
    def key(self) -> NamespacedName:
        return NamespacedName(self.namespace, self.name)


class HelmRelease(View):
    kind = "HelmRelease"

    # -- chart -------------------------------------------------------------------------------------
    @property
    def chart_template(self) -> Obj | None:
        """`spec.chart` (`{spec, metadata}`) or None when the release uses `chartRef`."""
        return self.spec.get("chart") or None

    @property
    def chart_ref(self) -> Obj | None:
        """`spec.chartRef` with its namespace defaulted to the HelmRelease's, or None."""
        ref = self.spec.get("chartRef")
        if not ref:
            return None
        out = dict(ref)
        out["namespace"] = ref.get("namespace") or self.namespace
        return out

    @property
    def chart_reference_valid(self) -> bool:
        """Exactly one of chart and chartRef is set (the CRD's CEL rule)."""
        return (self.chart_template is None) != (self.chart_ref is None)

    @property
    def helm_chart_name(self) -> str:
        """Name of the generated HelmChart: `<hr namespace>-<hr name>`."""
        return f"{self.namespace}-{self.name}"

    @property
    def helm_chart_namespace(self) -> str:
        """The generated HelmChart lives in the sourceRef's namespace (default: the HelmRelease's)."""
        spec = (self.chart_template or {}).get("spec") or {}
        return (spec.get("sourceRef") or {}).get("namespace") or self.namespace

    def helm_chart_spec(self) -> Obj:
        """The spec of the generated HelmChart, with defaults as helm-controller writes them."""
        spec = (self.chart_template or {}).get("spec") or {}
        ref = spec.get("sourceRef") or {}
        out: Obj = {
            "chart": spec.get("chart", ""),
            "version": spec.get("version") or "*",
            "sourceRef": {"kind": ref.get("kind", ""), "name": ref.get("name", "")},
            "interval": spec.get("interval") or self.spec.get("interval", ""),
            "reconcileStrategy": spec.get("reconcileStrategy") or "ChartVersion",
        }
        if ref.get("apiVersion"):
            out["sourceRef"]["apiVersion"] = ref["apiVersion"]
        if spec.get("valuesFiles"):
            out["valuesFiles"] = list(spec["valuesFiles"])
        if spec.get("ignoreMissingValuesFiles"):
            out["ignoreMissingValuesFiles"] = True
        if spec.get("verify"):
            out["verify"] = dict(spec["verify"])
        return out

    # -- release identity ---------------------------------------------------------------------------
    @property
    def target_namespace(self) -> str:
        return self.spec.get("targetNamespace") or ""

    @property
    def release_namespace(self) -> str:
        return self.target_namespace or self.namespace

    @property
    def release_name(self) -> str:
        """spec.releaseName, else `[<targetNamespace>-]<name>`, shortened to Helm's 53 characters."""
        name = self.spec.get("releaseName") or (
            f"{self.target_namespace}-{self.name}" if self.target_namespace else self.name)
        return shorten_release_name(name)

    @property
    def storage_namespace(self) -> str:
        return self.spec.get("storageNamespace") or self.namespace

    # -- timing and dependencies --------------------------------------------------------------------
    @property
    def interval(self) -> float:
        return _seconds(self.spec.get("interval"), 600.0)

    @property
    def timeout(self) -> float:
        """spec.timeout, default 5m0s: the default of every action."""
        return _seconds(self.spec.get("timeout"), 300.0)

    @property
    def max_history(self) -> int:
        value = self.spec.get("maxHistory")
        return DEFAULT_MAX_HISTORY if value is None else int(value)

    @property
    def depends_on(self) -> list[DependsOn]:
        return [DependsOn(d["name"], d.get("namespace") or self.namespace, d.get("readyExpr") or "")
                for d in self.spec.get("dependsOn") or []]

    # -- values -------------------------------------------------------------------------------------
    @property
    def values(self) -> Obj:
        return dict(self.spec.get("values") or {})

    @property
    def values_from(self) -> list[ValuesReference]:
        return [ValuesReference(v.get("kind", ""), v.get("name", ""), v.get("valuesKey") or "values.yaml",
                                v.get("targetPath") or "", bool(v.get("optional")), bool(v.get("literal")))
                for v in self.spec.get("valuesFrom") or []]

    # -- actions ------------------------------------------------------------------------------------
    def action(self, name: str) -> ActionOptions:
        """install | upgrade | test | rollback | uninstall options; each timeout defaults to spec.timeout."""
        if name not in ("install", "upgrade", "test", "rollback", "uninstall"):
            raise ValueError(f"unknown Helm action {name!r}")
        raw = dict(self.spec.get(name) or {})
        return ActionOptions(name, _seconds(raw.get("timeout"), self.timeout), raw)

    @property
    def install(self) -> ActionOptions:
        return self.action("install")

    @property
    def upgrade(self) -> ActionOptions:
        return self.action("upgrade")

    @property
    def test(self) -> ActionOptions:
        return self.action("test")

    @property
    def rollback(self) -> ActionOptions:
        return self.action("rollback")

    @property
    def uninstall(self) -> ActionOptions:
        return self.action("uninstall")

    @property
    def test_enabled(self) -> bool:
        return self.test.flag("enable")

    @property
    def test_filters(self) -> list[tuple[str, bool]]:
        """(name, exclude) pairs of `test.filters`."""
        return [(f.get("name", ""), bool(f.get("exclude"))) for f in self.test.raw.get("filters") or []]

    @property
    def active_remediation(self) -> Remediation | None:
        """The remediation of `status.lastAttemptedReleaseAction` (None before any attempt)."""
        action = self.status.get("lastAttemptedReleaseAction")
        return self.action(action).remediation if action in ("install", "upgrade") else None

    @property
    def active_strategy(self) -> ActionStrategy | None:
        action = self.status.get("lastAttemptedReleaseAction")
        return self.action(action).strategy if action in ("install", "upgrade") else None

    # -- drift, post-rendering ----------------------------------------------------------------------
    @property
    def drift_detection_mode(self) -> str:
        return (self.spec.get("driftDetection") or {}).get("mode") or "disabled"

    @property
    def drift_ignore_rules(self) -> list[Obj]:
        return list((self.spec.get("driftDetection") or {}).get("ignore") or [])

    @property
    def post_renderers(self) -> list[Obj]:
        return list(self.spec.get("postRenderers") or [])

    @property
    def common_metadata(self) -> Obj:
        return dict(self.spec.get("commonMetadata") or {})

    # -- annotations and status ---------------------------------------------------------------------
    def _annotation(self, key: str) -> str | None:
        return (self.metadata.get("annotations") or {}).get(key)

    @property
    def force_requested(self) -> bool:
        """forceAt is honoured only when it equals requestedAt and differs from status.lastHandledForceAt."""
        value = self._annotation(FORCE_AT)
        return bool(value) and value == self.requested_at and value != self.status.get("lastHandledForceAt")

    @property
    def reset_requested(self) -> bool:
        value = self._annotation(RESET_AT)
        return bool(value) and value == self.requested_at and value != self.status.get("lastHandledResetAt")

    @property
    def history(self) -> list[Obj]:
        """status.history, newest first."""
        return list(self.status.get("history") or [])

    @property
    def latest_snapshot(self) -> Obj | None:
        history = self.history
        return history[0] if history else None

    @property
    def revision(self) -> str:
        """What `flux get hr` shows: history[0].chartVersion, else lastAttemptedRevision."""
        latest = self.latest_snapshot
        return (latest or {}).get("chartVersion") or self.status.get("lastAttemptedRevision", "")

    @property
    def inventory(self) -> list[Obj]:
        return list((self.status.get("inventory") or {}).get("entries") or [])

    @property
    def helm_chart(self) -> NamespacedName | None:
        """status.helmChart (`<ns>/<name>`) as a key."""
        value = self.status.get("helmChart") or ""
        ns, sep, name = value.partition("/")
        return NamespacedName(ns, name) if sep else None
