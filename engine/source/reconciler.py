"""GitRepository reconciler: storage → source (fetch) → artifact, with Flux's conditions, events and status."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from engine.api import conditions as c
from engine.api.crds import GIT_REPOSITORY
from engine.api.reconcile import Context, Phase, PhasedReconciler, Result
from engine.api.types import GitRepository
from engine.client import Client
from engine.events import NORMAL, TRACE, WARNING, EventRecorder, Logger
from engine.source.artifact import Storage, StorageError, archive_tree, default_storage_root
from engine.source.git import Credentials, GitError, checkout, remote_refs, resolve_ref
from engine.source.ignore import matcher_for

Obj = dict[str, Any]
URL_RE = re.compile(r"^(http|https|ssh|file)://.*$")
NEGATIVE = (c.STORAGE_OPERATION_FAILED, c.FETCH_FAILED, c.INCLUDE_UNAVAILABLE, c.ARTIFACT_OUTDATED)
REVISION_KEY = "source.toolkit.fluxcd.io/revision"
DIGEST_KEY = "source.toolkit.fluxcd.io/digest"


def commit_message_summary(subject: str) -> str:
    return subject if len(subject) <= 50 else subject[:50] + "..."


class GitRepositoryReconciler(PhasedReconciler):
    """source-controller's GitRepository loop (spec §1.6). `file://` URLs are accepted for lab remotes."""

    kind = GIT_REPOSITORY
    observes_outside_world = True
    controller = "source-controller"

    def __init__(self, client: Client, recorder: EventRecorder, logger: Logger,
                 storage: Storage | None = None) -> None:
        super().__init__(client, recorder, logger)
        self.storage = storage or Storage(default_storage_root())

    def phases(self) -> list[tuple[str, Phase]]:
        return [("finalize", self.phase_finalize), ("validate", self.phase_validate),
                ("storage", self.phase_storage), ("source", self.phase_source), ("artifact", self.phase_artifact)]

    # -- phases -----------------------------------------------------------------------------------
    def phase_finalize(self, ctx: Context) -> Result | None:
        repo = GitRepository(ctx.obj)
        return self.open_reconcile(ctx, cleanup=lambda: self.storage.remove_all("GitRepository", repo.namespace, repo.name))

    def phase_validate(self, ctx: Context) -> Result | None:
        repo = GitRepository(ctx.obj)
        if not URL_RE.match(repo.url):
            msg = (f"failed to parse url '{repo.url}': URL scheme must be http, https or ssh "
                   f"(scp-style 'git@host:repo' is not accepted; use ssh://git@host/repo)")
            c.mark_stalled(ctx.obj, "URLInvalid", msg)
            c.mark_false(ctx.obj, c.READY, "URLInvalid", msg)
            self.event(ctx, WARNING, "URLInvalid", msg)
            return Result(error=msg, reason="URLInvalid")
        return None

    def phase_storage(self, ctx: Context) -> Result | None:
        repo = GitRepository(ctx.obj)
        artifact = repo.artifact
        self.storage.garbage_collect("GitRepository", repo.namespace, repo.name,
                                     artifact.get("path") if artifact else None)
        if artifact:
            problem = self.storage.verify(artifact)
            if problem:
                ctx.status.pop("artifact", None)
                if problem == "digest mismatch":
                    self.event(ctx, WARNING, "ArtifactVerificationFailed",
                               f"failed to verify integrity of artifact: digest mismatch for '{artifact['path']}'")
                self.progressing(ctx, "building artifact: disappeared from storage")
        else:
            self.progressing(ctx, "building artifact")
        return None

    def phase_source(self, ctx: Context) -> Result | None:
        repo = GitRepository(ctx.obj)
        creds = None
        try:
            if repo.secret_ref:
                secret = self.client.get("v1", "Secret", repo.secret_ref, repo.namespace)
                if secret is None:
                    raise GitError("AuthenticationFailed", f"failed to get secret '{repo.namespace}/"
                                   f"{repo.secret_ref}': secrets \"{repo.secret_ref}\" not found")
                creds = Credentials.from_secret(secret)
                creds.validate(repo.url)
            refs = remote_refs(repo.url, creds, repo.timeout)
            resolved = resolve_ref(repo.url, repo.ref, refs)
        except GitError as err:
            return self.fetch_failed(ctx, err)
        ctx.values["resolved"] = resolved
        artifact = repo.artifact
        unchanged_config = ctx.status.get("observedIgnore") == repo.ignore
        if artifact and artifact.get("revision") == resolved.revision and unchanged_config:
            msg = f"no changes since last reconciliation: observed revision '{resolved.revision}'"
            ctx.log.info(msg)
            self.event(ctx, TRACE, "GitOperationSucceeded", msg)
            ctx.values["up_to_date"] = True
            return None
        if artifact and artifact.get("revision") != resolved.revision:
            c.mark_true(ctx.obj, c.ARTIFACT_OUTDATED, "NewRevision", f"new upstream revision '{resolved.revision}'")
            self.progressing(ctx, f"building artifact: new upstream revision '{resolved.revision}'")
        workdir = Path(tempfile.mkdtemp(prefix="gitrepository-"))
        ctx.values["workdir"] = workdir
        try:
            ctx.values["subject"] = checkout(repo.url, resolved, workdir / "repo", creds, repo.timeout)
        except GitError as err:
            shutil.rmtree(workdir, ignore_errors=True)
            return self.fetch_failed(ctx, err)
        c.delete_condition(ctx.obj, c.FETCH_FAILED)
        return None

    def phase_artifact(self, ctx: Context) -> Result | None:
        repo = GitRepository(ctx.obj)
        resolved = ctx.values["resolved"]
        if ctx.values.get("up_to_date"):
            c.delete_condition(ctx.obj, c.FETCH_FAILED)
            self.event(ctx, TRACE, "ArtifactUpToDate",
                       f"artifact up-to-date with remote revision: '{resolved.revision}'")
            return self.succeed(ctx, new_artifact=False)
        workdir: Path = ctx.values["workdir"]
        try:
            root = workdir / "repo"
            data = archive_tree(root, matcher_for(root, repo.ignore))
            rel = self.storage.artifact_path("GitRepository", repo.namespace, repo.name, f"{resolved.sha}.tar.gz")
            artifact = self.storage.store(rel, data, resolved.revision)
        except StorageError as err:
            c.mark_true(ctx.obj, c.STORAGE_OPERATION_FAILED, err.reason, err.message)
            self.event(ctx, WARNING, err.reason, err.message)
            return Result(requeue_after=repo.interval, error=err.message, reason=err.reason)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        previous = ctx.old_status.get("artifact") or {}
        ctx.status["artifact"] = artifact
        if repo.ignore is not None:
            ctx.status["observedIgnore"] = repo.ignore
        else:
            ctx.status.pop("observedIgnore", None)
        self.storage.garbage_collect("GitRepository", repo.namespace, repo.name, rel)
        new = previous.get("digest") != artifact["digest"]
        return self.succeed(ctx, new_artifact=new)

    # -- outcomes ---------------------------------------------------------------------------------
    def succeed(self, ctx: Context, *, new_artifact: bool) -> Result:
        repo = GitRepository(ctx.obj)
        artifact = ctx.status["artifact"]
        msg = f"stored artifact for revision '{artifact['revision']}'"
        was_failing = c.get_condition({"status": ctx.old_status}, c.READY) is not None and \
            (c.get_condition({"status": ctx.old_status}, c.READY) or {}).get("status") != c.TRUE
        for cond in (c.ARTIFACT_OUTDATED, c.STORAGE_OPERATION_FAILED, c.FETCH_FAILED):
            c.delete_condition(ctx.obj, cond)
        c.mark_true(ctx.obj, c.ARTIFACT_IN_STORAGE, c.SUCCEEDED, msg)
        meta = {REVISION_KEY: artifact["revision"], DIGEST_KEY: artifact["digest"]}
        subject = ctx.values.get("subject")
        if new_artifact:
            text = f"stored artifact for commit '{commit_message_summary(subject or '')}'"
            ctx.log.info(text, revision=artifact["revision"])
            self.event(ctx, NORMAL, "NewArtifact", text, meta)
        elif was_failing:
            self.event(ctx, NORMAL, c.SUCCEEDED, msg, meta)
        return Result(requeue_after=repo.interval)

    def fetch_failed(self, ctx: Context, err: GitError) -> Result:
        repo = GitRepository(ctx.obj)
        c.mark_true(ctx.obj, c.FETCH_FAILED, err.reason, err.message)
        ctx.log.error("Reconciler error", error=err.message)
        self.event(ctx, WARNING, err.reason, err.message)
        return Result(requeue_after=repo.interval, error=err.message, reason=err.reason)

    def finish_status(self, ctx: Context) -> None:
        if ctx.values.get("suspended"):
            return
        obj = ctx.obj
        if not c.is_true(obj, c.STALLED):
            for cond_type in NEGATIVE:
                cond = c.get_condition(obj, cond_type)
                if cond and cond.get("status") == c.TRUE:
                    c.mark_false(obj, c.READY, cond["reason"], cond["message"])
                    break
            else:
                stored = c.get_condition(obj, c.ARTIFACT_IN_STORAGE)
                if stored and stored.get("status") == c.TRUE:
                    c.mark_true(obj, c.READY, c.SUCCEEDED, stored["message"])
        ready = c.get_condition(obj, c.READY)
        if ready and ready.get("status") == c.TRUE or c.is_true(obj, c.STALLED):
            c.delete_condition(obj, c.RECONCILING)
            ctx.status["observedGeneration"] = obj["metadata"].get("generation")
        elif c.is_true(obj, c.RECONCILING):
            cond = c.get_condition(obj, c.RECONCILING)
            assert cond is not None
            c.mark_true(obj, c.RECONCILING, c.PROGRESSING_WITH_RETRY, cond["message"])
