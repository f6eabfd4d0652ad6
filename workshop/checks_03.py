"""Lesson 03 exercise check: a ConfigMap owned by Git, then drift corrected or pruned by the engine."""

from __future__ import annotations

from typing import Any

import yaml

from workshop.checks import CheckResult, needs_running_lab

__all__ = ["CONFIGMAP", "check_03"]

#: The ConfigMap the learner adds to apps/web/ in the lab repo.
CONFIGMAP = "web-settings"


def _git_configmap(lab: Any, folder: str, name: str) -> tuple[bool, dict[str, Any] | None]:
    """(is there a ConfigMap `name` in the committed tree under `folder`, its data)."""
    try:
        tree = lab.repo.git.head.commit.tree
    except ValueError:
        return False, None
    for entry in tree.traverse():
        path = str(entry.path)
        if entry.type != "blob" or not path.startswith(folder + "/") or not path.endswith((".yaml", ".yml")):
            continue
        try:
            docs = list(yaml.safe_load_all(entry.data_stream.read().decode()))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "ConfigMap" and \
                    (doc.get("metadata") or {}).get("name") == name:
                return True, dict(doc.get("data") or {})
    return False, None


def _event_lines(lab: Any, kustomization: str, namespace: str) -> list[str]:
    lines: list[str] = []
    for event in lab.manager.events("Kustomization", kustomization, namespace):
        lines += str(event.get("message", "")).splitlines()
    return lines


@needs_running_lab("03 configmap owned by Git")
def check_03(lab: Any, kustomization: str = "web", name: str = CONFIGMAP, namespace: str = "default",
             folder: str = "apps/web") -> CheckResult:
    """Lesson 03 exercise.

    Wants the engine to have created ConfigMap `name` from Git (an event says so), and then either corrected
    drift on it (an event says `configured`, and the live data equals Git's) or pruned it (an event says
    `deleted`, it is gone from Git, the cluster and the inventory). The Kustomization must be Ready.
    """
    subject = f"ConfigMap/{namespace}/{name}"
    result = CheckResult("03 configmap owned by Git", f"{subject} was created from Git, then ")
    problems = result.problems
    events = _event_lines(lab, kustomization, "flux-system")
    created = f"{subject} created" in events
    configured = f"{subject} configured" in events
    deleted = f"{subject} deleted" in events
    in_git, git_data = _git_configmap(lab, folder, name)
    live = lab.get("v1", "ConfigMap", name, namespace)
    inventory = lab.manager.inventory(kustomization, "flux-system")

    if not created:
        problems.append(f"add a ConfigMap {name} (namespace {namespace}) to {folder}/, commit, then lab.sync()")
    status, _reason, message = lab.ready(kustomization)
    if status != "True":
        problems.append(f"the Kustomization {kustomization} is not Ready ({message or 'not reconciled'}): "
                        "fix Git, then lab.sync()")
    if deleted and not in_git:
        if live is not None:
            problems.append(f"{subject} is still in the cluster: run lab.sync() (prune must be on)")
        if subject in inventory:
            problems.append(f"{subject} is still in the inventory: run lab.sync()")
        result.summary += "pruned when its file left Git"
    elif configured and in_git:
        if live is None:
            problems.append(f"{subject} is not in the cluster: run lab.manager.sync(drift=True)")
        elif dict(live.get("data") or {}) != git_data:
            problems.append(f"the cluster's {subject} data differs from Git: run lab.manager.sync(drift=True)")
        result.summary += "its drift was corrected"
    elif created:
        if in_git:
            problems.append(f"now change {subject} with kubectl (kubectl edit/patch) and run "
                            "lab.manager.sync(drift=True), or remove its file from Git, commit and lab.sync()")
        else:
            problems.append(f"the file of {subject} left Git: run lab.sync() so the engine prunes it")
    return result
