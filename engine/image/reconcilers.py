"""Reconcilers for ImageRepository, ImagePolicy and ImageUpdateAutomation, on engine.api's phased pattern."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import labels
from engine.api import conditions as c
from engine.api.duration import spec_interval
from engine.api.reconcile import PhasedReconciler, ReconcileError, Result, Run
from engine.api.types import View
from engine.events import NORMAL
from engine.gitaccess.auth import GitAuthError, repository_access
from engine.gitaccess.remote import GitError, git_env
from engine.image.automation import AutomationError, NamespacedName, UpdateRequest, run_update
from engine.image.kinds import IMAGE_POLICY, IMAGE_REPOSITORY, IMAGE_UPDATE_AUTOMATION
from engine.image.policy import PolicyError, select_latest
from engine.image.reference import ImageNameError
from engine.image.registry import RegistryClient, RegistryError, credentials_from_dockerconfig
from engine.image.scan import scan_repository
from engine.jsonobj import Obj


class _ImageReconciler(PhasedReconciler[Run]):
    """Shared by the three image controllers: open like every toolkit controller, Ready=True/Succeeded with a
    Normal event when the message changes, Warning events on every failure (retried after a minute)."""

    run_type = Run

    def phase_start(self, run: Run) -> Result | None:
        """Finish a deletion, add the finalizer, stop if suspended, mark Reconciling."""
        return self.open_reconcile(run)

    @staticmethod
    def error(reason: str, message: str, *, stalled: bool = False, retry: float = 60.0) -> ReconcileError:
        return ReconcileError(reason, message, stalled=stalled, requeue_after=retry)

    def done(self, run: Run, message: str, requeue: float) -> Result:
        run.did(message)
        return self.succeed(run, c.SUCCEEDED, message, requeue, event_message=message)

    def finish_status(self, run: Run) -> None:
        if run.suspended:
            return
        c.delete_condition(run.obj, c.RECONCILING)
        run.status["observedGeneration"] = View(run.obj).generation

    def secret_data(self, namespace: str, name: str) -> dict[str, str]:
        secret = self.client.get("v1", "Secret", name, namespace)
        if secret is None:
            raise RegistryError(f"secrets \"{name}\" not found")
        return dict(secret.get("data") or {})


class ImageRepositoryReconciler(_ImageReconciler):
    """Scans the registry on every interval and stores `lastScanResult` (tags in `status.tags`)."""

    kind = IMAGE_REPOSITORY
    observes_outside_world = True
    controller = "image-reflector-controller"

    def phases(self) -> list[tuple[str, Any]]:
        return [("start", self.phase_start), ("scan", self.phase_scan)]

    def phase_scan(self, run: Run) -> Result | None:
        """List the image's tags in the registry (minus exclusionList) and record the scan in status."""
        spec, meta = run.obj.get("spec") or {}, run.obj["metadata"]
        interval = spec_interval(run.obj)
        secret = None
        try:
            if (spec.get("secretRef") or {}).get("name"):
                secret = self.secret_data(meta.get("namespace", "default"), spec["secretRef"]["name"])
        except RegistryError as err:
            raise self.error("AuthenticationFailed", f"failed to configure authentication options: {err}") from None
        try:
            result = scan_repository(str(spec.get("image", "")), exclusion_list=spec.get("exclusionList"),
                                     insecure=bool(spec.get("insecure")), secret_data=secret,
                                     timeout=min(interval, 30.0))
        except ImageNameError as err:
            raise self.error("ImageURLInvalid", str(err), stalled=True) from None
        except RegistryError as err:
            raise self.error("ReadOperationFailed", f"scan failed: {err}") from None
        run.status["canonicalImageName"] = result.canonical_image_name
        run.status["observedExclusionList"] = result.exclusion_list
        scan: Obj = {"tagCount": result.tag_count, "scanTime": c.now_rfc3339(), "revision": result.revision}
        if result.tags:
            scan["latestTags"] = result.latest_tags
        run.status["lastScanResult"] = scan
        run.status["tags"] = result.tags
        return self.done(run, f"successful scan: found {result.tag_count} tags with checksum {result.revision}",
                            interval)


