"""Exercise checks: one function per exercise, each returning a CheckResult.

A CheckResult displays as one stable line, `PASS: ...`, or as `NOT YET: ...` followed by a plain-words
list of what is still wrong. Checks never raise for a learner's mistake (a missing file, YAML that does
not build): the mistake becomes a line in the list. Paths in messages are as the learner gave them, so
notebook output stays the same from run to run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import git
import yaml

from engine.kustomize import KustomizeError, build
from workshop.labfolder import LabStoppedError
from workshop.repo import LabRepo

__all__ = ["CheckResult", "check_00", "check_01", "check_06", "needs_running_lab", "CACHE_APP", "PROD_EXPECTED"]


@dataclass
class CheckResult:
    """The outcome of an exercise check. `passed` is true when `problems` is empty."""

    exercise: str
    summary: str
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.passed:
            return f"PASS: {self.exercise}: {self.summary}"
        lines = [f"NOT YET: {self.exercise}: {len(self.problems)} thing(s) still to do"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    __repr__ = __str__

    def print(self) -> CheckResult:
        print(self)
        return self


F = TypeVar("F", bound=Callable[..., CheckResult])


def stopped_lab_advice(lab: Any) -> str:
    """What to do when a check runs on a lab whose clean-up cell already ran."""
    lesson = getattr(lab, "lesson", "of this lesson")
    return (f"lab {lesson} is stopped (its clean-up cell, lab.stop(), ran), so there is nothing to check: run the "
            f"set-up cell at the top of the notebook again (Lab.start({lesson!r}, ...)) and the lesson's cells from "
            "there, then this check")


def needs_running_lab(exercise: str) -> Callable[[F], F]:
    """Make a check of `lab` say the lab is stopped, and how to start it again, instead of failing on it."""

    def decorate(check: F) -> F:
        @functools.wraps(check)
        def run(lab: Any, *args: Any, **kwargs: Any) -> CheckResult:
            if not getattr(lab, "running", True):
                return CheckResult(exercise, "", [stopped_lab_advice(lab)])
            try:
                return check(lab, *args, **kwargs)
            except LabStoppedError:
                return CheckResult(exercise, "", [stopped_lab_advice(lab)])

        return run  # type: ignore[return-value]

    return decorate


#: What lesson 00's exercise wants in apps.yaml on the remote branch: cache added, api removed, webserver kept.
APPS_FILE = "apps.yaml"
CACHE_APP: dict[str, object] = {"image": "redis:7.2", "replicas": 1}
RECONCILE_CELL = "run the reconcile cell, reconcile_from_git(repo, live)"


def _commit_at(repo_path: Path, rev: str) -> git.Commit | None:
    try:
        return git.Repo(repo_path).commit(rev)
    except (git.BadName, ValueError, git.NoSuchPathError, git.InvalidGitRepositoryError):
        return None


def _file_in(commit: git.Commit | None, relpath: str) -> str | None:
    """The text of relpath in a commit's tree, None when the commit or the file is missing."""
    if commit is None:
        return None
    try:
        blob = commit.tree / relpath
    except KeyError:
        return None
    return blob.data_stream.read().decode(errors="replace")


def _live_differences(desired: dict[Any, Any], live: dict[Any, Any]) -> str:
    create = sorted(str(n) for n in desired.keys() - live.keys())
    prune = sorted(str(n) for n in live.keys() - desired.keys())
    change = sorted(str(n) for n in desired.keys() & live.keys() if desired[n] != live[n])
    parts = [f"{verb}: {', '.join(names)}" for verb, names in
             (("to create", create), ("to prune", prune), ("to configure", change)) if names]
    return "; ".join(parts)


