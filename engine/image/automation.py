"""ImageUpdateAutomation's git side: clone, switch to the push branch, run the setters, commit with the
rendered message, push (retrying on a concurrent push). A failure leaves the remote untouched."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git

from engine.image.gotemplate import TemplateError, parse, render
from engine.image.setters import UpdateError, UpdateResult, update_with_setters

DEFAULT_MESSAGE = "Update from image update automation"
PUSH_ATTEMPTS = 3
_REMOVED = re.compile(r"\.(Updated|Changed\.ImageResult)\b")


class AutomationError(Exception):
    """The update failed; `reason` is the ImageUpdateAutomation Ready reason, `stalled` if retrying won't help."""

    def __init__(self, reason: str, message: str, *, stalled: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.stalled = stalled


@dataclass(frozen=True)
class NamespacedName:
    """`.AutomationObject`: prints as `namespace/name`."""

    Namespace: str  # noqa: N815
    Name: str  # noqa: N815

    def go_format(self) -> str:
        return f"{self.Namespace}/{self.Name}"

    def String(self) -> str:  # noqa: N802
        return self.go_format()


@dataclass(frozen=True)
class TemplateData:
    """What a `messageTemplate` sees."""

    AutomationObject: NamespacedName  # noqa: N815
    Changed: UpdateResult  # noqa: N815
    Values: dict[str, str]  # noqa: N815


def check_message_template(template: str) -> None:
    """Refuse the fields v1 removed (Stalled, RemovedTemplateField) and templates that do not parse."""
    removed = _REMOVED.search(template)
    if removed:
        name = "." + removed.group(1)
        raise AutomationError("RemovedTemplateField", f"template uses removed '{name}' field. Please use "
                              "'.Changed' instead. See: https://fluxcd.io/flux/components/image/"
                              "imageupdateautomations/#message-template", stalled=True)
    try:
        parse(template)
    except TemplateError as err:
        raise AutomationError("GitOperationFailed", "failed to update source: unable to create commit message "
                              f"template from spec: {err}") from err


def commit_message(template: str | None, data: TemplateData) -> str:
    """The rendered `messageTemplate`, or Flux's default message."""
    if not template:
        return DEFAULT_MESSAGE
    check_message_template(template)
    try:
        return render(template, data)
    except TemplateError as err:
        prefix = "unable to create commit message template from spec" if err.phase == "parse" else \
            "failed to run template from spec"
        raise AutomationError("GitOperationFailed", f"failed to update source: {prefix}: {err}") from err


@dataclass
class UpdateRequest:
    """Everything one run needs, taken from the ImageUpdateAutomation and its GitRepository."""

    url: str
    checkout_branch: str
    automation: NamespacedName
    policies: Mapping[str, Any]
    author_name: str = ""
    author_email: str = ""
    message_template: str | None = None
    template_values: dict[str, str] = field(default_factory=dict)
    push_branch: str | None = None
    refspec: str | None = None
    update_path: str = "."
    commit_date: datetime | None = None
    git_env: dict[str, str] = field(default_factory=dict)


@dataclass
class UpdateOutcome:
    """The result of a run: `commit` is None when nothing changed."""

    result: UpdateResult
    commit: str | None
    branch: str
    message: str
    observed_revision: str

    @property
    def event_message(self) -> str:
        """Flux's Normal event after a push."""
        return f"pushed commit '{(self.commit or '')[:7]}' to branch '{self.branch}'\n{self.message}"


def _git_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _clone(req: UpdateRequest, dest: Path) -> git.Repo:
    try:
        repo = git.Repo.clone_from(req.url, dest, branch=req.checkout_branch, env=req.git_env or None)
    except git.GitCommandError as err:
        detail = (err.stderr or str(err)).strip().replace("stderr: ", "").strip("'\n ")
        raise AutomationError("GitOperationFailed", f"failed to checkout source: unable to clone '{req.url}': "
                              f"{detail}") from err
    repo.git.update_environment(**req.git_env)  # the push authenticates (and goes through the proxy) as the clone
    return repo


def _switch(repo: git.Repo, checkout: str, push: str) -> None:
    if push == checkout:
        return
    remote_refs = {ref.remote_head for ref in repo.remotes.origin.refs}
    if push in remote_refs:
        repo.git.checkout("-B", push, f"origin/{push}")
    else:
        repo.git.checkout("-B", push)


def _commit(repo: git.Repo, req: UpdateRequest, files: list[Path], message: str) -> str:
    repo.index.add([str(f) for f in files])
    actor = git.Actor(req.author_name, req.author_email)
    when = _git_date(req.commit_date or datetime.now(UTC))
    commit = repo.index.commit(message, author=actor, committer=actor, author_date=when, commit_date=when)
    return commit.hexsha


def _push(repo: git.Repo, branch: str, *, force: bool, refspec: str | None) -> None:
    args = ["origin", f"HEAD:refs/heads/{branch}"]
    if force:
        args.insert(0, "--force")
    repo.git.push(*args)
    if refspec:
        repo.git.push("origin", refspec)


def _rejected(err: git.GitCommandError) -> bool:
    text = str(err.stderr or err)
    return any(s in text for s in ("rejected", "non-fast-forward", "fetch first", "failed to update ref",
                                   "cannot lock ref"))


def run_update(req: UpdateRequest, workdir: Path | None = None) -> UpdateOutcome:
    """Clone, apply the setters under `update_path`, commit and push; no commit when nothing changed."""
    push_branch = req.push_branch or req.checkout_branch
    if not push_branch:
        raise AutomationError("SourceManagerFailed", "failed configuring source manager: push spec not provided, "
                              "and cannot be inferred from .spec.git.checkout.ref or GitRepository .spec.ref")
    if req.message_template:
        check_message_template(req.message_template)
    tmp = Path(tempfile.mkdtemp(prefix="image-update-", dir=workdir))
    try:
        repo = _clone(req, tmp / "repo")
        switching = push_branch != req.checkout_branch
        _switch(repo, req.checkout_branch, push_branch)
        checkout_sha = repo.head.commit.hexsha
        for _attempt in range(PUSH_ATTEMPTS):
            try:
                result = update_with_setters(Path(repo.working_tree_dir or tmp / "repo"), req.policies,
                                             path=req.update_path)
            except UpdateError as err:
                raise AutomationError("UpdateFailed", f"failed to apply policies: {err}") from err
            if not result.file_changes:
                head = repo.head.commit.hexsha
                return UpdateOutcome(result, None, push_branch, "",
                                     f"{req.checkout_branch}@sha1:{checkout_sha if switching else head}")
            message = commit_message(req.message_template, TemplateData(req.automation, result,
                                                                       dict(req.template_values)))
            base = Path(repo.working_tree_dir or "")
            update_root = (base / req.update_path).resolve()
            files = [update_root / name for name in result.file_changes]
            sha = _commit(repo, req, files, message)
            try:
                _push(repo, push_branch, force=switching, refspec=req.refspec)
            except git.GitCommandError as err:
                if not _rejected(err) or switching:
                    raise AutomationError("GitOperationFailed",
                                          f"failed to update source: failed to push to '{push_branch}': "
                                          f"{(err.stderr or str(err)).strip()}") from err
                repo.git.fetch("origin", push_branch)
                repo.git.reset("--hard", f"origin/{push_branch}")
                checkout_sha = repo.head.commit.hexsha
                continue
            observed = f"{req.checkout_branch}@sha1:{checkout_sha if switching else sha}"
            return UpdateOutcome(result, sha, push_branch, message, observed)
        raise AutomationError("GitOperationFailed", f"failed to update source: the push to '{push_branch}' was "
                              f"rejected {PUSH_ATTEMPTS} times by concurrent pushes; it is retried next interval")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