class ImagePolicyReconciler(_ImageReconciler):
    """Picks the latest tag of the referenced ImageRepository's scan."""

    kind = IMAGE_POLICY
    controller = "image-reflector-controller"

    def phases(self) -> list[tuple[str, Any]]:
        return [("start", self.phase_start), ("policy", self.phase_policy)]

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        if changed.get("kind") != "ImageRepository":
            return False
        ref = (obj.get("spec") or {}).get("imageRepositoryRef") or {}
        ns = ref.get("namespace") or obj["metadata"].get("namespace")
        return ref.get("name") == changed["metadata"]["name"] and ns == changed["metadata"].get("namespace")

    def phase_policy(self, run: Run) -> Result | None:
        """Pick the latest tag of the ImageRepository's scan by the policy (semver, alphabetical, numerical)."""
        spec, meta = run.obj.get("spec") or {}, run.obj["metadata"]
        ref = spec.get("imageRepositoryRef") or {}
        ns = ref.get("namespace") or meta.get("namespace", "default")
        repo = self.client.get(IMAGE_REPOSITORY.api_version, "ImageRepository", ref.get("name", ""), ns)
        if repo is None:
            raise self.error(c.DEPENDENCY_NOT_READY, "failed to get the referred ImageRepository: referenced "
                             f"ImageRepository does not exist: imagerepositories.image.toolkit.fluxcd.io "
                             f"\"{ref.get('name', '')}\" not found", retry=30.0)
        tags = (repo.get("status") or {}).get("tags")
        if not tags:
            raise self.error(c.DEPENDENCY_NOT_READY, "retrying in 30s error: no tags in database", retry=30.0)
        try:
            tag = select_latest(spec, list(tags))
        except PolicyError as err:
            raise self.error(err.reason, err.message, stalled=err.stalled) from None
        name = str((repo.get("spec") or {}).get("image", ""))
        digest = ""
        previous = run.status.get("latestRef")
        policy = spec.get("digestReflectionPolicy") or "Never"
        if policy != "Never":
            keep = policy == "IfNotPresent" and previous and previous.get("name") == name and \
                previous.get("tag") == tag and previous.get("digest")
            try:
                digest = str(previous["digest"]) if keep and previous else self._digest(repo, tag)
            except RegistryError as err:
                raise self.error(c.FAILED, f"failed fetching digest of {name}:{tag}: {err}") from None
        latest = {"name": name, "tag": tag, **({"digest": digest} if digest else {})}
        message = f"Latest image tag for {name} resolved to {tag}" + (f" with digest {digest}" if digest else "")
        if previous and previous != latest:
            run.status["observedPreviousRef"] = previous
            message += f" (previously {previous.get('name')}:{previous.get('tag')}" + (
                f"@{previous['digest']}" if previous.get("digest") else "") + ")"
        run.status["latestRef"] = latest
        return self.done(run, message, spec_interval(run.obj) if policy == "Always" else 600.0)

    def _digest(self, repo: Obj, tag: str) -> str:
        from engine.image.reference import parse_image

        spec = repo.get("spec") or {}
        creds = None
        if (spec.get("secretRef") or {}).get("name"):
            data = self.secret_data(repo["metadata"].get("namespace", "default"), spec["secretRef"]["name"])
            creds = credentials_from_dockerconfig(data, parse_image(spec["image"]).registry)
        return RegistryClient(parse_image(spec["image"]), credentials=creds,
                              insecure=bool(spec.get("insecure"))).digest(tag)


