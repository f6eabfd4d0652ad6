"""Kustomization reconciler in kustomize-controller's order:

finalize → source → dependencies → fetch → path → generate → build → apply → prune → health → ready (→ finish).

Each phase reads and writes a typed `KustomizationRun`, says what it did (`run.did`), and either continues or
raises a `ReconcileError` with Flux's Ready reason. Status is patched as the reconcile progresses (Reconciling
with `Fetching/Building manifests…`, `Running health checks…`). Prune runs only after a fully successful build
and apply; before any object is written the inventory is widened to what the apply may create, so an engine
killed mid-apply still prunes those objects later.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import reasons
from engine.api import conditions as c
from engine.api.crds import KUSTOMIZATION
from engine.api.duration import format_duration
from engine.api.reconcile import (
    ArtifactNotFound,
    Cancelled,
    DependencyNotReady,
    Key,
    PhasedReconciler,
    ReconcileError,
    Result,
    Run,
    retry_message,
)
from engine.api.types import Kustomization, NamespacedName
from engine.client import ApiError, Client
from engine.events import NORMAL, WARNING, EventRecorder, Logger
from engine.jsonobj import Obj
from engine.kustomization import inventory as inv
from engine.kustomization.apply import (
    DEFAULT_CONCURRENT_SSA,
    Action,
    Applier,
    ApplyError,
    ApplyOptions,
    ChangeSet,
    wait_deleted,
    wait_for,
)
from engine.kustomization.build import BuildError, Generated, build_objects, generate_file, sops_encrypted
from engine.kustomization.decryption import check_keys, decrypt
from engine.kustomization.dependencies import dependency_problem, find_cycle
from engine.kustomization.fields import (
    apply_client,
    health_checks,
    status_reader,
)
from engine.kustomization.history import upsert_history
from engine.kustomization.spec import validate_spec
from engine.kustomization.workspace import (
    ArtifactError,
    extract,
    new_workdir,
    read_artifact,
    secure_join,
    verify_digest,
)

GROUP = "kustomize.toolkit.fluxcd.io"
REVISION_KEY = f"{GROUP}/revision"
DEPENDENCY_REQUEUE = 30.0
HEALTH_POLL = 0.05


@dataclass
class KustomizationRun(Run):
    """What one Kustomization reconcile knows between its phases."""

    source: str = ""                       # Kind/namespace/name of the source
    artifact: Obj | None = None            # the source's status.artifact
    workdir: Path | None = None            # where the artifact is unpacked
    path: Path | None = None               # spec.path inside workdir
    generated: Generated | None = None     # kustomization.yaml generated or patched
    objects: list[Obj] = field(default_factory=list)  # the build, owner labels stamped
    digest: str = ""                       # sha256 of the build (status.history)
    secrets: list[str] = field(default_factory=list)  # values to keep out of messages
    changes: ChangeSet | None = None       # the apply's change set
    pruned: ChangeSet | None = None        # what garbage collection did
    health: list[inv.ObjMeta] = field(default_factory=list)  # objects health-checked
    target: Client | None = None           # applies/prunes/checks health: kubeConfig cluster, serviceAccountName


class KustomizationReconciler(PhasedReconciler[KustomizationRun]):
    """kustomize-controller's Kustomization loop."""

    kind = KUSTOMIZATION
    controller = "kustomize-controller"
    run_type = KustomizationRun
    corrects_drift = True

    def __init__(self, client: Client, recorder: EventRecorder, logger: Logger, *,
                 health_poll: float = HEALTH_POLL, stage_wait_timeout: float = 60.0,
                 concurrent_ssa: int | None = None) -> None:
        super().__init__(client, recorder, logger)
        self.health_poll = health_poll
        self.stage_wait_timeout = stage_wait_timeout
        self.applier = Applier(client, concurrency=max(1, concurrent_ssa or DEFAULT_CONCURRENT_SSA))

    @property
    def concurrent_ssa(self) -> int:
        """Dry-runs in flight at once during an apply (flux's --concurrent-ssa)."""
        return self.applier.concurrency

    @concurrent_ssa.setter
    def concurrent_ssa(self, value: int) -> None:
        self.applier.concurrency = max(1, value)

    def phases(self) -> list[tuple[str, Any]]:
        return [
            ("finalize", self.phase_finalize), ("source", self.phase_source),
            ("dependencies", self.phase_dependencies), ("fetch", self.phase_fetch), ("path", self.phase_path),
            ("generate", self.phase_generate), ("build", self.phase_build), ("apply", self.phase_apply),
            ("prune", self.phase_prune), ("health", self.phase_health), ("ready", self.phase_ready),
        ]

    # -- hooks of the base ------------------------------------------------------------------------
    def default_requeue(self, run: KustomizationRun) -> float | None:
        return Kustomization(run.obj).retry_interval

    def scrub(self, run: KustomizationRun, text: str) -> str:
        for secret in run.secrets:
            text = text.replace(secret, "***")
        return text

    def event_metadata(self, run: KustomizationRun) -> dict[str, str] | None:
        return {REVISION_KEY: run.revision} if run.revision else None

    def log_failure(self, run: KustomizationRun, err: ReconcileError, message: str, requeue: float | None) -> None:
        if isinstance(err, DependencyNotReady):
            run.log.info(message)
        else:
            run.log.error(retry_message(run, requeue), revision=run.revision, error=message)

    def fail(self, run: KustomizationRun, err: ReconcileError, *, logged: bool = False) -> Result:
        result = super().fail(run, err, logged=logged)
        if err.reason == reasons.HEALTH_CHECK_FAILED:
            c.mark_false(run.obj, c.HEALTHY, err.reason, result.error or "")
        return result

    @staticmethod
    def _progress_message(run: KustomizationRun, verb: str) -> str:
        return f"{verb} for revision {run.revision} with a timeout of " \
               f"{format_duration(Kustomization(run.obj).timeout)}"

    def _progress(self, run: KustomizationRun, verb: str) -> None:
        """Reconciling=True with `<verb> for revision <rev> with a timeout of <t>`, patched at once."""
        self.progressing(run, self._progress_message(run, verb))
        self.patch_status(run)

    def _cleanup(self, run: KustomizationRun) -> None:
        if run.workdir is not None:
            shutil.rmtree(run.workdir, ignore_errors=True)
            run.workdir = None

    # -- phases -----------------------------------------------------------------------------------
    def phase_finalize(self, run: KustomizationRun) -> Result | None:
        """Finish a deletion (garbage-collect the inventory), add the finalizer, stop if suspended."""
        opened = self.open_reconcile(run, finalize=lambda: self.finalize_deletion(run), reconciling=False,
                                     suspended_log="Reconciliation is suspended for this object")
        if opened is not None:
            return opened
        validate_spec(run.obj)
        health_checks(run.obj)  # an invalid CEL expression: Stalled/InvalidCELExpression, before the source
        return None

    def phase_source(self, run: KustomizationRun) -> Result | None:
        """Get the source object named by spec.sourceRef and the artifact it advertises."""
        ks = Kustomization(run.obj)
        ref = ks.source_ref
        api_version = ref.get("apiVersion") or "source.toolkit.fluxcd.io/v1"
        kind = ref.get("kind", "GitRepository")
        source = self.client.get(api_version, kind, ref["name"], ref["namespace"])
        run.source = f"{kind}/{ref['namespace']}/{ref['name']}"
        if source is None:
            run.log.info(f"Source '{run.source}' not found")
            raise ReconcileError(reasons.ARTIFACT_FAILED,  # Flux only logs it: no event
                                 f'{_plural(kind)}.{api_version.split("/")[0]} "{ref["name"]}" not found',
                                 event=False)
        artifact = (source.get("status") or {}).get("artifact")
        if not artifact:
            raise ArtifactNotFound("Source artifact not found, retrying in 30s", DEPENDENCY_REQUEUE)
        run.artifact = artifact
        run.revision = artifact.get("revision", "")
        run.did(f"source {run.source}: artifact revision {run.revision}")
        return None

    def phase_dependencies(self, run: KustomizationRun) -> Result | None:
        """Check every dependsOn Kustomization is Ready (and at this revision when they share the source)."""
        ks = Kustomization(run.obj)
        if not ks.depends_on:
            run.did("no dependsOn: nothing to wait for")
            return None
        for dep in ks.depends_on:
            problem = dependency_problem(self.client, ks, dep, run.revision)
            if problem:
                cycle = find_cycle(self.client, ks.key)
                if cycle:
                    problem += f" (circular dependency: {' -> '.join(str(k) for k in cycle)})"
                self.event(run, NORMAL, reasons.DEPENDENCY_NOT_READY,
                           f"Dependencies do not meet ready condition, retrying in "
                           f"{format_duration(DEPENDENCY_REQUEUE)}")
                raise DependencyNotReady(problem, DEPENDENCY_REQUEUE)
        run.log.info("All dependencies are ready, proceeding with reconciliation")
        run.did("dependencies ready: " + ", ".join(str(d) for d in ks.depends_on))
        return None

    def phase_fetch(self, run: KustomizationRun) -> Result | None:
        """Download the artifact tarball, verify its digest and unpack it into a temporary folder."""
        c.mark_unknown(run.obj, c.READY, reasons.PROGRESSING, "Reconciliation in progress")
        self._progress(run, "Fetching manifests")
        artifact = run.artifact or {}
        try:
            data = read_artifact(artifact.get("url", ""))
            verify_digest(data, artifact.get("digest"))
            run.workdir = new_workdir()
            extract(data, run.workdir)
        except ArtifactError as err:
            self._cleanup(run)
            if err.not_found:
                raise ArtifactNotFound(str(err), DEPENDENCY_REQUEUE) from None
            raise ReconcileError(reasons.ARTIFACT_FAILED, str(err)) from None
        run.did(f"artifact downloaded ({len(data)} bytes), digest verified, unpacked into a work folder")
        return None

    def phase_path(self, run: KustomizationRun) -> Result | None:
        """Find spec.path inside the artifact (never outside it) and record lastAttemptedRevision."""
        ks = Kustomization(run.obj)
        assert run.workdir is not None
        root = run.workdir
        target = secure_join(root, ks.path)
        if not target.exists():
            self._cleanup(run)
            shown = target.relative_to(Path(str(root)).resolve()).as_posix() if target != root else "."
            raise ReconcileError(reasons.ARTIFACT_FAILED,
                                 f"kustomization path not found: stat {shown}: no such file or directory")
        if not target.is_dir():
            self._cleanup(run)
            raise ReconcileError(reasons.ARTIFACT_FAILED, f"kustomization path '{ks.path}' is not a directory")
        run.path = target
        run.status["lastAttemptedRevision"] = run.revision
        self._progress(run, "Building manifests")
        run.did(f"path {ks.path or './'} found in the artifact")
        return None

    def phase_generate(self, run: KustomizationRun) -> Result | None:
        """Generate kustomization.yaml (or patch the one in Git) with targetNamespace, patches, images …"""
        assert run.path is not None and run.workdir is not None
        try:
            run.target = apply_client(self.client, run.obj)
        except ReconcileError:
            self._cleanup(run)
            raise
        try:
            run.generated = generate_file(Kustomization(run.obj).spec, run.path, run.workdir.resolve())
        except BuildError as err:
            self._cleanup(run)
            raise ReconcileError(reasons.BUILD_FAILED, err.message) from None
        if run.generated.empty:
            run.did("no YAML under the path: the build is empty")
        elif run.generated.generated:
            run.did("kustomization.yaml generated (the folder has none)")
        else:
            run.did("kustomization.yaml found; the Kustomization's overrides merged into it")
        return None

    def phase_build(self, run: KustomizationRun) -> Result | None:
        """kustomize build, commonMetadata, postBuild variable substitution, owner labels."""
        ks = Kustomization(run.obj)
        assert run.path is not None and run.workdir is not None and run.generated is not None
        try:
            check_keys(self.client, run.obj)  # spec.decryption: feature gate and key Secret, as Flux before its build
            build = build_objects(ks.spec, ks.name, ks.namespace, run.path, run.workdir.resolve(), self.client,
                                  run.generated)
        except BuildError as err:
            raise ReconcileError(reasons.BUILD_FAILED, err.message) from None
        finally:
            self._cleanup(run)
        run.secrets, run.digest = build.secrets, build.digest
        decrypt(run.obj, build.objects)  # with spec.decryption: encrypted resources fail (the kit decrypts nothing)
        for obj in build.objects:
            if sops_encrypted(obj):
                subject = inv.ObjMeta.of(obj).subject
                raise ReconcileError(reasons.RECONCILIATION_FAILED, f"{subject} is SOPS encrypted, configuring "
                                     "decryption is required for this secret to be reconciled")
        run.objects = build.objects
        self._progress(run, "Detecting drift")
        run.did(f"kustomize build: {len(run.objects)} objects")
        return None

    def phase_apply(self, run: KustomizationRun) -> Result | None:
        """Server-side apply in stages (CRDs and Namespaces first), writing only objects that drifted."""
        ks = Kustomization(run.obj)
        self._default_namespaces(run.objects, run.target)
        old = ks.inventory
        options = ApplyOptions(force=ks.force, wait_timeout=self.stage_wait_timeout)
        try:
            changes = self._applier(run).apply_all_staged(
                run.objects, options, before_write=lambda metas: self._record_intent(run, metas))
        except ApplyError as err:
            created = [e.meta.entry() for e in err.changes if e.action == Action.CREATED]
            run.status["inventory"] = {"entries": _union(old, created)}
            changed = "\n".join(str(e) for e in err.changes.changed())
            if changed:
                self.event(run, NORMAL, reasons.PROGRESSING, changed, self.event_metadata(run))
            raise ReconcileError(reasons.RECONCILIATION_FAILED,
                                 err.message + ("\n" + changed if changed else "")) from None
        run.changes = changes
        run.log.info("server-side apply completed", output=changes.to_map(), revision=run.revision)
        if changes.changed():
            self.event(run, NORMAL, reasons.PROGRESSING, "\n".join(str(e) for e in changes.changed()),
                       self.event_metadata(run))
        run.did("server-side apply: " + "; ".join(str(e) for e in changes) if len(changes) else
                "server-side apply: nothing to apply")
        return None

    def _record_intent(self, run: KustomizationRun, metas: list[inv.ObjMeta]) -> None:
        """Before objects are written, widen the inventory to include them (status patched at once), so a
        restart after a crash knows what it may have created."""
        entries = Kustomization(run.obj).inventory
        wider = _union(entries, [m.entry() for m in metas])
        if len(wider) != len(entries):
            run.status["inventory"] = {"entries": wider}
            self.patch_status(run)

    def _applier(self, run: KustomizationRun) -> Applier:
        """The applier of the run's target (the lab cluster unless kubeConfig/serviceAccountName say otherwise)."""
        if run.target is None or run.target is self.client:
            return self.applier
        return Applier(run.target, concurrency=self.applier.concurrency)

    def _default_namespaces(self, objects: list[Obj], client: Client | None = None) -> None:
        """Namespaced objects without a namespace go to `default` (as the API server's client would)."""
        for obj in objects:
            meta = obj["metadata"]
            if meta.get("namespace"):
                continue
            try:
                if (client or self.client).is_namespaced(obj["apiVersion"], obj["kind"]):
                    meta["namespace"] = "default"
            except ApiError:
                pass  # unknown kind: the dry-run reports it with the object's name

    def phase_prune(self, run: KustomizationRun) -> Result | None:
        """Write the new inventory; with prune, delete what the old inventory has and the build no longer does."""
        ks = Kustomization(run.obj)
        assert run.changes is not None
        new_entries = [e.meta.entry() for e in run.changes]
        old_entries = ks.inventory  # the last inventory, widened by what this apply was about to write
        stale = inv.stale(old_entries, new_entries)
        run.status["inventory"] = {"entries": new_entries}
        if not ks.prune:
            run.did(f"prune disabled: {len(stale)} objects left Git and stay in the cluster" if stale else
                    "prune disabled; nothing left Git")
            return None
        if not stale:
            run.did("nothing in the inventory left Git")
            return None
        owner = {f"{GROUP}/name": ks.name, f"{GROUP}/namespace": ks.namespace}
        deleted, errors = self._applier(run).delete_all(stale, owner)
        run.pruned = deleted
        text = "\n".join(str(e) for e in deleted)
        if deleted.entries:
            run.log.info(f"garbage collection completed: {text}")
            # one event for the whole change set, `prune: disabled` and foreign objects `skipped` included
            self.event(run, NORMAL, reasons.PROGRESSING, text, self.event_metadata(run))
            run.did("garbage collection: " + "; ".join(str(e) for e in deleted))
        if errors:
            failed = {m.id for m in stale} - {e.meta.id for e in deleted}
            keep = [e for e in old_entries if e["id"] in failed]
            run.status["inventory"] = {"entries": new_entries + keep}
            raise ReconcileError(reasons.PRUNE_FAILED, "delete failed, errors: " + "; ".join(errors) + ";")
        return None

    def phase_health(self, run: KustomizationRun) -> Result | None:
        """Wait until the health-checked objects (all of them with `wait: true`) are kstatus Current."""
        ks = Kustomization(run.obj)
        assert run.changes is not None
        if ks.wait:
            metas = [e.meta for e in run.changes if e.action != Action.SKIPPED]
        else:
            metas = []
            for check in ks.spec.get("healthChecks") or []:
                group, version = _split_api(check.get("apiVersion") or "apps/v1")
                metas.append(inv.ObjMeta(group, check["kind"], check.get("namespace") or "", check["name"], version))
        run.health = metas
        if not metas:
            c.delete_condition(run.obj, c.HEALTHY)
            run.did("no health checks (no wait, no healthChecks)")
            return None
        was_healthy = c.is_true({"status": run.old_status}, c.HEALTHY)
        c.mark_unknown(run.obj, c.HEALTHY, reasons.PROGRESSING, self._progress_message(run, "Running health checks"))
        self._progress(run, "Running health checks")
        ok, detail, took = self._wait_healthy(run, metas, ks.timeout)
        if not ok:
            raise ReconcileError(reasons.HEALTH_CHECK_FAILED, f"health check failed after {took}: {detail}")
        message = f"Health check passed in {took}"
        c.mark_true(run.obj, c.HEALTHY, reasons.SUCCEEDED, message)
        new_revision = run.old_status.get("lastAppliedRevision") != run.revision
        if not was_healthy or (new_revision and run.changes.changed()):
            self.event(run, NORMAL, reasons.PROGRESSING, message, self.event_metadata(run))
        run.did(f"health check passed: {len(metas)} objects Current")
        return None

    def _wait_healthy(self, run: KustomizationRun, metas: list[inv.ObjMeta],
                      timeout: float) -> tuple[bool, str, str]:
        import time

        start = time.monotonic()
        ok, detail = wait_for(run.target or self.client, metas, timeout, self.health_poll,
                              status_of=status_reader(health_checks(run.obj)), cancelled=self.cancelled,
                              sleep=self.pause)
        if self.cancelled():
            raise Cancelled("the controller is shutting down during the health check")
        return ok, detail, format_duration(round(time.monotonic() - start, 3))

    def phase_ready(self, run: KustomizationRun) -> Result | None:
        """Record lastAppliedRevision, Ready=True `Applied revision: …`, and requeue after the interval."""
        ks = Kustomization(run.obj)
        run.status["lastAppliedRevision"] = run.revision
        c.mark_true(run.obj, c.READY, reasons.RECONCILIATION_SUCCEEDED, f"Applied revision: {run.revision}")
        message = (f"Reconciliation finished in {format_duration(round(run.elapsed, 6))}, next run in "
                   f"{format_duration(ks.interval)}")
        run.log.info(message, revision=run.revision)
        self.event(run, NORMAL, reasons.RECONCILIATION_SUCCEEDED, message,
                   {REVISION_KEY: run.revision, f"{GROUP}/commit_status": "update"})
        run.did(f"Ready=True, Applied revision: {run.revision}; next run in {format_duration(ks.interval)}")
        return Result(requeue_after=ks.interval)

    # -- deletion ---------------------------------------------------------------------------------
    def finalize_deletion(self, run: KustomizationRun) -> Result:
        ks = Kustomization(run.obj)
        entries = ks.inventory
        policy = ks.deletion_policy
        delete = policy in ("Delete", "WaitForTermination") or (policy == "MirrorPrune" and ks.prune)
        if ks.suspended or not entries or not delete:
            self.remove_finalizer(run)
            run.did("deleted: inventory kept in the cluster" if entries else "deleted: nothing to garbage-collect")
            return Result()
        owner = {f"{GROUP}/name": ks.name, f"{GROUP}/namespace": ks.namespace}
        metas = [inv.ObjMeta.parse(e) for e in entries]
        try:
            run.target = apply_client(self.client, run.obj)
        except ReconcileError as err:
            return Result(requeue_after=ks.retry_interval, error=err.message, reason=err.reason)
        if not self._can_impersonate(ks):  # the account is gone: Flux logs the objects left and lets go
            self.event(run, WARNING, self._last_ready_reason(run),
                       "unable to prune objects: \n" + "".join(m.subject + "\n" for m in metas),
                       self._deletion_metadata(ks))
            self.remove_finalizer(run)
            run.did("deleted: the service account to impersonate is gone, objects left in the cluster")
            return Result()
        deleted, errors = self._applier(run).delete_all(metas, owner)
        if errors:
            self.event(run, WARNING, reasons.PRUNE_FAILED,
                       "pruning for deleted resource failed: " + "; ".join(errors))
            return Result(requeue_after=ks.retry_interval, error="; ".join(errors), reason=reasons.PRUNE_FAILED)
        text = "\n".join(str(e) for e in deleted)
        if text:
            run.log.info(f"garbage collection completed: {text}")
            self.event(run, NORMAL, self._last_ready_reason(run), text, self._deletion_metadata(ks))
        if policy == "WaitForTermination":
            gone = [m for m in metas if not _skipped(deleted, m)]
            if not wait_deleted(run.target or self.client, gone, ks.timeout, self.health_poll):
                run.log.error("failed to wait for resources termination")
                self.event(run, WARNING, reasons.PRUNE_FAILED, "failed to wait for resources termination")
        self.remove_finalizer(run)
        run.did("deleted: garbage collection: " + "; ".join(str(e) for e in deleted))
        return Result()

    def _can_impersonate(self, ks: Kustomization) -> bool:
        """Flux's Impersonator.CanImpersonate: the serviceAccountName (if any) exists in the Kustomization's
        namespace."""
        account = ks.spec.get("serviceAccountName")
        return not account or self.client.get("v1", "ServiceAccount", str(account), ks.namespace) is not None

    @staticmethod
    def _last_ready_reason(run: KustomizationRun) -> str:
        """kustomize-controller's event reason: the current Ready reason (ReconciliationSucceeded if none)."""
        ready = c.get_condition({"status": run.old_status}, c.READY) or {}
        return str(ready.get("reason") or reasons.RECONCILIATION_SUCCEEDED)

    @staticmethod
    def _deletion_metadata(ks: Kustomization) -> dict[str, str] | None:
        revision = ks.status.get("lastAppliedRevision")
        return {REVISION_KEY: str(revision)} if revision else None

    # -- status summary ---------------------------------------------------------------------------
    def finish_status(self, run: KustomizationRun) -> None:
        self._cleanup(run)
        if run.suspended:
            return
        super().finish_status(run)
        if run.digest:
            ready = c.get_condition(run.obj, c.READY) or {}
            upsert_history(run.status, run.digest, duration=run.elapsed, reason=str(ready.get("reason", "")),
                           metadata={"revision": run.revision})

    # -- what triggers a Kustomization, what it waits for -----------------------------------------
    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        ks = Kustomization(obj)
        meta = changed.get("metadata") or {}
        key = NamespacedName(meta.get("namespace", ""), meta.get("name", ""))
        ref = ks.source_ref
        if changed.get("kind") == ref.get("kind") and key == NamespacedName(ref["namespace"], ref["name"]):
            revision = ((changed.get("status") or {}).get("artifact") or {}).get("revision")
            return bool(revision) and revision != ks.last_attempted_revision
        if changed.get("kind") == self.kind.kind and key in ks.depends_on:
            ready = c.get_condition(obj, c.READY)
            return c.is_ready(changed) and (ready is None or ready.get("reason") == reasons.DEPENDENCY_NOT_READY)
        return False

    def waits_for(self, obj: Obj) -> list[Key]:
        ks = Kustomization(obj)
        ref = ks.source_ref
        keys: list[Key] = [(ref.get("kind", ""), ref.get("namespace", ""), ref.get("name", ""))]
        return keys + [(self.kind.kind, d.namespace, d.name) for d in ks.depends_on]


def _union(old: list[Obj], new: list[Obj]) -> list[Obj]:
    """Inventory entries of `old`, then those of `new` whose id is not in `old`."""
    out, seen = list(old), {e["id"] for e in old}
    for entry in new:
        if entry["id"] not in seen:
            seen.add(entry["id"])
            out.append(entry)
    return out


def _plural(kind: str) -> str:
    from engine.api.kinds import kind_info

    try:
        return kind_info(kind).plural
    except KeyError:
        return kind.lower() + "s"


def _split_api(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def _skipped(changes: ChangeSet, meta: inv.ObjMeta) -> bool:
    return any(e.meta.id == meta.id and e.action == Action.SKIPPED for e in changes)
