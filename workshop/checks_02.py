"""Lesson 02 exercise check: a second app whose Kustomization `dependsOn` the first, added the GitOps way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import yaml

from engine.api.types import Kustomization
from engine.kustomization.inventory import ObjMeta
from workshop.checks import CheckResult, needs_running_lab

__all__ = ["APP", "CLUSTER_PATH", "DEPENDENCY", "SOURCE", "check_02"]

#: The exercise: Kustomization `web` (path ./web of GitRepository `apps`) after `cache`, under clusters/lab.
APP, DEPENDENCY, SOURCE, CLUSTER_PATH = "web", "cache", "apps", "clusters/lab"
FLUX_NAMESPACE = "flux-system"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io/"
RECONCILE = "run `gitops reconcile kustomization flux-system --with-source`"


@dataclass(frozen=True)
class Found:
    """A Kustomization document named in Git: the file it is in and its body."""

    path: str
    doc: dict[str, Any]


def _kustomization_in(texts: dict[str, str], name: str) -> Found | None:
    """The Flux Kustomization `name` among YAML files {relative path: text}, first by path."""
    for path in sorted(texts):
        try:
            docs = list(yaml.safe_load_all(texts[path]))
        except yaml.YAMLError:
            continue
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "Kustomization" and \
                    str(doc.get("apiVersion", "")).startswith(KUSTOMIZE_GROUP) and \
                    (doc.get("metadata") or {}).get("name") == name:
                return Found(path, doc)
    return None


def _is_yaml(path: str, folder: str) -> bool:
    return path.startswith(folder + "/") and path.endswith((".yaml", ".yml"))


def _tree_texts(commit: git.Commit | None, folder: str) -> dict[str, str]:
    if commit is None:
        return {}
    texts = {}
    for entry in commit.tree.traverse():
        if isinstance(entry, git.Blob) and _is_yaml(str(entry.path), folder):
            texts[str(entry.path)] = entry.data_stream.read().decode(errors="replace")
    return texts


def _worktree_texts(root: Path, folder: str) -> dict[str, str]:
    base = root / folder
    if not base.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p.read_text(errors="replace")
            for p in sorted(base.rglob("*")) if p.is_file() and _is_yaml(p.relative_to(root).as_posix(), folder)}


def _commit(repo_path: Path, branch: str) -> git.Commit | None:
    try:
        return git.Repo(repo_path).commit(branch)
    except (git.BadName, ValueError, git.NoSuchPathError, git.InvalidGitRepositoryError):
        return None


def _spec_problems(doc: dict[str, Any], where: str, app: str, dependency: str, source: str) -> list[str]:
    """What the Kustomization `app` in Git gets wrong: dependsOn, sourceRef, path."""
    ks = Kustomization(doc)
    spec = ks.spec
    problems = []
    if not any(d.name == dependency for d in ks.depends_on):
        problems.append(f"the Kustomization {app} in {where} has no dependsOn on {dependency}: add "
                        f"`dependsOn: [{{name: {dependency}}}]` (gitops create kustomization … --depends-on={dependency})")
    ref = spec.get("sourceRef") or {}
    if ref.get("kind") != "GitRepository" or ref.get("name") != source:
        problems.append(f"the Kustomization {app} in {where} must use sourceRef GitRepository/{source} "
                        f"(it has {ref.get('kind', '?')}/{ref.get('name', '?')})")
    if str(spec.get("path", "")).strip("/").removeprefix("./") != app:
        problems.append(f"the Kustomization {app} in {where} must have path ./{app} "
                        f"(it has {spec.get('path') or 'none'})")
    return problems


def _git_problems(lab: Any, app: str, folder: str) -> tuple[list[str], Found | None]:
    """Is the Kustomization written, committed and pushed? Returns (problems, the pushed document)."""
    repo = lab.repo
    worktree = _kustomization_in(_worktree_texts(repo.path, folder), app)
    head = _kustomization_in(_tree_texts(_commit(repo.path, "HEAD"), folder), app)
    remote = _kustomization_in(_tree_texts(_commit(repo.remote_path, repo.branch), folder), app)
    if remote is not None and head is not None and remote.doc == head.doc:
        if worktree is not None and worktree.doc != head.doc:
            return [f"{worktree.path} has changes that are not committed: git add, git commit and "
                    "git push origin main (or lab.commit(...))"], remote
        return [], remote
    if head is not None:
        return [f"the commit with {head.path} is not pushed: git push origin main"], remote
    if worktree is not None:
        return [f"{worktree.path} is not committed: git add {worktree.path}, git commit and git push origin main "
                "(or lab.commit(...))"], remote
    return [f"write {folder}/{app}.yaml in the fleet repo: a Kustomization {app} for path ./{app} of "
            f"GitRepository/{SOURCE} with dependsOn {DEPENDENCY} (gitops create kustomization {app} … --export)"], None


def _live_ready(lab: Any, name: str, revision: str) -> str | None:
    """A problem line when Kustomization `name` is not Ready at the source revision, else None."""
    obj = lab.manager.get("Kustomization", name, FLUX_NAMESPACE)
    if obj is None:
        return f"the Kustomization {name} is not in the cluster: {RECONCILE}"
    status, reason, message = lab.ready(name)
    if status != "True":
        return f"the Kustomization {name} is not Ready ({reason or 'no reason'}: {message}): fix it, then {RECONCILE}"
    applied = Kustomization(obj).last_applied_revision
    if revision and applied != revision:
        return f"the Kustomization {name} has not applied the latest commit of {SOURCE} yet: {RECONCILE}"
    return None


def _missing_objects(lab: Any, app: str) -> tuple[list[str], list[str]]:
    """(problems, subjects) for the objects in the Kustomization's inventory."""
    entries = Kustomization(lab.manager.get("Kustomization", app, FLUX_NAMESPACE) or {}).inventory
    if not entries:
        return [f"the Kustomization {app} applied nothing: check that ./{app} in the {SOURCE} repo holds "
                f"manifests, then {RECONCILE}"], []
    problems, subjects = [], []
    for entry in entries:
        meta = ObjMeta.parse(entry)
        subjects.append(meta.subject)
        if lab.client.get(meta.api_version, meta.kind, meta.name, meta.namespace or None) is None:
            problems.append(f"{meta.subject} is missing from the cluster: {RECONCILE}")
    return problems, sorted(subjects)


