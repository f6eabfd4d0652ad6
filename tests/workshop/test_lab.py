"""workshop.lab.Lab: one object per lesson wiring the embedded cluster, the fleet repo and the engine."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.checks import check_06
from workshop.lab import FLUX_NAMESPACE, Lab


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/previous-kubeconfig")
    the_lab = Lab.start("test", root=tmp_path / "lab", seed_gitops=True, quiet=True)
    try:
        yield the_lab
    finally:
        the_lab.stop()


def test_start_seeds_the_repo_sets_kubeconfig_and_prints_a_stable_line(lab: Lab, tmp_path: Path) -> None:
    assert os.environ["KUBECONFIG"] == str(lab.cluster.kubeconfig_path)
    assert (lab.repo.path / "gitops" / "apps" / "hello-world.yaml").is_file()
    assert [c.subject for c in lab.repo.log()] == ["Add the sample gitops tree"]
    line = lab.ready_line()
    assert line == "lab test ready: embedded cluster, git repo fleet (1 commit(s) on main), engine CRDs installed"
    assert str(tmp_path) not in line + repr(lab)
    assert repr(lab) == "<Lab test: running on embedded>"
    assert lab.status_lines() == ["no GitRepository or Kustomization yet"]


def test_start_wipes_the_lab_folder(tmp_path: Path) -> None:
    root = tmp_path / "lab"
    (root / "leftover").mkdir(parents=True)
    lab = Lab.start("wipe", root=root, quiet=True)
    try:
        assert not (root / "leftover").exists()
        assert not lab.repo.git.head.is_valid()
    finally:
        lab.stop()
    assert not root.exists()


def test_apply_flux_sync_and_status(lab: Lab) -> None:
    assert lab.apply_flux("apps", "./gitops/apps", wait=True, timeout="1m") == (
        "GitRepository flux-system/flux-system and Kustomization flux-system/apps (./gitops/apps) applied")
    report = lab.sync()
    assert report.ok, str(report)
    assert lab.get("v1", "Namespace", "hello-world", None) is not None
    assert lab.status_lines() == [
        "OBJECT                                 READY  MESSAGE",
        "GitRepository/flux-system/flux-system  True   stored artifact for revision "
        "'main@commit 1 (Add the sample gitops tree)'",
        "Kustomization/flux-system/apps         True   Applied revision: main@commit 1 (Add the sample gitops tree)",
    ]
    ks = lab.manager.get("Kustomization", "apps", FLUX_NAMESPACE)
    assert ks is not None and ks["spec"]["prune"] is True and ks["spec"]["wait"] is True


def test_enable_and_disable_nanomon_with_database_creds(lab: Lab) -> None:
    assert lab.create_database_creds() == "secret/database-creds created in default"
    assert lab.create_database_creds() == "secret/database-creds already exists in default"
    lab.apply_flux("apps", "./gitops/apps", wait=True, timeout="1m")
    lab.repo.copy("gitops/disabled/postgres", "gitops/apps/postgres")
    lab.repo.copy("gitops/disabled/nanomon", "gitops/apps/nanomon")
    assert lab.commit("Enable postgres and nanomon") == "[main commit 2] Enable postgres and nanomon"
    assert lab.commit("again") == "nothing to commit"
    lab.sync()
    assert lab.ready("apps")[0] == "True", lab.ready("apps")
    assert "nanomon-api" in lab.names("apps/v1", "Deployment")
    before = check_06(lab)
    assert not before and any("gitops/apps/nanomon" in p for p in before.problems), str(before)

    lab.repo.remove("gitops/apps/nanomon")
    assert any("commit the removal" in p for p in check_06(lab).problems)
    lab.commit("Disable nanomon")
    lab.sync()
    assert str(check_06(lab)) == "PASS: 06 disable nanomon: nanomon was pruned by Git, postgres still runs"
    assert lab.ready("apps")[0] == "True"
    assert lab.names("apps/v1", "Deployment") == []
    assert lab.names("apps/v1", "StatefulSet") == ["postgres"]


@pytest.mark.slow
def test_reconcile_retries_after_the_secret_appears(lab: Lab) -> None:
    # Flux never waits less than 30s for health, so this test takes that long.
    lab.apply_flux("apps", "./gitops/apps", wait=True, timeout="30s")
    lab.repo.copy("gitops/disabled/postgres", "gitops/apps/postgres")
    lab.commit("Enable postgres")
    lab.sync()
    status, reason, message = lab.ready("apps")
    assert (status, reason) == ("False", "HealthCheckFailed")
    assert "StatefulSet/default/postgres" in message
    lab.create_database_creds()
    lab.reconcile("apps")
    assert lab.ready("apps")[0] == "True", lab.ready("apps")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_reaches_the_lab_cluster(lab: Lab) -> None:
    out = lab.kubectl("get", "ns", "-o", "name")
    assert "namespace/default" in out.split()


def test_kubectl_missing_gives_a_clear_message(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert lab.kubectl("get", "ns").startswith("kubectl is not installed")


def test_stop_restores_kubeconfig_and_removes_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", "/previous")
    monkeypatch.delenv("GITOPS_DATA_DIR", raising=False)
    lab = Lab.start("stop", root=tmp_path / "lab", quiet=True)
    assert os.environ["GITOPS_DATA_DIR"] == str(lab.root)  # `!gitops` stores artifacts where the lab engine does
    lab.stop()
    lab.stop()  # twice is fine
    assert os.environ["KUBECONFIG"] == "/previous"
    assert "GITOPS_DATA_DIR" not in os.environ
    assert not (tmp_path / "lab").exists()
    assert repr(lab) == "<Lab stop: stopped on embedded>"


def test_image_automation_runs_the_image_controllers_and_a_registry_the_node_pulls_from(tmp_path: Path) -> None:
    lab = Lab.start("t-images", root=tmp_path / "lab", image_automation=True, quiet=True)
    try:
        assert lab.registry is not None and lab.registry.running
        assert "lab registry" in lab.ready_line()
        assert {"ImageRepository", "ImagePolicy", "ImageUpdateAutomation"} <= set(lab.manager.reconcilers)
        lab.registry.publish("team/web", "1.0.0")
        oracle = lab.cluster.image_available
        assert oracle is not None
        assert oracle(f"{lab.registry.host}/team/web:1.0.0")
        assert not oracle(f"{lab.registry.host}/team/web:9.9.9")
        registry = lab.registry
    finally:
        lab.stop()
    assert not registry.running


def test_workshop_cluster_env_chooses_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workshop.cluster import ClusterError

    monkeypatch.setenv("WORKSHOP_CLUSTER", "nope")
    with pytest.raises(ClusterError, match="unknown cluster backend 'nope'"):
        Lab.start("t-env", root=tmp_path / "lab", quiet=True)


def test_start_puts_the_kit_bin_folder_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setenv("PATH", "/usr/bin")
    with Lab.start("t-path", root=tmp_path / "lab", quiet=True):
        assert os.environ["PATH"].split(os.pathsep) == [str(Path(sys.executable).parent), "/usr/bin"]


def test_notifications_and_logs_reach_the_lab(tmp_path: Path) -> None:
    from workshop.webhook_sink import WebhookSink

    with Lab.start("t-notify", root=tmp_path / "lab", quiet=True) as lab, WebhookSink() as sink:
        notification = lab.enable_notifications()
        assert lab.enable_notifications() is notification
        assert {"Provider", "Alert", "Receiver"} <= set(lab.manager.reconcilers)
        assert notification.receiver_url.startswith("http://127.0.0.1:")
        lab.apply_flux("missing", "./nowhere")
        lab.client.create({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider",
                           "metadata": {"name": "sink", "namespace": FLUX_NAMESPACE},
                           "spec": {"type": "generic", "address": sink.url}})
        lab.client.create({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Alert",
                           "metadata": {"name": "all", "namespace": FLUX_NAMESPACE},
                           "spec": {"providerRef": {"name": "sink"}, "eventSeverity": "error",
                                    "eventSources": [{"kind": "Kustomization", "name": "*"}]}})
        lab.sync()
        assert sink.wait_for(1, timeout=5)
        assert "error Kustomization/flux-system/missing" in sink.summary()
        logs = list((lab.root / "logs").glob("*.jsonl"))
        assert len(logs) == 1 and '"controllerKind": "Kustomization"' in logs[0].read_text()