class ImageUpdateAutomationReconciler(_ImageReconciler):
    """Commits the policies' latest images into git through the Setters strategy."""

    kind = IMAGE_UPDATE_AUTOMATION
    controller = "image-automation-controller"

    def __init__(self, *args: Any, commit_date: Any = None, workdir: Path | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commit_date = commit_date
        self.workdir = workdir

    def phases(self) -> list[tuple[str, Any]]:
        return [("start", self.phase_start), ("update", self.phase_update)]

    def triggered_by(self, obj: Obj, changed: Obj) -> bool:
        return changed.get("kind") == "ImagePolicy" and \
            changed["metadata"].get("namespace") == obj["metadata"].get("namespace")

    def phase_update(self, run: Run) -> Result | None:
        """Clone the source, write the policies' images into the setter-marked fields, commit and push."""
        spec, meta = run.obj.get("spec") or {}, run.obj["metadata"]
        namespace = meta.get("namespace", "default")
        run.status["lastAutomationRunTime"] = c.now_rfc3339()
        interval = spec_interval(run.obj)
        source = spec.get("sourceRef") or {}
        if source.get("kind", "GitRepository") != "GitRepository":
            raise self.error("InvalidSourceConfiguration", f"source kind '{source.get('kind')}' not "
                             "supported: invalid source configuration", stalled=True)
        update = spec.get("update", {"strategy": "Setters"})
        if update is None or (update.get("strategy") or "Setters") != "Setters":
            message = "no update strategy" if update is None else f"unsupported update strategy: {update['strategy']}"
            raise self.error("InvalidUpdateStrategy", message, stalled=True)
        repo = self.client.get("source.toolkit.fluxcd.io/v1", "GitRepository", source.get("name", ""),
                               source.get("namespace") or namespace)
        if repo is None:
            raise self.error("SourceManagerFailed", "failed configuring source manager: unable to get source "
                             f"'GitRepository/{source.get('namespace') or namespace}/{source.get('name', '')}': "
                             "not found")
        try:  # the GitRepository's proxySecretRef, secretRef and provider, as its own clone uses them
            access = repository_access(self.client, repo)
        except GitError as err:
            raise self.error("SourceManagerFailed", f"failed configuring source manager: {err.message}",
                             stalled=isinstance(err, GitAuthError) and err.stalled) from None
        git_spec = spec.get("git") or {}
        checkout_ref = (git_spec.get("checkout") or {}).get("ref") or (repo.get("spec") or {}).get("ref") or {}
        branch = checkout_ref.get("branch") or ("" if checkout_ref else "master")
        policies = {}
        observed = {}
        for pol in self.client.list(IMAGE_POLICY.api_version, "ImagePolicy", namespace):
            latest = (pol.get("status") or {}).get("latestRef")
            if latest and _selected(pol, spec.get("policySelector")):
                policies[f"{namespace}:{pol['metadata']['name']}"] = latest
                observed[pol["metadata"]["name"]] = latest
        commit = git_spec.get("commit") or {}
        author = commit.get("author") or {}
        push = git_spec.get("push") or {}
        url = str((repo.get("spec") or {}).get("url", ""))
        request = UpdateRequest(
            url=url, checkout_branch=branch,
            automation=NamespacedName(namespace, meta["name"]), policies=policies,
            author_name=author.get("name", ""), author_email=author.get("email", ""),
            message_template=commit.get("messageTemplate"), template_values=commit.get("messageTemplateValues") or {},
            push_branch=push.get("branch"), refspec=push.get("refspec"), update_path=update.get("path") or ".",
            commit_date=self.commit_date() if callable(self.commit_date) else self.commit_date)
        try:
            with git_env(url, access.creds, access.proxy) as env:
                request.git_env = env
                outcome = run_update(request, self.workdir)
        except AutomationError as err:
            raise self.error(err.reason, err.message, stalled=err.stalled) from None
        run.status["observedPolicies"] = observed
        run.status["observedSourceRevision"] = outcome.observed_revision
        if outcome.commit:
            run.status["lastPushCommit"] = outcome.commit
            run.status["lastPushTime"] = c.now_rfc3339()
            self.event(run, NORMAL, c.SUCCEEDED, outcome.event_message)
        return self.done(run, "repository up-to-date", interval)


def _selected(policy: Obj, selector: Obj | None) -> bool:
    return labels.from_object(selector).matches(policy["metadata"].get("labels"))


def register_image_reconcilers(manager: Any, **automation_options: Any) -> None:
    """Add the three image reconcilers to an `engine.manager.Manager`."""
    manager.register(ImageRepositoryReconciler(manager.client, manager.recorder, manager.logger))
    manager.register(ImagePolicyReconciler(manager.client, manager.recorder, manager.logger))
    manager.register(ImageUpdateAutomationReconciler(manager.client, manager.recorder, manager.logger,
                                                     **automation_options))