@needs_running_lab("02 second app with dependsOn")
def check_02(lab: Any, app: str = APP, dependency: str = DEPENDENCY, source: str = SOURCE,
             folder: str = CLUSTER_PATH) -> CheckResult:
    """Lesson 02 exercise.

    Wants a Kustomization `app` (path ./app of GitRepository `source`, dependsOn `dependency`) in a YAML file
    under `folder` of the fleet repo, committed and pushed; the flux-system Kustomization at the pushed commit;
    `app` live with the same dependsOn; `dependency` and `app` Ready at the source's revision; and every object
    in the app's inventory present in the cluster.
    """
    result = CheckResult("02 second app with dependsOn", f"Kustomization {app} (./{app} of GitRepository/{source}) "
                                                        f"depends on {dependency}; both are Ready at the same revision")
    problems = result.problems
    git_problems, pushed = _git_problems(lab, app, folder)
    problems += git_problems
    if pushed is None:
        return result
    problems += _spec_problems(pushed.doc, "Git", app, dependency, source)
    if problems:
        return result

    fleet_head = _commit(lab.repo.remote_path, lab.repo.branch)
    sync = lab.manager.get("Kustomization", "flux-system", FLUX_NAMESPACE) or {}
    if fleet_head is None or not Kustomization(sync).last_applied_revision.endswith(fleet_head.hexsha):
        problems.append(f"the flux-system Kustomization has not applied your latest fleet commit: {RECONCILE}")
    live = lab.manager.get("Kustomization", app, FLUX_NAMESPACE)
    if live is None:
        problems.append(f"the Kustomization {app} is not in the cluster: {RECONCILE}")
        return result
    live_deps = [d.name for d in Kustomization(live).depends_on]
    if dependency not in live_deps:
        problems.append(f"the Kustomization {app} in the cluster has no dependsOn on {dependency}: {RECONCILE}")
    source_obj = lab.manager.get("GitRepository", source, FLUX_NAMESPACE) or {}
    revision = ((source_obj.get("status") or {}).get("artifact") or {}).get("revision", "")
    for name in (dependency, app):
        line = _live_ready(lab, name, revision)
        if line:
            problems.append(line)
    if problems:
        return result
    missing, subjects = _missing_objects(lab, app)
    problems += missing
    result.summary += f"; {', '.join(subjects)} run in the cluster"
    return result
