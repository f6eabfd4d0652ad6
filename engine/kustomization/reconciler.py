"""Kustomization reconciler in kustomize-controller's order (spec §2.2):

finalize → source → dependencies → fetch → path → generate → build → apply → prune → health → (finish).
Every phase either continues or ends the reconcile with Flux's Ready reason; prune runs only after a fully
successful build and apply, and the previous inventory stays untouched on any failure.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

from engine.api import conditions as c
from engine.api.crds import KUSTOMIZATION
from engine.api.duration import format_duration
from engine.api.reconcile import Context, Phase, PhasedReconciler, Result
from engine.api.types import Kustomization, NamespacedName
from engine.client import ApiError, Client
from engine.events import NORMAL, WARNING, EventRecorder, Logger
from engine.kustomization import inventory as inv
from engine.kustomization.apply import Applier, ApplyError, ChangeSet, wait_for
from engine.kustomization.generator import GenerateError, find_kustomization, generate
from engine.kustomization.postbuild import (
    PostBuildError,
    load_variables,
    stamp_common_metadata,
    stamp_owner,
    substitute_objects,
)
from engine.kustomization.workspace import (
    ArtifactError,
    extract,
    new_workdir,
    read_artifact,
    secure_join,
    verify_digest,
)

Obj = dict[str, Any]
GROUP = "kustomize.toolkit.fluxcd.io"
REVISION_KEY = f"{GROUP}/revision"
DEPENDENCY_REQUEUE = 30.0

ARTIFACT_FAILED = "ArtifactFailed"
BUILD_FAILED = "BuildFailed"
RECONCILIATION_FAILED = "ReconciliationFailed"
PRUNE_FAILED = "PruneFailed"
HEALTH_CHECK_FAILED = "HealthCheckFailed"
RECONCILIATION_SUCCEEDED = "ReconciliationSucceeded"
DEPENDENCY_NOT_READY = "DependencyNotReady"


class KustomizationReconciler(PhasedReconciler):
    """kustomize-controller's Kustomization loop; `last_changes` keeps each object's latest change set."""

    kind = KUSTOMIZATION
    controller = "kustomize-controller"

    def __init__(self, client: Client, recorder: EventRecorder, logger: Logger, *,
                 health_poll: float = 0.25, stage_wait_timeout: float = 60.0) -> None:
        super().__init__(client, recorder, logger)
        self.health_poll = health_poll
        self.applier = Applier(client, wait_timeout=stage_wait_timeout)
        self.last_changes: dict[NamespacedName, ChangeSet] = {}

    def phases(self) -> list[tuple[str, Phase]]:
        return [
            ("finalize", self.phase_finalize), ("source", self.phase_source),
            ("dependencies", self.phase_dependencies), ("fetch", self.phase_fetch), ("path", self.phase_path),
            ("generate", self.phase_generate), ("build", self.phase_build), ("apply", self.phase_apply),
            ("prune", self.phase_prune), ("health", self.phase_health), ("ready", self.phase_ready),
        ]

    # -- helpers ----------------------------------------------------------------------------------
    def fail(self, ctx: Context, reason: str, message: str, requeue: float | None = None) -> Result:
        ks = Kustomization(ctx.obj)
        message = self._scrub(ctx, message)
        c.mark_false(ctx.obj, c.READY, reason, message)
        if reason == HEALTH_CHECK_FAILED:
            c.mark_false(ctx.obj, c.HEALTHY, reason, message)
        retry = ks.retry_interval if requeue is None else requeue
        ctx.log.error(f"Reconciliation failed after {format_duration(round(ctx.elapsed, 6))}, next try in "
                      f"{format_duration(retry)}", revision=ctx.values.get("revision", ""), error=message)
        meta = {REVISION_KEY: ctx.values["revision"]} if ctx.values.get("revision") else None
        self.event(ctx, WARNING, reason, message, meta)
        return Result(requeue_after=retry, error=message, reason=reason)

    def _scrub(self, ctx: Context, text: str) -> str:
        for secret in ctx.values.get("secrets", ()):
            text = text.replace(secret, "***")
        return text

    def _progress(self, ctx: Context, verb: str) -> None:
        ks = Kustomization(ctx.obj)
        self.progressing(ctx, f"{verb} for revision {ctx.values.get('revision', '')} with a timeout of "
                              f"{format_duration(ks.timeout)}")

    def _cleanup(self, ctx: Context) -> None:
        workdir = ctx.values.pop("workdir", None)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    # -- phases -----------------------------------------------------------------------------------
    def phase_finalize(self, ctx: Context) -> Result | None:
        ks = Kustomization(ctx.obj)
        if ks.deleting:
            return self.finalize_deletion(ctx)
        self.ensure_finalizer(ctx)
        if ks.suspended:
            ctx.log.info("Reconciliation is suspended for this object")
            ctx.values["suspended"] = True
            return Result()
        return None

    def phase_source(self, ctx: Context) -> Result | None:
        ks = Kustomization(ctx.obj)
        ref = ks.source_ref
        api_version = ref.get("apiVersion") or "source.toolkit.fluxcd.io/v1"
        kind = ref.get("kind", "GitRepository")
        try:
            source = self.client.get(api_version, kind, ref["name"], ref["namespace"])
        except ApiError as err:
            return self.fail(ctx, ARTIFACT_FAILED, str(err))
        if source is None:
            ctx.log.info(f"Source '{kind}/{ref['namespace']}/{ref['name']}' not found")
            return self.fail(ctx, ARTIFACT_FAILED, f'{_plural(kind)}.{api_version.split("/")[0]} "{ref["name"]}" '
                                                   "not found")
        artifact = (source.get("status") or {}).get("artifact")
        if not artifact:
            return self.fail(ctx, ARTIFACT_FAILED, "Source artifact not found, retrying in 30s", DEPENDENCY_REQUEUE)
        ctx.values["source"] = source
        ctx.values["artifact"] = artifact
        ctx.values["revision"] = artifact.get("revision", "")
        return None

    def phase_dependencies(self, ctx: Context) -> Result | None:
        ks = Kustomization(ctx.obj)
        if not ks.depends_on:
            return None
        for dep in ks.depends_on:
            problem = self.dependency_problem(ks, dep, ctx.values["revision"])
            if problem:
                cycle = self.find_cycle(ks.key)
                if cycle:
                    problem += f" (circular dependency: {' -> '.join(str(k) for k in cycle)})"
                c.mark_false(ctx.obj, c.READY, DEPENDENCY_NOT_READY, problem)
                ctx.log.info(problem)
                self.event(ctx, NORMAL, DEPENDENCY_NOT_READY,
                           f"Dependencies do not meet ready condition, retrying in "
                           f"{format_duration(DEPENDENCY_REQUEUE)}")
                return Result(requeue_after=DEPENDENCY_REQUEUE, error=problem, reason=DEPENDENCY_NOT_READY)
        ctx.log.info("All dependencies are ready, proceeding with reconciliation")
        return None

    def dependency_problem(self, ks: Kustomization, dep: NamespacedName, revision: str) -> str | None:
        """Why a dependency is not ready (spec §2.7), or None."""
        obj = self.client.get(self.kind.api_version, self.kind.kind, dep.name, dep.namespace)
        if obj is None:
            return (f"dependency '{dep}' not found: kustomizations.{self.kind.group} \"{dep.name}\" not found")
        dks = Kustomization(obj)
        if not dks.status.get("conditions") or dks.generation != dks.observed_generation or \
                not c.is_ready(obj):
            return f"dependency '{dep}' is not ready"
        if dks.source_ref.get("kind") == ks.source_ref.get("kind") and \
                dks.source_ref.get("name") == ks.source_ref.get("name") and \
                dks.source_ref.get("namespace") == ks.source_ref.get("namespace") and \
                dks.last_applied_revision != revision:
            return f"dependency '{dep}' revision is not up to date"
        return None

    def find_cycle(self, start: NamespacedName) -> list[NamespacedName] | None:
        """A dependsOn cycle through `start`, read from the cluster (for a clearer message)."""
        path: list[NamespacedName] = []

        def visit(key: NamespacedName) -> list[NamespacedName] | None:
            if key in path:
                return path[path.index(key):] + [key]
            obj = self.client.get(self.kind.api_version, self.kind.kind, key.name, key.namespace)
            if obj is None:
                return None
            path.append(key)
            for dep in Kustomization(obj).depends_on:
                found = visit(dep)
                if found and found[0] == start:
                    return found
            path.pop()
            return None

        return visit(start)

    def phase_fetch(self, ctx: Context) -> Result | None:
        c.mark_unknown(ctx.obj, c.READY, c.PROGRESSING, "Reconciliation in progress")
        self._progress(ctx, "Fetching manifests")
        artifact = ctx.values["artifact"]
        try:
            data = read_artifact(artifact.get("url", ""))
            verify_digest(data, artifact.get("digest"))
            workdir = new_workdir()
            ctx.values["workdir"] = workdir
            extract(data, workdir)
        except ArtifactError as err:
            self._cleanup(ctx)
            requeue = DEPENDENCY_REQUEUE if "artifact not found" in str(err) else None
            return self.fail(ctx, ARTIFACT_FAILED, str(err), requeue)
        return None

    def phase_path(self, ctx: Context) -> Result | None:
        ks = Kustomization(ctx.obj)
        root: Path = ctx.values["workdir"]
        target = secure_join(root, ks.path)
        if not target.exists():
            self._cleanup(ctx)
            shown = target.relative_to(Path(str(root)).resolve()).as_posix() if target != root else "."
            return self.fail(ctx, ARTIFACT_FAILED,
                             f"kustomization path not found: stat {shown}: no such file or directory")
        if not target.is_dir():
            self._cleanup(ctx)
            return self.fail(ctx, ARTIFACT_FAILED, f"kustomization path '{ks.path}' is not a directory")
        ctx.values["path"] = target
        ctx.status["lastAttemptedRevision"] = ctx.values["revision"]
        self._progress(ctx, "Building manifests")
        return None

    def phase_generate(self, ctx: Context) -> Result | None:
        ks = Kustomization(ctx.obj)
        target: Path = ctx.values["path"]
        root = Path(ctx.values["workdir"]).resolve()
        had_file = find_kustomization(target) is not None
        try:
            kfile = generate(ks.spec, target, root)
        except GenerateError as err:
            self._cleanup(ctx)
            return self.fail(ctx, BUILD_FAILED, str(err))
        import yaml

        generated = yaml.safe_load(kfile.read_text()) or {}
        ctx.values["empty"] = not had_file and not generated.get("resources")
        return None

    def phase_build(self, ctx: Context) -> Result | None:
        ks = Kustomization(ctx.obj)
        target: Path = ctx.values["path"]
        try:
            if ctx.values.get("empty"):
                objects: list[Obj] = []
            else:
                from engine import kustomize

                objects = kustomize.build(str(target))
            stamp_common_metadata(objects, ks.spec.get("commonMetadata"))
            post = ks.spec.get("postBuild")
            if post:
                variables = load_variables(self.client, post, ks.namespace)
                objects = substitute_objects(objects, variables,
                                             strategy=post.get("substituteStrategy") or "WithVariables")
        except PostBuildError as err:
            return self.fail(ctx, BUILD_FAILED, str(err))
        except Exception as err:  # KustomizeError and anything the builder raises on bad input
            root = str(Path(ctx.values["workdir"]).resolve())
            text = str(err).replace(root + "/", "").replace(root, ".")
            return self.fail(ctx, BUILD_FAILED, f"kustomize build failed: {text}")
        finally:
            self._cleanup(ctx)
        for obj in objects:
            if not isinstance(obj, dict) or not obj.get("kind") or not (obj.get("metadata") or {}).get("name"):
                return self.fail(ctx, BUILD_FAILED, f"failed to decode Kubernetes apiVersion, kind and name "
                                                    f"from: {str(obj)[:200]}")
            if obj["kind"] == "Secret":
                ctx.values.setdefault("secrets", []).extend(_secret_values(obj))
        stamp_owner(objects, ks.name, ks.namespace)
        for obj in objects:
            if obj["kind"] == "Secret" and obj.get("sops") and \
                    ((obj["metadata"].get("annotations") or {}).get(f"{GROUP}/decrypt") or "").lower() != "disabled":
                meta = inv.ObjMeta.of(obj)
                return self.fail(ctx, RECONCILIATION_FAILED, f"{meta.subject} is SOPS encrypted, configuring "
                                 "decryption is required for this secret to be reconciled")
        ctx.values["objects"] = objects
        self._progress(ctx, "Detecting drift")
        return None

    def phase_apply(self, ctx: Context) -> Result | None:
        ks = Kustomization(ctx.obj)
        objects: list[Obj] = ctx.values["objects"]
        self._default_namespaces(objects)
        try:
            changes = self.applier.apply_all_staged(objects, force=ks.force)
        except ApplyError as err:
            changed = "\n".join(str(e) for e in err.changes.changed())
            if err.changes.changed():
                self.event(ctx, NORMAL, c.PROGRESSING, changed, {REVISION_KEY: ctx.values["revision"]})
            message = err.message + ("\n" + changed if changed else "")
            return self.fail(ctx, RECONCILIATION_FAILED, message)
        ctx.values["changes"] = changes
        self.last_changes[ks.key] = changes
        ctx.log.info("server-side apply completed", output=changes.to_map(), revision=ctx.values["revision"])
        if changes.changed():
            self.event(ctx, NORMAL, c.PROGRESSING, "\n".join(str(e) for e in changes.changed()),
                       {REVISION_KEY: ctx.values["revision"]})
        return None

    def _default_namespaces(self, objects: list[Obj]) -> None:
        """Namespaced objects without a namespace go to `default` (as the API server's client would)."""
        for obj in objects:
            meta = obj["metadata"]
            if meta.get("namespace"):
                continue
            try:
                if self.client.is_namespaced(obj["apiVersion"], obj["kind"]):
                    meta["namespace"] = "default"
            except ApiError:
                pass  # unknown kind: the dry-run reports it with the object's name

    def phase_prune(self, ctx: Context) -> Result | None:
        ks = Kustomization(ctx.obj)
        changes: ChangeSet = ctx.values["changes"]
        new_entries = [e.meta.entry() for e in changes]
        old_entries = ks.inventory
        stale = inv.stale(old_entries, new_entries)
        ctx.status["inventory"] = {"entries": new_entries}
        if not ks.prune or not stale:
            return None
        owner = {f"{GROUP}/name": ks.name, f"{GROUP}/namespace": ks.namespace}
        deleted, errors = self.applier.delete_all(stale, owner)
        text = "\n".join(str(e) for e in deleted)
        if deleted.entries:
            ctx.log.info(f"garbage collection completed: {text}")
            if any(e.action == "deleted" for e in deleted):
                self.event(ctx, NORMAL, c.PROGRESSING, text, {REVISION_KEY: ctx.values["revision"]})
        if errors:
            failed = {m.id for m in stale} - {e.meta.id for e in deleted}
            keep = [e for e in old_entries if e["id"] in failed]
            ctx.status["inventory"] = {"entries": new_entries + keep}
            return self.fail(ctx, PRUNE_FAILED, "delete failed, errors: " + "; ".join(errors) + ";")
        return None

    def phase_health(self, ctx: Context) -> Result | None:
        ks = Kustomization(ctx.obj)
        changes: ChangeSet = ctx.values["changes"]
        if ks.wait:
            metas = [e.meta for e in changes if e.action != "skipped"]
        else:
            metas = []
            for check in ks.spec.get("healthChecks") or []:
                group, version = _split_api(check.get("apiVersion") or "apps/v1")
                metas.append(inv.ObjMeta(group, check["kind"], check.get("namespace") or "", check["name"], version))
        if not metas:
            c.delete_condition(ctx.obj, c.HEALTHY)
            return None
        was_healthy = c.is_true({"status": ctx.old_status}, c.HEALTHY)
        self._progress(ctx, "Running health checks")
        c.mark_unknown(ctx.obj, c.HEALTHY, c.PROGRESSING, "Running health checks for revision "
                       f"{ctx.values['revision']} with a timeout of {format_duration(ks.timeout)}")
        import time

        start = time.monotonic()
        ok, detail = wait_for(self.client, metas, ks.timeout, self.health_poll)
        took = format_duration(round(time.monotonic() - start, 3))
        if not ok:
            return self.fail(ctx, HEALTH_CHECK_FAILED, f"health check failed after {took}: {detail}")
        message = f"Health check passed in {took}"
        c.mark_true(ctx.obj, c.HEALTHY, c.SUCCEEDED, message)
        new_revision = ctx.old_status.get("lastAppliedRevision") != ctx.values["revision"]
        if not was_healthy or (new_revision and changes.changed()):
            self.event(ctx, NORMAL, c.PROGRESSING, message, {REVISION_KEY: ctx.values["revision"]})
        return None

    def phase_ready(self, ctx: Context) -> Result | None:
        ks = Kustomization(ctx.obj)
        revision = ctx.values["revision"]
        ctx.status["lastAppliedRevision"] = revision
        c.mark_true(ctx.obj, c.READY, RECONCILIATION_SUCCEEDED, f"Applied revision: {revision}")
        message = (f"Reconciliation finished in {format_duration(round(ctx.elapsed, 6))}, next run in "
                   f"{format_duration(ks.interval)}")
        ctx.log.info(message, revision=revision)
        self.event(ctx, NORMAL, RECONCILIATION_SUCCEEDED, message,
                   {REVISION_KEY: revision, f"{GROUP}/commit_status": "update"})
        return Result(requeue_after=ks.interval)

    # -- deletion ---------------------------------------------------------------------------------
    def finalize_deletion(self, ctx: Context) -> Result:
        ks = Kustomization(ctx.obj)
        entries = ks.inventory
        policy = ks.deletion_policy
        delete = policy in ("Delete", "WaitForTermination") or (policy == "MirrorPrune" and ks.prune)
        if ks.suspended or not entries or not delete:
            self.remove_finalizer(ctx)
            return Result()
        owner = {f"{GROUP}/name": ks.name, f"{GROUP}/namespace": ks.namespace}
        metas = [inv.ObjMeta.parse(e) for e in entries]
        deleted, errors = self.applier.delete_all(metas, owner)
        if errors:
            self.event(ctx, WARNING, "PruneFailed", "pruning for deleted resource failed: " + "; ".join(errors))
            return Result(requeue_after=ks.retry_interval, error="; ".join(errors), reason="PruneFailed")
        text = "\n".join(str(e) for e in deleted)
        if text:
            ctx.log.info(f"garbage collection completed: {text}")
            self.event(ctx, NORMAL, "Progressing", text)
        if policy == "WaitForTermination":
            if not self._wait_terminated([m for m in metas if not _skipped(deleted, m)], ks.timeout):
                ctx.log.error("failed to wait for resources termination")
                self.event(ctx, WARNING, "PruneFailed", "failed to wait for resources termination")
        self.remove_finalizer(ctx)
        return Result()

    def _wait_terminated(self, metas: list[inv.ObjMeta], timeout: float) -> bool:
        import time

        deadline = time.monotonic() + timeout
        while any(self.applier._live(m) is not None for m in metas):
            if time.monotonic() > deadline:
                return False
            time.sleep(self.health_poll)
        return True

    # -- status summary ---------------------------------------------------------------------------
    def finish_status(self, ctx: Context) -> None:
        self._cleanup(ctx)
        if ctx.values.get("suspended"):
            return
        obj = ctx.obj
        if c.is_ready(obj):
            c.delete_condition(obj, c.RECONCILING)
            ctx.status["observedGeneration"] = obj["metadata"].get("generation")
        elif c.is_true(obj, c.RECONCILING):
            cond = c.get_condition(obj, c.RECONCILING)
            assert cond is not None
            c.mark_true(obj, c.RECONCILING, c.PROGRESSING_WITH_RETRY, cond["message"])

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
            return c.is_ready(changed) and (ready is None or ready.get("reason") == DEPENDENCY_NOT_READY)
        return False


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
    return any(e.meta.id == meta.id and e.action == "skipped" for e in changes)


def _secret_values(obj: Obj) -> list[str]:
    values = []
    for value in (obj.get("data") or {}).values():
        if isinstance(value, str) and len(value) >= 4:
            values.append(value)
            try:
                decoded = base64.b64decode(value).decode()
                if len(decoded) >= 4:
                    values.append(decoded)
            except (ValueError, UnicodeDecodeError):
                pass
    values += [v for v in (obj.get("stringData") or {}).values() if isinstance(v, str) and len(v) >= 4]
    return values