def check_00(repo: LabRepo, live: dict[str, Any]) -> CheckResult:
    """Lesson 00 exercise: add `cache` and remove `api` in apps.yaml, through Git.

    Judges what an agent would pull, apps.yaml at the head of the remote branch: it wants `cache` with image
    redis:7.2 and 1 replica, no `api`, `webserver` kept, the working clone committed and pushed, and `live`
    equal to what Git says.
    """
    image, replicas = CACHE_APP["image"], CACHE_APP["replicas"]
    result = CheckResult("00 first commit", f"Git has cache ({image}, {replicas} replica) and no api, "
                                            "and live matches Git")
    problems = result.problems
    local_head = _commit_at(repo.path, "HEAD")
    remote_head = _commit_at(repo.remote_path, repo.branch)
    worktree = repo.path / APPS_FILE
    if not worktree.is_file():
        problems.append(f"{APPS_FILE} is missing from the working clone: write it again, or run the set-up cell "
                        "to start over")
    elif worktree.read_text() != _file_in(local_head, APPS_FILE):
        problems.append(f"{APPS_FILE} is edited but not committed yet: run repo.commit(\"...\") (it commits and "
                        "pushes); the agent only sees pushed commits")
    elif local_head is not None and (remote_head is None or local_head.hexsha != remote_head.hexsha):
        problems.append("your commit is not pushed yet: run repo.push(); the agent only sees pushed commits")

    text = _file_in(remote_head, APPS_FILE)
    if text is None:
        problems.append(f"the remote branch {repo.branch} has no {APPS_FILE}: run the set-up cell to start over")
        return result
    try:
        desired = yaml.safe_load(text)
    except yaml.YAMLError as e:
        problems.append(f"{APPS_FILE} in Git is not valid YAML{_yaml_line(e)}: fix the indentation, then commit again")
        return result
    if not isinstance(desired, dict):
        problems.append(f"{APPS_FILE} in Git should map app names to image and replicas, like `cache:` with "
                        "`image:` and `replicas:` indented under it")
        return result

    cache = desired.get("cache")
    if cache is None:
        problems.append(f"Git has no app `cache` yet: add `cache:` with image: {image} and replicas: {replicas} "
                        f"to {APPS_FILE}, then commit")
    elif cache != CACHE_APP:
        problems.append(f"`cache` in Git is {cache}; make it image: {image} and replicas: {replicas}, then commit")
    if "api" in desired:
        problems.append(f"`api` is still in {APPS_FILE} in Git: delete its lines and commit (leaving Git is how "
                        "an app gets pruned)")
    if "webserver" not in desired:
        problems.append("`webserver` is gone from Git: put it back, only `api` goes")
    if live != desired:
        problems.append(f"live differs from Git ({_live_differences(desired, live)}): {RECONCILE_CELL}")
    return result


#: What lesson 01's production overlay must produce.
PROD_NAME, PROD_REPLICAS, PROD_IMAGE, PROD_LABEL = "webserver-prod", 3, "nginx:1.25.4", ("env", "production")
PROD_EXPECTED: dict[str, object] = {
    "name": PROD_NAME,
    "replicas": PROD_REPLICAS,
    "image": PROD_IMAGE,
    "label": PROD_LABEL,
}


def _kustomization_file(folder: Path) -> Path | None:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if (folder / name).is_file():
            return folder / name
    return None


