"""Stories sharing one cluster (as every test does on kind) do not see each other and leave nothing behind."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kustomization.story import Story, open_story
from workshop.testing import LabNamespaces, namespace_for

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def test_namespace_names_come_from_the_test_id() -> None:
    nodeid = "tests/engine/kustomization/test_faults.py::test_paths_cannot_escape_the_artifact[kind-/etc-etc]"
    name = namespace_for(nodeid, "test_paths_cannot_escape_the_artifact")
    assert name == namespace_for(nodeid, "test_paths_cannot_escape_the_artifact")
    assert name.startswith("paths-cannot-escape-the-artifact-") and DNS_LABEL.fullmatch(name)
    assert name != namespace_for(nodeid.replace("[kind-", "[embedded-"), "test_paths_cannot_escape_the_artifact")
    long = namespace_for("t.py::test_" + "x" * 200, "test_" + "x" * 200)
    assert len(f"{long}-team-a") <= 63 and DNS_LABEL.fullmatch(long)


def test_two_stories_on_one_cluster_keep_apart_and_clean_up(story: Story, tmp_path: Path) -> None:
    other_namespaces = LabNamespaces(story.cluster, f"{story.ns}-other")
    with open_story(story.cluster, tmp_path / "other", other_namespaces) as other:
        for each in (story, other):
            each.commit("Add", {"apps/a.yaml": each.configmap("a")})
            each.git_repository()
            each.kustomization("apps", "./apps")
        story.sync()
        other.sync(sources=False)
        assert story.inventory("apps") == [f"ConfigMap/{story.apps}/a"]
        assert other.inventory("apps") == [f"ConfigMap/{other.apps}/a"]
        assert story.events("Kustomization") and all(other.apps not in m for _, _, m in story.events())
    other_namespaces.delete_all()
    assert not other.exists("Kustomization", "apps") and not other.exists("GitRepository", "fleet")
    assert all(phase(story, ns) in (None, "Terminating") for ns in (other.ns, other.apps))
    report = story.sync(drift=True)
    assert {o.key[1] for o in report.outcomes} == {story.ns}
    assert story.get("ConfigMap", "a") is not None


def phase(story: Story, name: str) -> Any:
    live = story.get("Namespace", name)
    return None if live is None else live.get("status", {}).get("phase")


def test_a_rerun_gets_fresh_namespaces_while_the_old_ones_terminate(story: Story) -> None:
    first = LabNamespaces(story.cluster, f"{story.ns}-rerun")
    name = first.create()
    story.client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old", "namespace": name}})
    first.delete_all()
    again = LabNamespaces(story.cluster, f"{story.ns}-rerun")
    assert again.create() == name and phase(story, name) == "Active"
    assert story.get("ConfigMap", "old", name) is None
    again.delete_all()
