"""HelmRelease reconciler in helm-controller's order:

finalize → chart (generated HelmChart / chartRef) → dependencies → source → values → load chart → target →
release (the state machine in engine.helm.atomic) → finish.

Every phase either continues or ends the run with Flux's Ready reason. The release phase observes the Helm
release, runs one action of each type at most (install/upgrade, test, remediation, unlock, drift correction)
through Helm's own actions, and records conditions, events and `status.history`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client import ApiClient

from engine import reasons
from engine.api import conditions as c
from engine.api.crds_helm import HELM_CHART, HELM_RELEASE
from engine.api.reconcile import DependencyNotReady, Key, PhasedReconciler, ReconcileError, Result, Run
from engine.api.types_helm import HR_NAME_LABEL, HR_NAMESPACE_LABEL, HelmChart, HelmRelease
from engine.client import ApiError, Client
from engine.events import NORMAL, TRACE, WARNING, EventRecorder, Logger
from engine.helm import actions, sdk, storage
from engine.helm import messages as msg
from engine.helm.atomic import AtomicRelease, LoopResult, Outcome
from engine.helm.drift import desired_objects
from engine.helm.kubeconfig import kubeconfig_for
from engine.helm.state import Desired
from engine.helm.values import ValuesError, compose
from engine.jsonobj import Obj
from engine.source.artifact import read_artifact_file

DEPENDENCY_REQUEUE = 30.0
SOURCE_REQUEUE = 30.0
ERROR_BACKOFF = 10.0
MAX_PASSES = 4  # immediate requeues run in one reconcile (more come back through the manager)


@dataclass
class HelmRun(Run):
    """What one HelmRelease reconcile learned, phase by phase."""

    chart_key: tuple[str, str] = ("", "")
    chart_obj: Obj | None = None
    archive: bytes = b""
    chart: sdk.ChartInfo | None = None
    values: Obj = field(default_factory=dict)
    config_digest: str = ""
    loop: LoopResult | None = None
    observed: bool = False


def _digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


class HelmReleaseReconciler(PhasedReconciler[HelmRun]):
    """helm-controller's HelmRelease loop over Helm v4's SDK."""

    kind = HELM_RELEASE
    controller = msg.CONTROLLER
    run_type = HelmRun

    def __init__(self, client: Client, recorder: EventRecorder, logger: Logger,
                 kubeconfig: str | None = None) -> None:
        super().__init__(client, recorder, logger)
        self._kubeconfig = kubeconfig

    @property
    def kubeconfig(self) -> str:
        if self._kubeconfig is None:
            api: ApiClient = self.client.api_client
            self._kubeconfig = kubeconfig_for(api)
        return self._kubeconfig

    def phases(self) -> list[tuple[str, Callable[[HelmRun], Result | None]]]:
        return [("finalize", self.phase_finalize), ("chart", self.phase_chart),
                ("dependencies", self.phase_dependencies), ("source", self.phase_source),
                ("values", self.phase_values), ("load", self.phase_load), ("target", self.phase_target),
                ("release", self.phase_release)]

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        """A HelmChart this release uses got a new artifact or turned Ready; a dependency turned Ready."""
        hr = HelmRelease(obj)
        meta = changed.get("metadata") or {}
        key = (meta.get("namespace", ""), meta.get("name", ""))
        if changed.get("kind") == "HelmChart":
            return key == self._chart_key(hr)
        if changed.get("kind") == "HelmRelease":
            return any((d.namespace, d.name) == key for d in hr.depends_on) and c.is_ready(changed)
        return False

    def waits_for(self, obj: Obj) -> list[Key]:
        """The HelmChart it installs from, and the HelmReleases it depends on."""
        hr = HelmRelease(obj)
        ns, name = self._chart_key(hr)
        return [("HelmChart", ns, name)] + [("HelmRelease", d.namespace, d.name) for d in hr.depends_on]

    def default_requeue(self, run: HelmRun) -> float | None:
        return ERROR_BACKOFF

    # -- helpers ------------------------------------------------------------------------------------------
    @staticmethod
    def _chart_key(hr: HelmRelease) -> tuple[str, str]:
        if hr.chart_ref is not None:
            return hr.chart_ref.get("namespace", hr.namespace), hr.chart_ref.get("name", "")
        return hr.helm_chart_namespace, hr.helm_chart_name

    def _session(self, namespace: str) -> sdk.Session:
        return sdk.Session(self.kubeconfig, namespace)

    def _request(self, run: HelmRun, namespace: str) -> actions.Request:
        chart = run.chart if run.chart is not None else sdk.ChartInfo({}, {}, None)

        def emit(type_: str, reason: str, message: str, meta: dict[str, str] | None) -> None:
            self.event(run, type_, reason, message, meta)

        return actions.Request(self.client, run.obj, self._session(namespace), chart, run.archive, run.values,
                               run.config_digest or storage.config_digest(None), emit)

    # -- phases ---------------------------------------------------------------------------------------------
    def phase_finalize(self, run: HelmRun) -> Result | None:
        """Uninstall on deletion (unless suspended), add the finalizer, stop when suspended."""
        hr = HelmRelease(run.obj)
        if hr.deleting:
            return self.finalize_deletion(run)
        return self.open_reconcile(run, generation_message=False)

    def finalize_deletion(self, run: HelmRun) -> Result:
        """Helm uninstall of the current release, the generated HelmChart deleted, the finalizer dropped;
        a suspended HelmRelease leaves both in place."""
        hr = HelmRelease(run.obj)
        if not hr.suspended and hr.status.get("storageNamespace") and hr.history:
            snap = hr.history[0]
            req = self._request(run, snap.get("namespace") or hr.release_namespace)
            try:
                with sdk.release_lock(req.namespace, req.release_name), \
                        storage.staged(self.client, hr.status["storageNamespace"], req.namespace, req.release_name):
                    actions.uninstall(req)
            except actions.ActionError as err:
                raise ReconcileError(reasons.UNINSTALL_FAILED, str(err), event=False) from None
            run.did(f"uninstalled release {snap.get('namespace')}/{snap.get('name')}")
            for key in ("history", "storageNamespace"):
                hr.status.pop(key, None)
        if not hr.suspended and hr.chart_template is not None:
            self._delete_chart(run, (hr.helm_chart_namespace, hr.helm_chart_name))
        self.remove_finalizer(run)
        run.did("finalizer removed")
        return Result()

    def _delete_chart(self, run: HelmRun, key: tuple[str, str]) -> None:
        try:
            if self.client.delete(HELM_CHART.api_version, "HelmChart", key[1], key[0]):
                self.event(run, TRACE, reasons.HELM_CHART_DELETED, f"Deleted HelmChart '{key[0]}/{key[1]}'")
        except ApiError as err:
            run.log.error("failed to delete HelmChart", error=str(err))

    def phase_chart(self, run: HelmRun) -> Result | None:
        """Create or update the HelmChart `<ns>-<name>` from spec.chart (or use spec.chartRef)."""
        hr = HelmRelease(run.obj)
        if not hr.chart_reference_valid:
            raise ReconcileError(reasons.INVALID_CHART_REFERENCE, "invalid Chart reference", stalled=True)
        run.chart_key = self._chart_key(hr)
        previous = hr.helm_chart
        if hr.chart_template is not None:
            self._apply_chart(run, hr)
            if previous is not None and (previous.namespace, previous.name) != run.chart_key:
                self._delete_chart(run, (previous.namespace, previous.name))
        hr.status["helmChart"] = f"{run.chart_key[0]}/{run.chart_key[1]}"
        self.progressing(run, "Fulfilling prerequisites")
        run.did(f"chart from HelmChart {hr.status['helmChart']}")
        return None

    def _apply_chart(self, run: HelmRun, hr: HelmRelease) -> None:
        template = hr.chart_template or {}
        metadata = template.get("metadata") or {}
        chart: Obj = {
            "apiVersion": HELM_CHART.api_version, "kind": "HelmChart",
            "metadata": {"name": hr.helm_chart_name, "namespace": hr.helm_chart_namespace,
                         "labels": {**(metadata.get("labels") or {}), HR_NAME_LABEL: hr.name,
                                    HR_NAMESPACE_LABEL: hr.namespace}},
            "spec": hr.helm_chart_spec(),
        }
        if metadata.get("annotations"):
            chart["metadata"]["annotations"] = dict(metadata["annotations"])
        live = self.client.get(HELM_CHART.api_version, "HelmChart", hr.helm_chart_name, hr.helm_chart_namespace)
        labels = (live or {}).get("metadata", {}).get("labels") or {}
        if live is not None and all(live.get("spec", {}).get(k) == v for k, v in chart["spec"].items()) and \
                all(labels.get(k) == v for k, v in chart["metadata"]["labels"].items()):
            return
        self.client.apply(chart, field_manager=msg.CONTROLLER)
        ref = chart["spec"]["sourceRef"]
        verb, reason = ("Created", reasons.HELM_CHART_CREATED) if live is None else ("Configured", reasons.HELM_CHART_CONFIGURED)
        self.event(run, TRACE, reason, f"{verb} HelmChart/{hr.helm_chart_namespace}/{hr.helm_chart_name} with "
                                       f"SourceRef '{ref['kind']}/{hr.helm_chart_namespace}/{ref['name']}'")

    def phase_dependencies(self, run: HelmRun) -> Result | None:
        """Every dependsOn HelmRelease must exist, be reconciled at its generation and be Ready."""
        hr = HelmRelease(run.obj)
        for dep in hr.depends_on:
            message = f"dependency '{dep.key}' is not ready"
            try:
                obj = self.client.get(HELM_RELEASE.api_version, "HelmRelease", dep.name, dep.namespace)
            except ApiError as err:
                obj, message = None, f"unable to get '{dep.key}' dependency: {err}"
            else:
                if obj is None:
                    message = (f"unable to get '{dep.key}' dependency: helmreleases.{HELM_RELEASE.group} "
                               f'"{dep.name}" not found')
            if obj is None or HelmRelease(obj).generation != HelmRelease(obj).observed_generation or \
                    not c.is_ready(obj):
                self.event(run, NORMAL, reasons.DEPENDENCY_NOT_READY, message)
                raise DependencyNotReady(message, requeue_after=DEPENDENCY_REQUEUE)
        if hr.depends_on:
            run.did("all dependencies are ready")
        return None

    def phase_source(self, run: HelmRun) -> Result | None:
        """The HelmChart must be reconciled at its generation, not stalled, and have an artifact."""
        hr = HelmRelease(run.obj)
        ns, name = run.chart_key
        kind = (hr.chart_ref or {}).get("kind", "HelmChart")
        if kind != "HelmChart":
            raise ReconcileError(reasons.ARTIFACT_FAILED, f"could not get Source object: source kind '{kind}' is not "
                                                    "supported by this engine (HelmChart only)", stalled=True)
        try:
            chart = self.client.get(HELM_CHART.api_version, "HelmChart", name, ns)
        except ApiError as err:
            raise ReconcileError(reasons.ARTIFACT_FAILED, f"could not get Source object: {err}") from None
        if chart is None:
            raise ReconcileError(reasons.ARTIFACT_FAILED, f'could not get Source object: helmcharts.{HELM_CHART.group} '
                                                    f'"{name}" not found', requeue_after=SOURCE_REQUEUE)
        view = HelmChart(chart)
        problem = ""
        if view.generation != view.observed_generation:
            problem = "latest generation of object has not been reconciled"
        elif c.is_true(chart, c.STALLED):
            problem = (c.get_condition(chart, c.STALLED) or {}).get("message", "")
        elif not view.artifact:
            problem = "does not have an artifact"
        if problem:
            raise ReconcileError(reasons.SOURCE_NOT_READY, f"HelmChart '{ns}/{name}' is not ready: {problem}",
                                 requeue_after=SOURCE_REQUEUE, event=False)
        run.chart_obj = chart
        run.revision = view.revision
        run.did(f"HelmChart {ns}/{name} has artifact {view.revision}")
        return None

    def phase_values(self, run: HelmRun) -> Result | None:
        """valuesFrom ConfigMaps/Secrets merged in order, then spec.values."""
        hr = HelmRelease(run.obj)
        try:
            run.values = compose(self.client, hr.namespace, list(hr.spec.get("valuesFrom") or []), hr.values)
        except ValuesError as err:
            raise ReconcileError(reasons.VALUES_ERROR, str(err)) from None
        run.config_digest = storage.config_digest(run.values)
        run.did(f"values composed: {run.config_digest[:19]}")
        return None

    def phase_load(self, run: HelmRun) -> Result | None:
        """Load the chart archive from the HelmChart's artifact (digest verified)."""
        artifact = HelmChart(run.chart_obj or {}).artifact or {}
        try:
            run.archive = read_artifact_file(artifact.get("url", ""))
        except FileNotFoundError:
            raise ReconcileError(reasons.ARTIFACT_FAILED, "Source not ready: artifact not found. Retrying in 30s",
                                 requeue_after=SOURCE_REQUEUE, event=False) from None
        except (OSError, ValueError) as err:
            raise ReconcileError(reasons.ARTIFACT_FAILED, f"Could not load chart: {err}") from None
        digest = artifact.get("digest") or ""
        algo, _, expected = digest.partition(":")
        if expected and algo == "sha256" and hashlib.sha256(run.archive).hexdigest() != expected:
            raise ReconcileError(reasons.ARTIFACT_FAILED, f"Could not load chart: artifact digest mismatch: expected "
                                                    f"'{digest}'")
        try:
            run.chart = sdk.chart_info(run.archive)
        except sdk.HelmSdkError as err:
            raise ReconcileError(reasons.ARTIFACT_FAILED, f"Could not load chart: {err}") from None
        run.did(f"loaded chart {run.chart.name}@{run.chart.version}")
        return None

    def phase_target(self, run: HelmRun) -> Result | None:
        """A new release name/namespace/chart name uninstalls the old release; failure counters reset on change."""
        hr = HelmRelease(run.obj)
        assert run.chart is not None
        snap = hr.latest_snapshot
        if snap and (snap.get("name") != hr.release_name or snap.get("namespace") != hr.release_namespace or
                     (snap.get("chartName") != run.chart.name and
                      (hr.upgrade.raw.get("chartNameChangeStrategy") or "Reinstall") == "Reinstall")):
            old = f"{snap.get('namespace')}/{snap.get('name')}"
            old_namespace = snap.get("namespace") or hr.release_namespace
            try:
                with storage.staged(self.client, hr.status.get("storageNamespace") or old_namespace, old_namespace,
                                    snap.get("name", "")):
                    self._session(old_namespace).uninstall(snap.get("name", ""), timeout=int(hr.uninstall.timeout))
            except sdk.HelmSdkError as err:
                if not err.not_found:
                    raise ReconcileError(reasons.UNINSTALL_FAILED, f"Helm uninstall failed for release {old} with chart "
                                                             f"{snap.get('chartName')}@{snap.get('chartVersion')}: "
                                                             f"{err}") from None
            for key in ("history", "storageNamespace", "failures", "installFailures", "upgradeFailures"):
                hr.status.pop(key, None)
            run.did(f"release target changed: uninstalled {old}")
            return Result(requeue_after=0.0)
        hr.status["storageNamespace"] = hr.storage_namespace
        reset = hr.reset_requested
        if reset or hr.status.get("lastAttemptedGeneration") != hr.generation or \
                hr.status.get("lastAttemptedRevision") != run.chart.version or \
                hr.status.get("lastAttemptedConfigDigest") != run.config_digest:
            for key in ("failures", "installFailures", "upgradeFailures"):
                hr.status.pop(key, None)
        if reset:
            hr.status["lastHandledResetAt"] = hr.requested_at
        hr.status["lastAttemptedGeneration"] = hr.generation
        hr.status["lastAttemptedRevision"] = run.chart.version
        hr.status["lastAttemptedConfigDigest"] = run.config_digest
        return None

    def phase_release(self, run: HelmRun) -> Result | None:
        """Observe the Helm release, run the actions its state calls for, record the outcome."""
        hr = HelmRelease(run.obj)
        assert run.chart is not None
        force = hr.force_requested
        if force:
            hr.status["lastHandledForceAt"] = hr.requested_at
        post_digest = _digest(hr.post_renderers) if hr.post_renderers else ""
        meta_digest = _digest(hr.common_metadata) if hr.common_metadata else ""
        changed = hr.generation != hr.observed_generation and (
            post_digest != hr.status.get("observedPostRenderersDigest", "") or
            meta_digest != hr.status.get("observedCommonMetadataDigest", ""))
        ignore_tests = hr.test.flag("ignoreFailures")
        if hr.active_remediation is not None:
            ignore_tests = hr.active_remediation.must_ignore_test_failures(ignore_tests)
        desired = Desired(run.chart.name, run.chart.version, run.config_digest, post_render_changed=changed,
                          test_enabled=hr.test_enabled, ignore_test_failures=ignore_tests,
                          drift_mode=hr.drift_detection_mode)
        req = self._request(run, hr.release_namespace)
        with sdk.release_lock(hr.release_namespace, hr.release_name), \
                storage.staged(self.client, hr.storage_namespace, hr.release_namespace, hr.release_name):
            # helm-controller requeues at once after a remediation or a retry; the kit runs that next pass
            # here, so a synchronous `sync()` ends where Flux's requeues would.
            for _ in range(MAX_PASSES):
                atomic = AtomicRelease(req, desired, force=force, on_progress=lambda: self.patch_status(run),
                                       log=run.log.info)
                loop = atomic.run()
                if atomic.last_observed is not None:
                    run.did(f"release state: {atomic.last_observed}")
                for name in loop.steps:
                    run.did(f"ran '{name}'")
                if loop.outcome is not Outcome.REQUEUE:
                    break
                self.patch_status(run)
                force = False
                desired = atomic.desired
            self._record_inventory(req)
        run.loop = loop
        self._record_digests(hr, post_digest, meta_digest)
        ready = c.get_condition(run.obj, c.READY) or {}
        if loop.outcome is Outcome.DONE:
            run.observed = True
            return Result(requeue_after=hr.interval)
        if loop.outcome is Outcome.STALLED:
            run.observed = True
            return Result(requeue_after=None, error=loop.error, reason=ready.get("reason", ""), stalled=True)
        if loop.outcome is Outcome.REQUEUE:
            return Result(requeue_after=0.0)
        if loop.outcome is Outcome.RETRY_AFTER_INTERVAL:
            return Result(requeue_after=loop.retry_after, error=loop.error, reason=ready.get("reason", ""))
        if ready.get("reason") == reasons.STATE_ERROR:
            self.event(run, WARNING, reasons.STATE_ERROR, str(ready.get("message", loop.error)))
        return Result(requeue_after=ERROR_BACKOFF, error=loop.error, reason=ready.get("reason", ""))

    @staticmethod
    def _record_digests(hr: HelmRelease, post_digest: str, meta_digest: str) -> None:
        for key, value in (("observedPostRenderersDigest", post_digest),
                           ("observedCommonMetadataDigest", meta_digest)):
            if value:
                hr.status[key] = value
            else:
                hr.status.pop(key, None)

    def _record_inventory(self, req: actions.Request) -> None:
        """status.inventory: the objects of the current release's manifest (`<ns>_<name>_<group>_<kind>`)."""
        snap = req.latest_snapshot()
        if not snap or snap.get("status") != storage.STATUS_DEPLOYED:
            return
        release = storage.get(req.client, req.namespace, req.release_name, int(snap["version"]))
        if release is None:
            return
        entries = []
        for obj, namespaced in desired_objects(req.client, release):
            meta = obj["metadata"]
            group, _, version = obj.get("apiVersion", "").rpartition("/")
            ns = meta.get("namespace", "") if namespaced else ""
            entries.append({"id": f"{ns}_{meta.get('name')}_{group}_{obj.get('kind')}", "v": version})
        req.status["inventory"] = {"entries": sorted(entries, key=lambda e: e["id"])}

    def finish_status(self, run: HelmRun) -> None:
        """observedGeneration is recorded when the release is in sync or stalled, not while retrying."""
        if run.suspended:
            return
        if run.observed:
            c.delete_condition(run.obj, c.RECONCILING)
            run.status["observedGeneration"] = HelmRelease(run.obj).generation
        elif c.is_true(run.obj, c.RECONCILING) and run.result is not None and run.result.requeue_after != 0.0:
            cond = c.get_condition(run.obj, c.RECONCILING) or {}
            c.mark_true(run.obj, c.RECONCILING, c.PROGRESSING_WITH_RETRY, str(cond.get("message", "")))
