"""GitRepository reconciler: finalize → validate → storage → source (fetch) → artifact, over a typed run record,
with source-controller's conditions, events and status."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import reasons
from engine.api import conditions as c
from engine.api.crds import GIT_REPOSITORY
from engine.api.reconcile import PhasedReconciler, ReconcileError, Result, Run
from engine.api.types import GitRepository
from engine.client import Client
from engine.events import NORMAL, TRACE, EventRecorder, Logger
from engine.gitaccess.auth import GitAuthError, repository_access
from engine.gitaccess.remote import GitError, Resolved, checkout, remote_refs, resolve_ref
from engine.source.artifact import Storage, StorageError, archive_tree, default_storage_root
from engine.source.ignore import matcher_for
from engine.source.stored import check_stored_artifact
from engine.source.verify import verify_source

URL_RE = re.compile(r"^(http|https|ssh|file)://.*$")
NEGATIVE = (c.STORAGE_OPERATION_FAILED, c.FETCH_FAILED, c.INCLUDE_UNAVAILABLE, c.ARTIFACT_OUTDATED)
REVISION_KEY = "source.toolkit.fluxcd.io/revision"
DIGEST_KEY = "source.toolkit.fluxcd.io/digest"


def commit_message_summary(subject: str) -> str:
    return subject if len(subject) <= 50 else subject[:50] + "..."


@dataclass
class GitRepositoryRun(Run):
    """What one GitRepository reconcile knows between its phases."""

    resolved: Resolved | None = None   # the ref resolved on the remote (branch/tag → commit, revision)
    up_to_date: bool = False           # the stored artifact already has that revision and content config
    workdir: Path | None = None        # the checkout
    subject: str = ""                  # the commit's subject line (NewArtifact event)


class GitRepositoryReconciler(PhasedReconciler[GitRepositoryRun]):
    """source-controller's GitRepository loop. `file://` URLs are accepted for lab remotes."""

    kind = GIT_REPOSITORY
    observes_outside_world = True
    controller = "source-controller"
    run_type = GitRepositoryRun

    def __init__(self, client: Client, recorder: EventRecorder, logger: Logger,
                 storage: Storage | None = None) -> None:
        super().__init__(client, recorder, logger)
        self.storage = storage or Storage(default_storage_root())

    def phases(self) -> list[tuple[str, Any]]:
        return [("finalize", self.phase_finalize), ("validate", self.phase_validate),
                ("storage", self.phase_storage), ("source", self.phase_source), ("artifact", self.phase_artifact)]

    def default_requeue(self, run: GitRepositoryRun) -> float | None:
        return GitRepository(run.obj).interval

    # -- phases -----------------------------------------------------------------------------------
    def phase_finalize(self, run: GitRepositoryRun) -> Result | None:
        """Finish a deletion (remove the stored artifacts), add the finalizer, stop if suspended."""
        repo = GitRepository(run.obj)
        return self.open_reconcile(run, cleanup=lambda: self.storage.remove_all("GitRepository", repo.namespace,
                                                                                repo.name))

    def phase_validate(self, run: GitRepositoryRun) -> Result | None:
        """Refuse a URL Flux's CRD would refuse (scheme http, https or ssh; file:// for lab remotes)."""
        repo = GitRepository(run.obj)
        if not URL_RE.match(repo.url):
            msg = (f"failed to parse url '{repo.url}': URL scheme must be http, https or ssh "
                   f"(scp-style 'git@host:repo' is not accepted; use ssh://git@host/repo)")
            raise ReconcileError(reasons.URL_INVALID, msg, stalled=True)
        run.did(f"url {repo.url} accepted")
        return None

    def phase_storage(self, run: GitRepositoryRun) -> Result | None:
        """Garbage-collect old artifacts; check the advertised one still exists with its digest."""
        repo = GitRepository(run.obj)
        had_artifact = bool(repo.artifact)
        problem = check_stored_artifact(self, run, self.storage, "GitRepository", repo.namespace, repo.name)
        if problem:
            self.progressing(run, "building artifact: disappeared from storage")
            run.did(f"stored artifact {problem}: it will be rebuilt")
        elif had_artifact:
            run.did("stored artifact present and verified")
        else:
            self.progressing(run, "building artifact")
            run.did("no artifact yet")
        return None

    def phase_source(self, run: GitRepositoryRun) -> Result | None:
        """Proxy and credentials first (proxySecretRef, secretRef, provider), then resolve the ref on the remote;
        clone only when the revision (or the ignore rules) changed."""
        repo = GitRepository(run.obj)
        try:
            access = repository_access(self.client, run.obj)
            creds, proxy = access.creds, access.proxy
            refs = remote_refs(repo.url, creds, repo.timeout, proxy)
            resolved = resolve_ref(repo.url, repo.ref, refs)
        except GitError as err:
            raise _fetch_failed(err) from None
        run.resolved = resolved
        run.revision = resolved.revision
        if proxy is not None:
            run.did("remote reached through the proxy of spec.proxySecretRef")
        tag = resolved.pointer if (resolved.fetch_ref or "").startswith("refs/tags/") else None
        verify_source(self.client, run.obj, resolved.sha, tag)  # spec.verify: no artifact unless verified
        artifact = repo.artifact
        unchanged_config = run.status.get("observedIgnore") == repo.ignore
        if artifact and artifact.get("revision") == resolved.revision and unchanged_config:
            msg = f"no changes since last reconciliation: observed revision '{resolved.revision}'"
            run.log.info(msg)
            self.event(run, TRACE, reasons.GIT_OPERATION_SUCCEEDED, msg)
            run.up_to_date = True
            run.did(f"remote is at {resolved.revision}: no changes since the stored artifact, nothing cloned")
            return None
        if artifact and artifact.get("revision") != resolved.revision:
            c.mark_true(run.obj, c.ARTIFACT_OUTDATED, reasons.NEW_REVISION,
                        f"new upstream revision '{resolved.revision}'")
            self.progressing(run, f"building artifact: new upstream revision '{resolved.revision}'")
        self.patch_status(run)  # a clone can take a while: show Reconciling with what is being built
        run.workdir = Path(tempfile.mkdtemp(prefix="gitrepository-"))
        try:
            run.subject = checkout(repo.url, resolved, run.workdir / "repo", creds, repo.timeout, proxy)
        except GitError as err:
            shutil.rmtree(run.workdir, ignore_errors=True)
            run.workdir = None
            raise _fetch_failed(err) from None
        c.delete_condition(run.obj, c.FETCH_FAILED)
        run.did(f"cloned {resolved.revision}: {run.subject}")
        return None

    def phase_artifact(self, run: GitRepositoryRun) -> Result | None:
        """Archive the checkout (ignore rules applied) as a tarball in storage and advertise it in status."""
        repo = GitRepository(run.obj)
        resolved = run.resolved
        assert resolved is not None
        if run.up_to_date:  # source-controller stops at the no-change short-circuit: no second event
            c.delete_condition(run.obj, c.FETCH_FAILED)
            run.did("artifact up to date")
            return self.stored(run, new_artifact=False)
        assert run.workdir is not None
        try:
            root = run.workdir / "repo"
            data = archive_tree(root, matcher_for(root, repo.ignore))
            rel = self.storage.artifact_path("GitRepository", repo.namespace, repo.name, f"{resolved.sha}.tar.gz")
            artifact = self.storage.store(rel, data, resolved.revision)
        except StorageError as err:
            raise ReconcileError(err.reason, err.message, condition=c.STORAGE_OPERATION_FAILED,
                                 requeue_after=repo.interval) from None
        finally:
            shutil.rmtree(run.workdir, ignore_errors=True)
            run.workdir = None
        previous = run.old_status.get("artifact") or {}
        run.status["artifact"] = artifact
        if repo.ignore is not None:
            run.status["observedIgnore"] = repo.ignore
        else:
            run.status.pop("observedIgnore", None)
        self.storage.garbage_collect("GitRepository", repo.namespace, repo.name, rel)
        new = previous.get("digest") != artifact["digest"]
        run.did(f"stored artifact {artifact['path']} ({artifact['digest']})")
        return self.stored(run, new_artifact=new)

    # -- outcomes ---------------------------------------------------------------------------------
    def stored(self, run: GitRepositoryRun, *, new_artifact: bool) -> Result:
        """ArtifactInStorage=True; NewArtifact event for a new digest, Succeeded after a recovery."""
        repo = GitRepository(run.obj)
        artifact = run.status["artifact"]
        msg = f"stored artifact for revision '{artifact['revision']}'"
        before = c.get_condition({"status": run.old_status}, c.READY)
        was_failing = before is not None and before.get("status") != c.TRUE
        for cond in (c.ARTIFACT_OUTDATED, c.STORAGE_OPERATION_FAILED, c.FETCH_FAILED):
            c.delete_condition(run.obj, cond)
        c.mark_true(run.obj, c.ARTIFACT_IN_STORAGE, reasons.SUCCEEDED, msg)
        meta = {REVISION_KEY: artifact["revision"], DIGEST_KEY: artifact["digest"]}
        if new_artifact:
            text = f"stored artifact for commit '{commit_message_summary(run.subject)}'"
            run.log.info(text, revision=artifact["revision"])
            self.event(run, NORMAL, reasons.NEW_ARTIFACT, text, meta)
        elif was_failing:
            self.event(run, NORMAL, reasons.SUCCEEDED, msg, meta)
        return Result(requeue_after=repo.interval)

    def finish_status(self, run: GitRepositoryRun) -> None:
        """source-controller's summary: the first True negative condition makes Ready False, else Ready mirrors
        ArtifactInStorage; Ready or Stalled drop Reconciling."""
        if run.workdir is not None:
            shutil.rmtree(run.workdir, ignore_errors=True)
        if run.suspended:
            return
        obj = run.obj
        stalled = c.get_condition(obj, c.STALLED)
        if stalled and stalled.get("status") == c.TRUE:  # Stalled carries the failure that stopped the retries
            c.mark_false(obj, c.READY, stalled["reason"], stalled["message"])
        else:
            for cond_type in NEGATIVE:
                cond = c.get_condition(obj, cond_type)
                if cond and cond.get("status") == c.TRUE:
                    c.mark_false(obj, c.READY, cond["reason"], cond["message"])
                    break
            else:
                stored = c.get_condition(obj, c.ARTIFACT_IN_STORAGE)
                verified = c.get_condition(obj, c.SOURCE_VERIFIED)
                if verified and verified.get("status") == c.FALSE:  # a failed verification forces Ready False
                    c.mark_false(obj, c.READY, verified["reason"], verified["message"])
                elif stored and stored.get("status") == c.TRUE:
                    c.mark_true(obj, c.READY, c.SUCCEEDED, stored["message"])
        super().finish_status(run)


def _fetch_failed(err: GitError) -> ReconcileError:
    """A git failure is recorded on FetchFailed (negative polarity); the summary copies it to Ready."""
    return ReconcileError(err.reason, err.message, condition=c.FETCH_FAILED,
                          stalled=isinstance(err, GitAuthError) and err.stalled)
