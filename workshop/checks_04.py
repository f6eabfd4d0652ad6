"""Lesson 04 exercise check: promote the podinfo version staging runs to production, in Git, the overlay way."""

from __future__ import annotations

from typing import Any

from workshop.checks import CheckResult, needs_running_lab
from workshop.monorepo import PODINFO_IMAGE, PODINFO_TAG, REPLICAS

__all__ = ["check_04"]

APP, APP_NAMESPACE, OVERLAY = "podinfo", "podinfo", "apps/production/kustomization.yaml"


def _image(site: Any) -> str:
    deploy = site.get("apps/v1", "Deployment", APP, APP_NAMESPACE) or {}
    containers = deploy.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or [{}]
    return str(containers[0].get("image", ""))


def _uncommitted(lab: Any) -> list[str]:
    """Paths under apps/, clusters/ or infrastructure/ that differ from the last commit (or are untracked)."""
    lines = lab.repo.git.git.status("--porcelain", "--untracked-files=all").splitlines()
    paths = sorted(line[3:].strip() for line in lines if line[3:].strip())
    return [p for p in paths if p.startswith(("apps/", "clusters/", "infrastructure/"))]


@needs_running_lab("04 promote to production")
def check_04(lab: Any, staging: str = "staging", production: str = "production") -> CheckResult:
    """Lesson 04 exercise.

    Wants production's podinfo on the image staging runs (which must differ from the starting tag), applied
    from the latest commit through production's own overlay (`./apps/production`, its replicas and env label
    kept), with nothing left uncommitted.
    """
    result = CheckResult("04 promote to production", "")
    problems = result.problems
    sites = getattr(lab, "sites", {})
    missing = [name for name in (staging, production) if name not in sites]
    if missing:
        problems.append(f"this lab has no {' or '.join(missing)} cluster: start it with "
                        f"Lab.start(..., clusters=({staging!r}, {production!r}))")
        return result
    stage, prod = sites[staging], sites[production]
    wanted = _image(stage)
    tag = wanted.rpartition(":")[2]
    result.summary = f"production runs {wanted} from its own overlay, as staging does"

    dirty = _uncommitted(lab)
    if dirty:
        problems.append(f"not committed yet: {', '.join(dirty)}: lab.commit(...), then {production}.sync()")
    if not wanted or tag == PODINFO_TAG:
        problems.append(f"staging still runs {PODINFO_IMAGE}:{PODINFO_TAG}: change staging first (section 5)")
        return result

    ks = prod.manager.get("Kustomization", "apps", "flux-system") or {}
    path = str(ks.get("spec", {}).get("path", "")).removeprefix("./").rstrip("/")
    if path != "apps/production":
        problems.append(f"production's apps Kustomization builds ./{path}, not ./apps/production: set path "
                        "./apps/production back in clusters/production/apps.yaml and promote by changing "
                        f"{OVERLAY}, so production keeps its own settings")
    head = f"{lab.repo.branch}@sha1:{lab.repo.head()}"
    applied = ks.get("status", {}).get("lastAppliedRevision", "")
    status, _reason, message = prod.ready("apps")
    if applied != head:
        problems.append(f"production has not applied the latest commit yet: run {production}.sync()")
    elif status != "True":
        problems.append(f"production's apps Kustomization is not Ready ({message}): fix Git, commit, "
                        f"{production}.sync()")

    running = _image(prod)
    if running != wanted:
        problems.append(f"production runs {running or 'no podinfo'}, staging runs {wanted}: set newTag: {tag} for "
                        f"{PODINFO_IMAGE} in {OVERLAY}, commit, then {production}.sync()")
    deploy = prod.get("apps/v1", "Deployment", APP, APP_NAMESPACE) or {}
    replicas = deploy.get("spec", {}).get("replicas")
    env = deploy.get("metadata", {}).get("labels", {}).get("env")
    if deploy and (replicas != REPLICAS["production"] or env != "production"):
        problems.append(f"production's podinfo has {replicas} replica(s) and env={env}: production keeps "
                        f"{REPLICAS['production']} replicas and env=production from its overlay; change only "
                        "the image tag")
    return result