def check_01(overlay: str | Path, base: str | Path | None = None) -> CheckResult:
    """Lesson 01 exercise: a production overlay of the `webserver` base.

    Wants `overlay` to hold a kustomization that builds on the base (not a copy of it) and gives one
    Deployment `webserver-prod` with 3 replicas, image `nginx:1.25.4` and the label `env: production`.
    `base` defaults to the `base` folder next to `overlay`.
    """
    shown = str(overlay)
    folder = Path(overlay)
    base_dir = Path(base) if base is not None else folder.parent / "base"
    name, replicas, image = PROD_NAME, PROD_REPLICAS, PROD_IMAGE
    label_key, label_value = PROD_LABEL
    summary = f"{shown} builds Deployment {name} with {replicas} replicas, image {image}, label {label_key}={label_value}"
    result = CheckResult("01 production overlay", summary)
    problems = result.problems

    if not folder.is_dir():
        problems.append(f"create the folder {shown}")
        return result
    kfile = _kustomization_file(folder)
    if kfile is None:
        problems.append(f"write {shown}/kustomization.yaml")
        return result
    try:
        doc = yaml.safe_load(kfile.read_text()) or {}
    except yaml.YAMLError as e:
        problems.append(f"{shown}/{kfile.name} is not valid YAML{_yaml_line(e)}: fix the indentation or quoting")
        return result
    if not isinstance(doc, dict):
        problems.append(f"{shown}/{kfile.name} should be a mapping (keys like resources:, nameSuffix:)")
        return result

    resources = doc.get("resources") or []
    if not isinstance(resources, list):
        resources = []
    uses_base = any(
        isinstance(r, str) and (folder / r).resolve() == base_dir.resolve() for r in resources
    )
    inherited = _overlays_of_base(folder, resources, base_dir)
    base_ref = Path(_relpath(base_dir, folder)).as_posix()
    for ref, changes in inherited.items():
        what = f": production inherits its {', '.join(changes)}" if changes else ""
        problems.append(f"resources: lists {ref}, another overlay of the base, not the base itself{what}. "
                        f"Build on the base: resources: [{base_ref}]")
    if not uses_base and not inherited:
        problems.append(f"list the base under resources: (resources: [{base_ref}]) instead of copying it")

    try:
        objects = build(folder)
    except KustomizeError as e:
        problems.append(f"kustomize build fails: {_relative(str(e), folder)}")
        return result

    deployments = [o for o in objects if o.get("kind") == "Deployment"]
    if len(deployments) != 1:
        problems.append(f"the build should hold exactly one Deployment (it holds {len(deployments)})")
        if not deployments:
            return result
    dep = next((d for d in deployments if d.get("metadata", {}).get("name") == name), deployments[0])
    got_name = dep.get("metadata", {}).get("name")
    if got_name != name:
        problems.append(_name_problem(str(got_name), doc, bool(inherited)))
    spec: dict[str, Any] = dep.get("spec") or {}
    got_replicas = spec.get("replicas", 1)
    if got_replicas != replicas:
        problems.append(f"the Deployment runs {got_replicas} replica(s); make it {replicas} (replicas: or a patch)")
    containers = (((spec.get("template") or {}).get("spec") or {}).get("containers")) or []
    images = [c.get("image") for c in containers]
    if image not in images:
        got = ", ".join(str(i) for i in images) or "no image"
        problems.append(f"the nginx container uses {got}; set the image to {image} (images: newTag)")
    labels = (dep.get("metadata") or {}).get("labels") or {}
    got_label = labels.get(label_key)
    if got_label is None:
        problems.append(f"the Deployment has no label {label_key}: {label_value} (labels: or commonLabels:)")
    elif got_label != label_value:
        problems.append(f"the Deployment's label is {label_key}: {got_label}; the exercise wants "
                        f"{label_key}: {label_value}, spelled out")
    return result


#: Fields of a kustomization that change what its resources build into (what an overlay of an overlay inherits).
_OVERLAY_FIELDS = ("namePrefix", "nameSuffix", "namespace", "images", "replicas", "labels", "commonLabels",
                   "commonAnnotations", "patches", "patchesStrategicMerge", "patchesJson6902")


