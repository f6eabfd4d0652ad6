"""Lesson 05 exercise check: production pinned to patch releases of 1.1.

The ImagePolicy `flux-system/web` must only allow 1.1.x (a range such as `~1.1` or `>=1.1.0 <1.2.0`), its
latest tag must be the newest 1.1 patch in the registry, and the Deployment `web` must run that image.
Messages name tags, never the registry's random port, so notebook output stays the same from run to run.
"""

from __future__ import annotations

from typing import Any

from engine.image import PolicyError, select_latest
from workshop.checks import CheckResult, needs_running_lab

__all__ = ["PIN_EXPECTED_TAG", "PIN_PROBE", "check_05"]

IMAGE_API = "image.toolkit.fluxcd.io/v1"
#: Tags the policy is tried on: only 1.1.7 is a patch release of 1.1 (and the highest of them).
PIN_PROBE = ("1.0.9", "1.1.0", "1.1.7", "1.2.0", "1.10.1", "2.0.0", "1.1.8-rc.1")
PIN_PROBE_WANT = "1.1.7"
#: What the lab registry's newest 1.1 patch is once the exercise's tags are published.
PIN_EXPECTED_TAG = "1.1.1"


def _tag_of(image: str) -> str:
    name = image.split("@", 1)[0]
    colon = name.rfind(":")
    return name[colon + 1:] if colon > name.rfind("/") else "latest"


@needs_running_lab("05 pin production to patch releases")
def check_05(lab: Any, policy: str = "web", deployment: str = "web", namespace: str = "flux-system",
             expected_tag: str = PIN_EXPECTED_TAG) -> CheckResult:
    """Lesson 05 exercise: the policy pins 1.1 patches; its latest tag and the Deployment's image are `expected_tag`."""
    result = CheckResult("05 pin production to patch releases",
                         f"the policy only takes 1.1.x patches; web runs {expected_tag}")
    problems = result.problems
    pol = lab.get(IMAGE_API, "ImagePolicy", policy, namespace)
    if pol is None:
        problems.append(f"there is no ImagePolicy {namespace}/{policy}: run the cells of section 4 first")
        return result
    spec = pol.get("spec") or {}
    try:
        picked = select_latest(spec, list(PIN_PROBE))
    except PolicyError as err:
        picked = f"nothing ({err.message})"
    if picked != PIN_PROBE_WANT:
        range_ = ((spec.get("policy") or {}).get("semver") or {}).get("range", "(no semver range)")
        problems.append(f"the policy range {range_!r} picks {picked} from {', '.join(PIN_PROBE)}; "
                        f"it should pick {PIN_PROBE_WANT} (only 1.1.x, e.g. '~1.1' or '>=1.1.0 <1.2.0')")
    latest = ((pol.get("status") or {}).get("latestRef") or {}).get("tag")
    if latest != expected_tag:
        problems.append(f"the policy's latest tag is {latest or 'not resolved yet'}, not {expected_tag}: "
                        "write the new range to apps/web-policy.yaml (gitops create image policy web --image-ref=web "
                        "--select-semver=... --export), commit it with lab.commit(...), then lab.sync()")
    dep = lab.get("apps/v1", "Deployment", deployment, "default")
    if dep is None:
        problems.append(f"there is no Deployment {deployment} in default: commit apps/web.yaml and lab.sync()")
        return result
    containers = dep["spec"]["template"]["spec"].get("containers") or [{}]
    running = _tag_of(str(containers[0].get("image", "")))
    if running != expected_tag:
        problems.append(f"the Deployment {deployment} runs tag {running}, not {expected_tag}: "
                        "lab.sync() twice (the automation commits, then the Kustomization applies)")
    return result
