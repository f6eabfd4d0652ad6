"""The API requests of a first apply (one LIST per kind, one dry-run and one write per object) and of a no-op
re-reconcile: one LIST per kind, no dry-run for an object that already holds what
would be applied (engine.kustomization.unchanged), no writes.

Guards the cost shape measured by bench/reconcile_bench.py: the no-op is the cheap case, and drift is still found
(a drifted object is dry-run, re-read and applied).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from .story import Story

N_CONFIGMAPS = 12  # above the applier's LIST threshold, so live objects are prefetched per kind


def _record(story: Story, monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    """Count (method, what) for requests that touch ConfigMaps: what is get, list, dry-run or apply."""
    seen: Counter[tuple[str, str]] = Counter()
    real = story.client.request

    def request(method: str, path: str, **kwargs: Any) -> Any:
        if "/configmaps" in path:
            query = dict(kwargs.get("query") or [])
            if method == "GET":
                what = "list" if path.endswith("/configmaps") else "get"
            else:
                what = "dry-run" if query.get("dryRun") == "All" else "write"
            seen[(method, what)] += 1
        return real(method, path, **kwargs)

    monkeypatch.setattr(story.client, "request", request)
    return seen


def _apply_configmaps(story: Story) -> None:
    story.commit("ConfigMaps", {f"apps/cm-{i:02d}.yaml": story.configmap(f"cm-{i:02d}", {"index": str(i)})
                                for i in range(N_CONFIGMAPS)})
    story.git_repository()
    story.kustomization("apps", "./apps", prune=True)
    story.sync()
    assert story.ready("Kustomization", "apps")[0] == "True", story.ready("Kustomization", "apps")


def test_noop_reconcile_needs_no_dry_run_and_writes_nothing(story: Story,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _apply_configmaps(story)
    seen = _record(story, monkeypatch)
    story.sync(sources=False, drift=True)
    assert seen == Counter({("GET", "list"): 1})
    assert story.change_set("apps").count("unchanged") == N_CONFIGMAPS


def test_drift_on_one_object_costs_one_dry_run_one_read_and_one_apply(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    _apply_configmaps(story)
    story.client.merge_patch("v1", "ConfigMap", "cm-03", story.apps, {"data": {"index": "edited"}})
    seen = _record(story, monkeypatch)
    story.sync(sources=False, drift=True)
    assert seen == Counter({("PATCH", "dry-run"): 1, ("GET", "list"): 1, ("GET", "get"): 1, ("PATCH", "write"): 1})
    assert f"ConfigMap/{story.apps}/cm-03 configured" in story.change_set("apps").splitlines()
    assert story.obj("ConfigMap", "cm-03")["data"] == {"index": "3"}


def test_a_field_removed_from_git_is_not_mistaken_for_a_noop(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    _apply_configmaps(story)
    # the new manifest is a subset of the live object, but it no longer sets a field this manager owns
    story.commit("Drop the data", {"apps/cm-05.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-05\n"
                                                      f"  namespace: {story.apps}\n"})
    seen = _record(story, monkeypatch)
    story.sync()
    assert seen[("PATCH", "dry-run")] == 1 and seen[("PATCH", "write")] == 1
    assert story.obj("ConfigMap", "cm-05").get("data") in (None, {})


def test_first_apply_costs_one_dry_run_and_one_write_per_object(story: Story,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _record(story, monkeypatch)
    _apply_configmaps(story)
    # a dry-run create has no resourceVersion: the object is still absent, nothing to re-read
    assert seen == Counter({("GET", "list"): 1, ("PATCH", "dry-run"): N_CONFIGMAPS, ("PATCH", "write"): N_CONFIGMAPS})