def _relpath(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(target.resolve(), start.resolve())


def _overlays_of_base(folder: Path, resources: list[Any], base_dir: Path) -> dict[str, list[str]]:
    """resources: entries that are other overlays of the base -> what they change (`nameSuffix: -dev`, ...)."""
    found: dict[str, list[str]] = {}
    for ref in resources:
        if not isinstance(ref, str):
            continue
        other = (folder / ref).resolve()
        if other == base_dir.resolve() or not other.is_dir():
            continue
        kfile = _kustomization_file(other)
        try:
            other_doc = yaml.safe_load(kfile.read_text()) if kfile else None
        except yaml.YAMLError:
            continue
        if not isinstance(other_doc, dict):
            continue
        listed = other_doc.get("resources") or []
        if not isinstance(listed, list) or not any(
                isinstance(r, str) and (other / r).resolve() == base_dir.resolve() for r in listed):
            continue
        changes = []
        for key in _OVERLAY_FIELDS:
            value = other_doc.get(key)
            if value in (None, "", [], {}):
                continue
            changes.append(f"{key}: {value}" if isinstance(value, str) else key)
        found[ref] = changes
    return found


def _name_problem(got_name: str, doc: dict[str, Any], inherited: bool) -> str:
    """Why the Deployment is not called webserver-prod, as precisely as the kustomization says."""
    want = PROD_NAME
    suffix, prefix = doc.get("nameSuffix"), doc.get("namePrefix")
    if inherited:
        return (f"the Deployment is called {got_name}, not {want}: the name changes of the overlay under resources: "
                "add up with yours; build on the base and keep nameSuffix: -prod")
    if prefix:
        return f"the Deployment is called {got_name}: drop namePrefix: {prefix} and use nameSuffix: -prod to get {want}"
    if suffix and suffix != "-prod":
        return f"the Deployment is called {got_name}: nameSuffix is {suffix}; make it -prod to get {want}"
    return f"the Deployment is called {got_name}; add nameSuffix: -prod to get {want}"


def _relative(message: str, folder: Path) -> str:
    """Error text with the absolute folder path shortened, so output does not depend on where the kit lives."""
    for prefix in {str(folder.resolve().parent) + "/", str(folder.resolve()) + "/"}:
        message = message.replace(prefix, "")
    return message


#: What lesson 06's exercise must leave behind: nanomon pruned, postgres still running.
NANOMON_DEPLOYMENTS = ("nanomon-api", "nanomon-frontend", "nanomon-runner")


@needs_running_lab("06 disable nanomon")
def check_06(lab: Any, kustomization: str = "apps") -> CheckResult:
    """Lesson 06 exercise: nanomon disabled through Git.

    Wants `gitops/apps/nanomon` gone from the lab repo's last commit, the Kustomization `apps` Ready, the
    three nanomon Deployments pruned from the cluster and the postgres StatefulSet still running.
    """
    result = CheckResult("06 disable nanomon", "nanomon was pruned by Git, postgres still runs")
    problems = result.problems
    try:
        in_git = "gitops/apps/nanomon/kustomization.yaml" in {
            e.path for e in lab.repo.git.head.commit.tree.traverse()}  # type: ignore[union-attr]
    except ValueError:
        in_git = False
    if (lab.repo.path / "gitops" / "apps" / "nanomon").exists():
        problems.append("remove the folder gitops/apps/nanomon from the lab repo (lab.repo.remove(...))")
    elif in_git:
        problems.append("commit the removal (lab.commit('Disable nanomon')) so the engine sees it")
    status, _reason, message = lab.ready(kustomization)
    if status != "True":
        problems.append(f"the Kustomization {kustomization} is not Ready ({message or 'not reconciled'}): run lab.sync()")
    left = [n for n in NANOMON_DEPLOYMENTS if lab.get("apps/v1", "Deployment", n) is not None]
    if left:
        problems.append(f"still in the cluster: Deployment {', '.join(left)} (commit, then lab.sync(); prune must be on)")
    sts = lab.get("apps/v1", "StatefulSet", "postgres")
    if sts is None:
        problems.append("the postgres StatefulSet is gone: keep gitops/apps/postgres, only nanomon goes")
    elif int((sts.get("status") or {}).get("readyReplicas", 0)) < 1:
        problems.append("postgres is not running (is the database-creds Secret there?)")
    return result


def _yaml_line(error: yaml.YAMLError) -> str:
    """` (line N)` for a YAML error that knows where it happened, else nothing."""
    mark = getattr(error, "problem_mark", None)
    return f" (line {mark.line + 1})" if mark is not None else ""
