"""HelmRepository and HelmChart reconcilers: source-controller's loops over the kit's artifact storage.

HelmRepository (`type: default`): finalize → storage → source (fetch index.yaml, revision = sha256 of the bytes,
load and validate) → artifact (the loaded index as JSON at `helmrepository/<ns>/<name>/index-<hex>.yaml`).
`type: oci` is static, as in Flux: no conditions, no artifact (the kit keeps the finalizer so the manager can tell
a handled object from a new one).

HelmChart: finalize → storage → source (get the HelmRepository / GitRepository and its artifact, pick the chart
version, pull or package the chart) → artifact (`helmchart/<ns>/<name>/<chart>-<version>.tgz`, revision = the
chart version). Failures carry source-controller's reasons and messages; Ready summarises the negative
conditions (StorageOperationFailed > FetchFailed > BuildFailed > ArtifactOutdated), else ArtifactInStorage.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from engine import reasons
from engine.api import conditions as c
from engine.api.crds import GIT_REPOSITORY
from engine.api.crds_helm import HELM_CHART, HELM_REPOSITORY
from engine.api.reconcile import Key, PhasedReconciler, ReconcileError, Result, Run
from engine.api.types_helm import HelmChart, HelmRepository
from engine.client import ApiError, Client, NoMatchError
from engine.events import NORMAL, TRACE, EventRecorder, Logger
from engine.jsonobj import Obj
from engine.source.artifact import Storage, StorageError, default_storage_root
from engine.source.helm_chart import (
    CHART_PULL,
    CHART_REFERENCE,
    UNKNOWN,
    BuildError,
    ChartBuild,
    archive_metadata,
    build_local,
    build_remote,
    effective_values_files,
    with_version_metadata,
)
from engine.source.helm_index import (
    BasicAuth,
    ChartReferenceError,
    HelmRepositoryError,
    IndexLoadError,
    download_chart,
    fetch_index,
    index_revision,
    load_index,
    secret_basic_auth,
    select_version,
)
from engine.source.helm_oci import (
    OCIChartError,
    OCIChartRef,
    OCIClient,
    pull_chart,
    resolve_chart,
    secret_oci_auth,
)
from engine.source.stored import reconcile_storage

BUILD_FAILED = "BuildFailed"
REVISION_KEY = "source.toolkit.fluxcd.io/revision"
DIGEST_KEY = "source.toolkit.fluxcd.io/digest"
REPOSITORY_NEGATIVE = (c.STORAGE_OPERATION_FAILED, c.FETCH_FAILED, c.ARTIFACT_OUTDATED)
CHART_NEGATIVE = (c.STORAGE_OPERATION_FAILED, c.FETCH_FAILED, BUILD_FAILED, c.ARTIFACT_OUTDATED)
SUPPORTED_SOURCES = ("HelmRepository", "GitRepository", "Bucket")
AUTH_ERROR_WORDS = ("401", "unauthorized", "authentication required", "tls", "unknown certificate authority")
NO_ARTIFACT_REQUEUE = 10.0
#: RemoteReference.Validate's `^([-a-z0-9]+/?\.?)+$`, written without nested repetition.
REMOTE_CHART_NAME = re.compile(r"[-a-z0-9](?:[-a-z0-9]|(?<=[-a-z0-9])/|(?<=[-a-z0-9/])\.)*")


def human_size(size: float) -> str:
    """docker/go-units HumanSize: decimal units with 4 significant digits (`734B`, `30.88kB`)."""
    units = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000.0
        i += 1
    return f"{size:.4g}{units[i]}"


def _link(storage: Storage, rel: str, alias: str) -> str:
    """Point `<artifact dir>/<alias>` at the artifact (Flux's `latest.tar.gz` / `index.yaml` symlink); its URL."""
    target = storage.local_path(rel)
    link = target.parent / alias
    try:
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(target.name, link)
    except OSError:
        return ""
    return link.as_uri()


def _summarize(run: Run, negative: tuple[str, ...]) -> None:
    """source-controller's Ready: the first True negative condition (even when stalled), else ArtifactInStorage."""
    obj = run.obj
    for cond_type in negative:
        cond = c.get_condition(obj, cond_type)
        if cond and cond.get("status") == c.TRUE:
            c.mark_false(obj, c.READY, cond["reason"], cond["message"])
            return
    stored = c.get_condition(obj, c.ARTIFACT_IN_STORAGE)
    if stored and stored.get("status") == c.TRUE:
        c.mark_true(obj, c.READY, stored["reason"], stored["message"])


def _was_failing(run: Run, negative: tuple[str, ...]) -> bool:
    """FailureRecovery: a negative condition was True before this run and none is now."""
    before = {"status": run.old_status}
    return any(c.is_true(before, t) for t in negative) and not any(c.is_true(run.obj, t) for t in negative)


def _secret(client: Client, namespace: str, name: str, what: str) -> Obj:
    secret = client.get("v1", "Secret", name, namespace)
    if secret is None:
        raise HelmRepositoryError(f"failed to get {what} '{namespace}/{name}': secrets \"{name}\" not found")
    return secret


# -- HelmRepository -------------------------------------------------------------------------------------------
@dataclass
class HelmRepositoryRun(Run):
    """What one HelmRepository reconcile knows between its phases."""

    static: bool = False         # type oci: nothing to fetch or store
    index_bytes: bytes = b""     # the downloaded index.yaml
    index_json: bytes = b""      # the loaded index as the artifact stores it
    up_to_date: bool = False     # the stored artifact already has this revision


class HelmRepositoryReconciler(PhasedReconciler[HelmRepositoryRun]):
    """source-controller's HelmRepository loop."""

    kind = HELM_REPOSITORY
    controller = "source-controller"
    run_type = HelmRepositoryRun
    observes_outside_world = True

    def __init__(self, client: Client, recorder: EventRecorder, logger: Logger,
                 storage: Storage | None = None) -> None:
        super().__init__(client, recorder, logger)
        self.storage = storage or Storage(default_storage_root())

    def phases(self) -> list[tuple[str, Any]]:
        return [("finalize", self.phase_finalize), ("storage", self.phase_storage),
                ("source", self.phase_source), ("artifact", self.phase_artifact)]

    def default_requeue(self, run: HelmRepositoryRun) -> float | None:
        return HelmRepository(run.obj).interval

    # -- phases -----------------------------------------------------------------------------------
    def phase_finalize(self, run: HelmRepositoryRun) -> Result | None:
        """Finish a deletion (remove stored indexes), add the finalizer, stop if suspended; `type: oci` is static."""
        repo = HelmRepository(run.obj)
        ended = self.open_reconcile(run, cleanup=lambda: self.storage.remove_all("HelmRepository", repo.namespace,
                                                                                repo.name))
        if ended is not None:
            return ended
        if repo.is_oci:
            # Flux's migrationToStatic: stored indexes removed, the status reset; the object is only a reference.
            self.storage.remove_all("HelmRepository", repo.namespace, repo.name)
            run.obj["status"] = {}
            run.static = True
            run.did("type oci: a static reference for HelmCharts, nothing to fetch")
            return Result()
        return None

    def phase_storage(self, run: HelmRepositoryRun) -> Result | None:
        """Garbage-collect old indexes; check the advertised artifact still exists with its digest."""
        repo = HelmRepository(run.obj)
        reconcile_storage(self, run, self.storage, "HelmRepository", repo.namespace, repo.name,
                          stored="index", missing="it will be fetched")
        return None

    def phase_source(self, run: HelmRepositoryRun) -> Result | None:
        """Fetch `<url>/index.yaml`; a new sha256 of its bytes is a new revision, which is loaded and validated."""
        repo = HelmRepository(run.obj)
        if repo.url.startswith("oci://"):
            raise ReconcileError(reasons.URL_INVALID, "invalid Helm repository URL: 'oci' URL scheme cannot be used "
                                 "with 'default' HelmRepository type", condition=c.FETCH_FAILED, stalled=True)
        try:
            auth = self._auth(repo)
        except HelmRepositoryError as err:
            raise ReconcileError(reasons.AUTHENTICATION_FAILED, str(err), condition=c.FETCH_FAILED) from None
        try:
            run.index_bytes = fetch_index(repo.url, auth=auth, timeout=repo.timeout)
        except HelmRepositoryError as err:
            raise ReconcileError(reasons.FAILED, f"failed to fetch Helm repository index: {err}",
                                 condition=c.FETCH_FAILED) from None
        revision = index_revision(run.index_bytes)
        run.revision = revision
        current = run.status.get("artifact") or {}
        if current.get("revision") == revision:
            run.up_to_date = True
            c.delete_condition(run.obj, c.FETCH_FAILED)
            run.did(f"index revision {revision} unchanged")
            return None
        try:
            run.index_json = load_index(run.index_bytes).to_json()
        except IndexLoadError as err:
            raise ReconcileError(reasons.INDEXATION_FAILED, f"failed to load Helm repository from index YAML: {err}",
                                 condition=c.FETCH_FAILED) from None
        c.delete_condition(run.obj, c.FETCH_FAILED)
        message = f"new index revision '{revision}'"
        if current:
            c.mark_true(run.obj, c.ARTIFACT_OUTDATED, reasons.NEW_REVISION, message)
        self.progressing(run, f"building artifact: {message}")
        self.patch_status(run)
        run.did(f"fetched index.yaml ({len(run.index_bytes)} bytes): {message}")
        return None

    def phase_artifact(self, run: HelmRepositoryRun) -> Result | None:
        """Store the loaded index as JSON in storage and advertise it in status (artifact, url)."""
        repo = HelmRepository(run.obj)
        if run.up_to_date:
            self.event(run, TRACE, reasons.ARTIFACT_UP_TO_DATE,
                       f"artifact up-to-date with remote revision: '{run.revision}'")
            run.did("artifact up to date")
            return self._stored(run)
        hex_ = run.revision.split(":", 1)[1]
        rel = self.storage.artifact_path("HelmRepository", repo.namespace, repo.name, f"index-{hex_}.yaml")
        try:
            artifact = self.storage.store(rel, run.index_json, run.revision)
        except StorageError as err:
            raise ReconcileError(err.reason, f"unable to save artifact to storage: {err.message}",
                                 condition=c.STORAGE_OPERATION_FAILED) from None
        run.status["artifact"] = artifact
        url = _link(self.storage, rel, "index.yaml")
        if url:
            run.status["url"] = url
        c.delete_condition(run.obj, c.STORAGE_OPERATION_FAILED)
        self.storage.garbage_collect("HelmRepository", repo.namespace, repo.name, rel)
        run.did(f"stored artifact {artifact['path']} ({artifact['digest']})")
        return self._stored(run)

    # -- helpers ----------------------------------------------------------------------------------
    def _auth(self, repo: HelmRepository) -> BasicAuth | None:
        if not repo.secret_ref:
            return None
        secret = _secret(self.client, repo.namespace, repo.secret_ref, "authentication secret")
        return secret_basic_auth(secret)

    def _stored(self, run: HelmRepositoryRun) -> Result:
        """ArtifactInStorage=True; NewArtifact for a new digest, Succeeded after a recovery."""
        repo = HelmRepository(run.obj)
        artifact = run.status["artifact"]
        c.delete_condition(run.obj, c.ARTIFACT_OUTDATED)
        c.mark_true(run.obj, c.ARTIFACT_IN_STORAGE, reasons.SUCCEEDED,
                    f"stored artifact: revision '{artifact['revision']}'")
        previous = run.old_status.get("artifact") or {}
        message = f"stored fetched index of size {human_size(artifact.get('size') or 0)} from '{repo.url}'"
        meta = {REVISION_KEY: artifact["revision"], DIGEST_KEY: artifact["digest"]}
        if previous.get("digest") != artifact["digest"]:
            run.log.info(message)
            self.event(run, NORMAL, reasons.NEW_ARTIFACT, message, meta)
        elif _was_failing(run, REPOSITORY_NEGATIVE):
            self.event(run, NORMAL, reasons.SUCCEEDED, message, meta)
        return Result(requeue_after=repo.interval)

    def finish_status(self, run: HelmRepositoryRun) -> None:
        """Ready from the negative conditions, else ArtifactInStorage; a static (oci) object keeps no status."""
        if run.static:
            return
        if not run.suspended:
            _summarize(run, REPOSITORY_NEGATIVE)
        super().finish_status(run)


# -- HelmChart ------------------------------------------------------------------------------------------------
@dataclass
class HelmChartRun(Run):
    """What one HelmChart reconcile knows between its phases."""

    source: Obj | None = None        # the HelmRepository / GitRepository
    build: ChartBuild | None = None  # the chart pulled or packaged
    reused: bool = False             # the stored artifact already holds this chart name and version


class HelmChartReconciler(PhasedReconciler[HelmChartRun]):
    """source-controller's HelmChart loop (HelmRepository http/oci and GitRepository sources)."""

    kind = HELM_CHART
    controller = "source-controller"
    run_type = HelmChartRun
    #: an OCI source's tags live in the registry; `sync(sources=True)` re-checks charts as their interval would
    observes_outside_world = True

    def __init__(self, client: Client, recorder: EventRecorder, logger: Logger,
                 storage: Storage | None = None) -> None:
        super().__init__(client, recorder, logger)
        self.storage = storage or Storage(default_storage_root())

    def phases(self) -> list[tuple[str, Any]]:
        return [("finalize", self.phase_finalize), ("storage", self.phase_storage),
                ("source", self.phase_source), ("artifact", self.phase_artifact)]

    def default_requeue(self, run: HelmChartRun) -> float | None:
        return HelmChart(run.obj).interval

    def waits_for(self, obj: Obj) -> list[Key]:
        ref = HelmChart(obj).source_ref
        return [(str(ref.get("kind", "")), str(ref["namespace"]), str(ref.get("name", "")))]

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        """The source got a (new) artifact revision: source-controller's HelmChart watch."""
        ref = HelmChart(obj).source_ref
        meta = changed.get("metadata") or {}
        if (changed.get("kind"), meta.get("namespace"), meta.get("name")) != \
                (ref.get("kind"), ref["namespace"], ref.get("name")):
            return False
        revision = ((changed.get("status") or {}).get("artifact") or {}).get("revision")
        return bool(revision) and revision != HelmChart(obj).observed_source_artifact_revision

    # -- phases -----------------------------------------------------------------------------------
    def phase_finalize(self, run: HelmChartRun) -> Result | None:
        """Finish a deletion (remove the stored charts), add the finalizer, stop if suspended."""
        chart = HelmChart(run.obj)
        return self.open_reconcile(run, cleanup=lambda: self.storage.remove_all("HelmChart", chart.namespace,
                                                                               chart.name))

    def phase_storage(self, run: HelmChartRun) -> Result | None:
        """Garbage-collect old charts; check the advertised artifact still exists with its digest."""
        chart = HelmChart(run.obj)
        reconcile_storage(self, run, self.storage, "HelmChart", chart.namespace, chart.name,
                          stored="chart", missing="it will be rebuilt")
        return None

    def phase_source(self, run: HelmChartRun) -> Result | None:
        """Get the source and its artifact, pick the chart version and pull (or package) the chart."""
        chart = HelmChart(run.obj)
        ref = chart.source_ref
        source = self._get_source(run, ref)
        run.source = source
        source_kind = source.get("kind", "")
        artifact = (source.get("status") or {}).get("artifact")
        is_oci = source_kind == "HelmRepository" and HelmRepository(source).is_oci
        if not is_oci and (not artifact or self.storage.verify(artifact) == "missing"):
            message = f"no artifact available for {ref.get('kind')} source '{ref.get('name')}'"
            c.mark_true(run.obj, c.FETCH_FAILED, reasons.NO_SOURCE_ARTIFACT, message)
            self.event(run, TRACE, reasons.NO_SOURCE_ARTIFACT, message)
            run.did(message)
            return Result(requeue_after=NO_ARTIFACT_REQUEUE)
        if artifact:
            run.status["observedSourceArtifactRevision"] = artifact.get("revision", "")
        try:
            if source_kind == "HelmRepository":
                build = self._build_from_helm_repository(run, source)
            else:
                build = self._build_from_tarball(run, source)
        except BuildError as err:
            self._observe_failure(err)
        run.build = build
        c.delete_condition(run.obj, c.FETCH_FAILED)
        c.delete_condition(run.obj, BUILD_FAILED)
        run.revision = build.version
        run.did(build.summary if not run.reused else f"chart '{build.name}' version '{build.version}' "
                                                      "already stored")
        return None

    def phase_artifact(self, run: HelmChartRun) -> Result | None:
        """Store the chart at `<chart>-<version>.tgz` and advertise it (revision = the chart version)."""
        chart = HelmChart(run.obj)
        build = run.build
        assert build is not None
        if run.reused:
            self.event(run, TRACE, reasons.ARTIFACT_UP_TO_DATE,
                       f"artifact up-to-date with remote revision: '{build.version}'")
            run.did("artifact up to date")
            return self._stored(run, build)
        rel = self.storage.artifact_path("HelmChart", chart.namespace, chart.name,
                                         f"{build.name}-{build.version}.tgz")
        try:
            artifact = self.storage.store(rel, build.archive, build.version)
        except StorageError as err:
            raise ReconcileError(err.reason, f"unable to copy Helm chart to storage: {err.message}",
                                 condition=c.STORAGE_OPERATION_FAILED) from None
        run.status["artifact"] = artifact
        run.status["observedChartName"] = build.name
        if chart.ignore_missing_values_files:
            run.status["observedValuesFiles"] = list(build.values_files)
        else:
            run.status.pop("observedValuesFiles", None)
        url = _link(self.storage, rel, "latest.tar.gz")
        if url:
            run.status["url"] = url
        c.delete_condition(run.obj, c.STORAGE_OPERATION_FAILED)
        self.storage.garbage_collect("HelmChart", chart.namespace, chart.name, rel)
        run.did(f"stored artifact {artifact['path']} ({artifact['digest']})")
        return self._stored(run, build)

    # -- sources ----------------------------------------------------------------------------------
    def _get_source(self, run: HelmChartRun, ref: Obj) -> Obj:
        kind, name, namespace = str(ref.get("kind", "")), str(ref.get("name", "")), str(ref["namespace"])
        if kind not in SUPPORTED_SOURCES:
            message = (f"failed to get source: unsupported source kind '{kind}', must be one of: "
                       f"[{' '.join(SUPPORTED_SOURCES)}]")
            raise ReconcileError(reasons.UNSUPPORTED_SOURCE_KIND, message, condition=c.FETCH_FAILED, stalled=True)
        api_version = {"HelmRepository": HELM_REPOSITORY.api_version, "GitRepository": GIT_REPOSITORY.api_version,
                       "Bucket": "source.toolkit.fluxcd.io/v1"}[kind]
        plural = {"HelmRepository": HELM_REPOSITORY.plural, "GitRepository": GIT_REPOSITORY.plural,
                  "Bucket": "buckets"}[kind]
        try:
            source = self.client.get(api_version, kind, name, namespace)
        except NoMatchError as err:
            raise ReconcileError(reasons.SOURCE_UNAVAILABLE, f"failed to get source: {err}",
                                 condition=c.FETCH_FAILED, requeue_after=NO_ARTIFACT_REQUEUE) from None
        except ApiError as err:
            raise ReconcileError(reasons.SOURCE_UNAVAILABLE, f"failed to get source: {err}",
                                 condition=c.FETCH_FAILED, requeue_after=NO_ARTIFACT_REQUEUE) from None
        if source is None:
            raise ReconcileError(reasons.SOURCE_UNAVAILABLE,
                                 f'failed to get source: {plural}.source.toolkit.fluxcd.io "{name}" not found',
                                 condition=c.FETCH_FAILED, requeue_after=NO_ARTIFACT_REQUEUE)
        return source

    def _cached(self, run: HelmChartRun, name: str, version: str) -> ChartBuild | None:
        """The stored chart when it holds `name`@`version` and the spec did not change (BuildOptions.CachedChart)."""
        chart = HelmChart(run.obj)
        artifact = run.status.get("artifact")
        if not artifact or chart.generation != chart.observed_generation:
            return None
        try:
            data = self.storage.local_path(artifact["path"]).read_bytes()
        except (OSError, StorageError, KeyError):
            return None
        meta = archive_metadata(data)
        if meta is None or meta.get("name") != name or meta.get("version") != version:
            return None
        wanted = effective_values_files(chart.values_files)
        observed = run.status.get("observedValuesFiles")
        build = ChartBuild(name, version, data, packaged=bool(wanted) or "+" in version,
                           values_files=list(observed) if observed is not None else wanted)
        run.reused = True
        return build

    def _building(self, run: HelmChartRun, name: str, version: str) -> None:
        """observeChartBuild: a chart name or version the artifact does not hold yet is announced and patched."""
        if name == run.status.get("observedChartName") and \
                (run.status.get("artifact") or {}).get("revision") == version:
            return
        summary = f"new '{name}' chart with version '{version}'"
        if run.status.get("artifact"):
            c.mark_true(run.obj, c.ARTIFACT_OUTDATED, reasons.NEW_CHART, summary)
        self.progressing(run, f"building artifact: {summary}")
        self.patch_status(run)

    def _build_from_helm_repository(self, run: HelmChartRun, repo_obj: Obj) -> ChartBuild:
        chart = HelmChart(run.obj)
        repo = HelmRepository(repo_obj)
        if not chart.chart:
            raise BuildError(CHART_REFERENCE, "no name set for remote chart reference")
        if not REMOTE_CHART_NAME.fullmatch(chart.chart):
            raise BuildError(CHART_REFERENCE, f"invalid chart name '{chart.chart}': a valid name must be lower case "
                                              "letters and numbers and MAY be separated with dashes (-), slashes (/) "
                                              "or periods (.)")
        wanted = effective_values_files(chart.values_files)
        metadata = str(chart.generation) if wanted else ""
        try:
            auth = self._repository_auth(repo)
        except (HelmRepositoryError, OCIChartError) as err:
            raise ReconcileError(reasons.AUTHENTICATION_FAILED, str(err), condition=c.FETCH_FAILED) from None
        try:
            if repo.is_oci:
                ref = OCIChartRef.of(repo.url.rstrip("/"), chart.chart)
                client = OCIClient(ref, auth=auth, insecure=repo.insecure, timeout=repo.timeout)
                try:
                    version = resolve_chart(client, chart.chart, chart.version)
                except OCIChartError as err:
                    raise BuildError(CHART_PULL, f"failed to get chart version for remote reference: {err}") from None
                final = _with_metadata(version, metadata)
                cached = self._cached(run, chart.chart, final)
                if cached is not None:
                    return cached
                self._building(run, chart.chart, final)
                try:
                    data = pull_chart(client, version)
                except OCIChartError as err:
                    raise BuildError(CHART_PULL, f"failed to download chart for remote reference: {err}") from None
                return build_remote(data, chart.chart, version, values_files=chart.values_files,
                                    ignore_missing=chart.ignore_missing_values_files, version_metadata=metadata)
            index = self._load_index(repo)
            try:
                entry = select_version(index, chart.chart, chart.version)
            except ChartReferenceError as err:
                raise BuildError(CHART_REFERENCE, f"failed to get chart version for remote reference: {err}") \
                    from None
            version = str(entry["version"])
            final = _with_metadata(version, metadata)
            cached = self._cached(run, chart.chart, final)
            if cached is not None:
                return cached
            self._building(run, chart.chart, final)
            try:
                data = download_chart(repo.url, entry, auth=auth, timeout=repo.timeout,
                                      pass_credentials=repo.pass_credentials)
            except HelmRepositoryError as err:
                raise BuildError(CHART_PULL, f"failed to download chart for remote reference: {err}") from None
            return build_remote(data, chart.chart, version, values_files=chart.values_files,
                                ignore_missing=chart.ignore_missing_values_files, version_metadata=metadata)
        except BuildError as err:
            if any(word in str(err) for word in AUTH_ERROR_WORDS):
                raise ReconcileError(reasons.AUTHENTICATION_FAILED,
                                     f"failed to authenticate with the Helm repository: {err}",
                                     condition=c.FETCH_FAILED) from None
            raise

    def _repository_auth(self, repo: HelmRepository) -> BasicAuth | None:
        if not repo.secret_ref:
            return None
        secret = _secret(self.client, repo.namespace, repo.secret_ref, "authentication secret")
        if repo.is_oci:
            host = repo.url.removeprefix("oci://").split("/")[0]
            return secret_oci_auth(secret, host)
        return secret_basic_auth(secret)

    def _load_index(self, repo: HelmRepository) -> Any:
        artifact = repo.artifact or {}
        try:
            data = self.storage.local_path(artifact.get("path", "")).read_bytes()
            return load_index(data)
        except (OSError, StorageError, IndexLoadError) as err:
            raise BuildError(CHART_PULL, f"failed to get chart version for remote reference: failed to load "
                                         f"index: {err}") from None

    def _build_from_tarball(self, run: HelmChartRun, source: Obj) -> ChartBuild:
        """GitRepository (or Bucket) artifact: the chart is a path in it; valuesFiles relative to its root."""
        chart = HelmChart(run.obj)
        artifact = (source.get("status") or {}).get("artifact") or {}
        metadata = ""
        if chart.reconcile_strategy == "Revision":
            revision = str(artifact.get("revision", ""))
            sha = revision.rsplit(":", 1)[-1] if source.get("kind") == "GitRepository" else revision
            metadata = sha.split(":")[-1][:12]
        if effective_values_files(chart.values_files):
            metadata = f"{metadata}.{chart.generation}" if metadata else str(chart.generation)
        workdir = Path(tempfile.mkdtemp(prefix="helmchart-"))
        try:
            root = workdir / "source"
            root.mkdir()
            try:
                data = self.storage.local_path(artifact.get("path", "")).read_bytes()
                with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                    tar.extractall(root, filter="data")
            except (OSError, StorageError, tarfile.TarError) as err:
                raise ReconcileError(reasons.FAILED, f"artifact untar error: {err}", condition=c.FETCH_FAILED) \
                    from None
            build = build_local(root, chart.chart, values_files=chart.values_files,
                                ignore_missing=chart.ignore_missing_values_files, version_metadata=metadata)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        cached = self._cached(run, build.name, build.version)
        if cached is not None:
            return cached
        self._building(run, build.name, build.version)
        return build

    # -- outcomes ---------------------------------------------------------------------------------
    @staticmethod
    def _observe_failure(err: BuildError) -> NoReturn:
        """A build error on FetchFailed or BuildFailed with its reason; persistent ones stall the HelmChart."""
        reason = err.reason if err.reason.reason else UNKNOWN
        raise ReconcileError(reason.reason, str(err), condition=reason.condition, stalled=reason.persistent)

    def _stored(self, run: HelmChartRun, build: ChartBuild) -> Result:
        """ArtifactInStorage=True with the build's summary; an event for a new digest or a recovery."""
        chart = HelmChart(run.obj)
        artifact = run.status["artifact"]
        c.delete_condition(run.obj, c.ARTIFACT_OUTDATED)
        c.mark_true(run.obj, c.ARTIFACT_IN_STORAGE, build.reason, build.summary)
        previous = run.old_status.get("artifact") or {}
        meta = {REVISION_KEY: artifact["revision"], DIGEST_KEY: artifact["digest"]}
        if previous.get("digest") != artifact["digest"] or _was_failing(run, CHART_NEGATIVE):
            run.log.info(build.summary)
            self.event(run, NORMAL, build.reason, build.summary, meta)
        return Result(requeue_after=chart.interval)

    def finish_status(self, run: HelmChartRun) -> None:
        """Ready from the negative conditions, else ArtifactInStorage."""
        if not run.suspended:
            _summarize(run, CHART_NEGATIVE)
        super().finish_status(run)



def _with_metadata(version: str, metadata: str) -> str:
    return with_version_metadata(version, metadata) if metadata else version
