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
    short = lab.repo.head()[:8]  # Flux's revision, as `flux get` shortens it, and the commit's subject
    assert lab.status_lines() == [
        "OBJECT                                 READY  MESSAGE",
        "GitRepository/flux-system/flux-system  True   stored artifact for revision "
        f"'main@sha1:{short} (Add the sample gitops tree)'",
        f"Kustomization/flux-system/apps         True   Applied revision: main@sha1:{short} (Add the sample gitops tree)",
    ]
    assert lab.ready("apps")[2] == f"Applied revision: main@sha1:{lab.repo.head()}"  # the engine's own text
    ks = lab.manager.get("Kustomization", "apps", FLUX_NAMESPACE)
    assert ks is not None and ks["spec"]["prune"] is True and ks["spec"]["wait"] is True


def test_enable_and_disable_nanomon_with_database_creds(lab: Lab) -> None:
    assert lab.create_database_creds() == "secret/database-creds created in default"
    assert lab.create_database_creds() == "secret/database-creds already exists in default"
    lab.apply_flux("apps", "./gitops/apps", wait=True, timeout="1m")
    lab.repo.copy("gitops/disabled/postgres", "gitops/apps/postgres")
    lab.repo.copy("gitops/disabled/nanomon", "gitops/apps/nanomon")
    line = lab.commit("Enable postgres and nanomon")
    assert line == f"[main {lab.repo.head()[:7]}] Enable postgres and nanomon"  # git's own line
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
        lab.repo.write("apps/README.md", "apps live here\n")
        lab.commit("Add apps")  # a source with an artifact: the Kustomization itself fails (a missing source sends no event)
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


# --- one lab per folder, and a stopped lab that says so ------------------------------------------------------

def test_a_second_process_cannot_start_a_lab_in_a_held_folder(tmp_path: Path) -> None:
    import subprocess
    import sys

    from workshop.lab import LabInUseError

    root = tmp_path / "lab"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom workshop.labfolder import LabLock\n"
         f"lock = LabLock({str(root)!r}, '03-flux-internals').acquire()\nprint('held', flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LabInUseError) as err:
            Lab.start("03-flux-internals", root=root, quiet=True)
        message = str(err.value)
        assert f"in use by process {holder.pid} (" in message
        assert "lab.stop()" in message and "Kernel > Shut Down Kernel" in message
        assert "root=Path('.labs/03-flux-internals-2')" in message
        assert err.value._render_traceback_() == [f"LabInUseError: {message}"]  # IPython shows only this
    finally:
        holder.kill()
        holder.wait()
    with Lab.start("03-flux-internals", root=root, quiet=True) as lab:  # the holder's death freed the folder
        assert lab.running


def test_starting_again_in_one_kernel_stops_the_earlier_lab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = Lab.start("t-again", root=tmp_path / "lab", quiet=True)
    second = Lab.start("t-again", root=tmp_path / "lab")
    try:
        assert not first.running and second.running
        out = capsys.readouterr().out.splitlines()
        assert out[0] == "stopped the lab t-again this kernel ran in lab/, to start afresh"
        assert out[1].startswith("lab t-again ready: embedded cluster")
    finally:
        second.stop()


def test_every_method_of_a_stopped_lab_says_how_to_start_again(tmp_path: Path) -> None:
    from workshop.lab import LabStoppedError

    lab = Lab.start("06-sample-app", root=tmp_path / "06-sample-app", quiet=True)
    lab.stop()
    calls = {
        "status()": lambda: lab.status(),
        "sync()": lambda: lab.sync(),
        "commit()": lambda: lab.commit("x"),
        "apply_flux()": lambda: lab.apply_flux("apps", "./apps"),
        "kubectl()": lambda: lab.kubectl("get", "ns"),
        "create_database_creds()": lambda: lab.create_database_creds(),
        "repo": lambda: lab.repo.write("a.yaml", ""),
        "client": lambda: lab.client.get("v1", "Namespace", "default", None),
        "manager": lambda: lab.manager.sync(),
    }
    for what, call in calls.items():
        with pytest.raises(LabStoppedError) as err:
            call()
        assert str(err.value) == (
            f"lab 06-sample-app is stopped (lab.stop() ran, e.g. in the clean-up cell), so lab.{what} has no "
            "cluster or repo to work on. Start it again: run the set-up cell at the top of the notebook "
            "(Lab.start('06-sample-app', ...)), then the cells from there.")
    assert lab.ready_line().startswith("lab 06-sample-app stopped:")
    assert repr(lab) == "<Lab 06-sample-app: stopped on embedded>"


def test_the_lab_folder_has_an_env_file_and_the_ready_line_names_it(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys

    with Lab.start("t-term", root=tmp_path / "lab") as lab:
        out = capsys.readouterr().out.splitlines()
        assert out[-1] == f"terminal: source {lab.root}/env.sh   (kubectl, gitops and git on this lab)"
        shell = subprocess.run(
            ["bash", "-c", f"source {lab.root}/env.sh; source {lab.root}/env.sh; "
                           'echo "$KUBECONFIG"; echo "$GITOPS_DATA_DIR"; echo "$FLEET"; echo "$PATH"'],
            capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"})
        kubeconfig, data_dir, fleet, path = shell.stdout.splitlines()
        assert (kubeconfig, data_dir, fleet) == (str(lab.cluster.kubeconfig_path), str(lab.root), str(lab.repo.path))
        assert path == f"{Path(sys.executable).parent}:/usr/bin:/bin"  # sourced twice, put first once
    assert not (tmp_path / "lab").exists()


def test_a_lesson_lab_points_terminals_at_workshop_env() -> None:
    lab = Lab.__new__(Lab)  # the line needs only the lesson and the folder, not a running cluster
    lab.lesson, lab.root = "03-flux-internals", Path("/somewhere/.labs/03-flux-internals")
    assert lab.terminal_line() == 'terminal: eval "$(workshop env 03)"   (kubectl, gitops and git on this lab)'
    lab.root = Path("/elsewhere/mine")  # a folder `workshop env 03` would not look in: name the env file
    assert lab.terminal_line() == "terminal: source /elsewhere/mine/env.sh   (kubectl, gitops and git on this lab)"
