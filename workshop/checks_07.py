"""Lesson 07 exercise check: production values for the `web` HelmRelease, made in Git.

The HelmRelease `web/web` must be Ready, its latest release (Helm's own storage, the `sh.helm.release.v1.web.v<N>`
Secret) must have been made with 3 replicas and the message `Hello, production`, the Deployment must run them,
and the values must come from Git (the HelmRelease or the `web-values` ConfigMap in the lab repo), not from a patch
on the cluster.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import yaml

from workshop.checks import CheckResult, needs_running_lab

__all__ = ["WANT_MESSAGE", "WANT_REPLICAS", "check_07"]

HELM_API = "helm.toolkit.fluxcd.io/v2"
WANT_REPLICAS = 3
WANT_MESSAGE = "Hello, production"
RELEASE_FILE = "apps/web/release.yaml"
VALUES_FILE = "apps/web/values.yaml"


def _stored_values(lab: Any, name: str, namespace: str, version: int) -> dict[str, Any] | None:
    """The user values of one stored Helm release revision (None when the Secret is gone)."""
    secret = lab.get("v1", "Secret", f"sh.helm.release.v1.{name}.v{version}", namespace)
    if secret is None:
        return None
    raw = base64.b64decode(base64.b64decode(secret["data"]["release"]))
    return dict(json.loads(gzip.decompress(raw)).get("config") or {})


def _values_in_git(lab: Any) -> dict[str, Any]:
    """The values the lab repo gives the release: the ConfigMap's values.yaml, then the inline values on top."""
    merged: dict[str, Any] = {}
    try:
        configmap = yaml.safe_load(lab.repo.read(VALUES_FILE)) or {}
        merged.update(yaml.safe_load((configmap.get("data") or {}).get("values.yaml") or "") or {})
    except (OSError, yaml.YAMLError, AttributeError):
        pass
    try:
        release = yaml.safe_load(lab.repo.read(RELEASE_FILE)) or {}
        merged.update(((release.get("spec") or {}).get("values")) or {})
    except (OSError, yaml.YAMLError, AttributeError):
        pass
    return merged


@needs_running_lab("07 production values")
def check_07(lab: Any, name: str = "web", namespace: str = "web") -> CheckResult:
    """Lesson 07 exercise: the release runs 3 replicas with the message `Hello, production`, from Git."""
    result = CheckResult("07 production values",
                         f"release {namespace}/{name} runs {WANT_REPLICAS} replicas saying {WANT_MESSAGE!r}, "
                         "from Git")
    problems = result.problems
    in_git = _values_in_git(lab)
    if in_git.get("replicaCount") != WANT_REPLICAS:
        problems.append(f"the values in Git ({RELEASE_FILE} and {VALUES_FILE}) give replicaCount "
                        f"{in_git.get('replicaCount', '(unset)')}, not {WANT_REPLICAS}: inline values win over the "
                        "ConfigMap")
    if in_git.get("message") != WANT_MESSAGE:
        problems.append(f"the values in Git give message {in_git.get('message', '(unset)')!r}, not "
                        f"{WANT_MESSAGE!r}")
    hr = lab.get(HELM_API, "HelmRelease", name, namespace)
    if hr is None:
        problems.append(f"there is no HelmRelease {namespace}/{name}: run the cells of section 2 first")
        return result
    ready: dict[str, Any] = next((c for c in (hr.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {})
    if ready.get("status") != "True":
        problems.append(f"the HelmRelease is not Ready ({ready.get('reason', 'not reconciled yet')}): commit, then "
                        "lab.sync()")
    history = (hr.get("status") or {}).get("history") or []
    if not history:
        problems.append("the HelmRelease has made no release yet")
        return result
    stored = _stored_values(lab, name, namespace, int(history[0].get("version", 0)))
    if stored is None:
        problems.append(f"the release Secret of revision {history[0].get('version')} is missing")
    elif (stored.get("replicaCount"), stored.get("message")) != (WANT_REPLICAS, WANT_MESSAGE):
        problems.append(f"the current release (revision {history[0].get('version')}) was made with replicaCount "
                        f"{stored.get('replicaCount', '(chart default)')} and message "
                        f"{stored.get('message', '(chart default)')!r}: commit the change, then lab.sync()")
    dep = lab.get("apps/v1", "Deployment", name, namespace)
    replicas = (dep or {}).get("spec", {}).get("replicas")
    if replicas != WANT_REPLICAS:
        problems.append(f"the Deployment {namespace}/{name} has {replicas} replicas, not {WANT_REPLICAS}")
    return result
