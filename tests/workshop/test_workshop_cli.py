"""`workshop up|status|down` driven as a learner would: as a subprocess, with WORKSHOP_HOME as the lab dir."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import types
from pathlib import Path

import pytest

from workshop import cli
from workshop.cluster.embedded.cluster import tls_default
from workshop.testing import FakeApiServer, write_kubeconfig


def workshop(home: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WORKSHOP_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "workshop", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_up_status_down_with_an_existing_kubeconfig(tmp_path: Path, fake_apiserver: FakeApiServer) -> None:
    home = tmp_path / "lab"
    config = write_kubeconfig(tmp_path / "config", {"other": "http://127.0.0.1:1", "mine": fake_apiserver.url}, "other")

    up = workshop(home, "up", "--cluster", "kubeconfig", "--kubeconfig", str(config), "--context", "mine")
    assert up.returncode == 0, up.stderr
    export = up.stdout.strip().splitlines()[-1]
    assert export.startswith("export KUBECONFIG=")
    derived = Path(export.split("=", 1)[1])
    assert derived.is_file() and derived.is_relative_to(home)

    status = workshop(home, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "kubeconfig cluster 'workshop'" in status.stdout
    assert f"API {fake_apiserver.url}: answering (v1.32.2)" in status.stdout

    down = workshop(home, "down")
    assert down.returncode == 0 and "is down" in down.stdout
    assert not derived.exists() and not (home / "cluster.json").exists()
    assert config.is_file(), "the user's own kubeconfig is never removed"


def test_status_reports_a_cluster_that_stopped_answering(tmp_path: Path) -> None:
    server = FakeApiServer()
    home = tmp_path / "lab"
    config = write_kubeconfig(tmp_path / "config", {"c": server.url}, "c")
    assert workshop(home, "up", "--cluster", "kubeconfig", "--kubeconfig", str(config)).returncode == 0
    server.close()
    status = workshop(home, "status")
    assert status.returncode == 1
    assert "not answering" in status.stdout


def test_nothing_up(tmp_path: Path) -> None:
    status = workshop(tmp_path, "status")
    assert status.returncode == 1 and "no lab cluster is up" in status.stdout
    down = workshop(tmp_path, "down")
    assert down.returncode == 0 and "nothing to stop" in down.stdout


def test_unreachable_cluster_is_an_error_with_advice(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = write_kubeconfig(tmp_path / "config", {"c": f"http://127.0.0.1:{port}"}, "c")
    up = workshop(tmp_path / "lab", "up", "--cluster", "kubeconfig", "--kubeconfig", str(config))
    assert up.returncode == 1
    assert up.stderr.startswith("workshop: cannot reach the Kubernetes API at http://127.0.0.1:")
    assert "Traceback" not in up.stderr
    assert not (tmp_path / "lab" / "cluster.json").exists()


def test_kind_without_docker_or_kind_says_what_to_install(tmp_path: Path) -> None:
    env = {**os.environ, "WORKSHOP_HOME": str(tmp_path / "lab"), "PATH": str(tmp_path / "empty")}
    up = subprocess.run([sys.executable, "-m", "workshop", "up", "--cluster", "kind"],
                        capture_output=True, text=True, env=env, timeout=60)
    assert up.returncode == 1
    assert "no `kind` binary on PATH: install kind v0.29.0" in up.stderr


def test_kubeconfig_flags_only_with_the_kubeconfig_backend(tmp_path: Path) -> None:
    up = workshop(tmp_path, "up", "--context", "x")
    assert up.returncode == 2 and "only apply to --cluster kubeconfig" in up.stderr


def test_unknown_backend_is_rejected_by_the_parser(tmp_path: Path) -> None:
    up = workshop(tmp_path, "up", "--cluster", "minikube")
    assert up.returncode == 2 and "invalid choice: 'minikube'" in up.stderr


def test_lab_home_defaults_to_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKSHOP_HOME", raising=False)
    assert cli.lab_home() == Path(cli.__file__).resolve().parent.parent / ".lab"


def test_damaged_state_file_is_explained(tmp_path: Path) -> None:
    (tmp_path / "cluster.json").write_text("{not json")
    status = workshop(tmp_path, "status")
    assert status.returncode == 1 and "is damaged" in status.stderr and "delete it" in status.stderr


def test_state_round_trip(tmp_path: Path) -> None:
    state = cli.LabState(backend="embedded", name="w", kubeconfig="/k", pid=12, port=34, state_dir="/s",
                         owns_state_dir=True, log="/l")
    state.save(tmp_path)
    assert json.loads((tmp_path / "cluster.json").read_text())["pid"] == 12
    assert cli.LabState.load(tmp_path) == state


def test_commands_package_modules_add_subcommands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package_dir = tmp_path / "commands"
    package_dir.mkdir()
    (package_dir / "check.py").write_text(
        "def register(sub):\n"
        "    p = sub.add_parser('check', help='check an exercise')\n"
        "    p.add_argument('number')\n"
        "    p.set_defaults(func=lambda args: 7 if args.number == '03' else 0)\n"
    )
    package = types.ModuleType("workshop.commands")
    package.__path__ = [str(package_dir)]
    monkeypatch.setitem(sys.modules, "workshop.commands", package)
    monkeypatch.delitem(sys.modules, "workshop.commands.check", raising=False)
    try:
        assert cli.main(["check", "03"]) == 7
        assert "check" in cli.build_parser().format_help()
    finally:
        sys.modules.pop("workshop.commands.check", None)  # the fake must not outlive the test


def test_pid_alive_tells_running_from_gone() -> None:
    assert cli.pid_alive(os.getpid())
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not cli.pid_alive(proc.pid)
    assert not cli.pid_alive(None)


# --- the embedded backend, as a learner starts it ---------------------------------------------------------

def read_state(home: Path) -> dict:
    return json.loads((home / "cluster.json").read_text())


def test_embedded_up_status_down(tmp_path: Path) -> None:
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config

    home = tmp_path / "lab"
    up = workshop(home, "up")
    assert up.returncode == 0, up.stderr
    kubeconfig = home / "embedded" / "kubeconfig"
    assert up.stdout.strip().splitlines()[-1] == f"export KUBECONFIG={kubeconfig}"
    state = read_state(home)
    assert state["backend"] == "embedded" and cli.pid_alive(state["pid"])
    server = f"{'https' if tls_default() else 'http'}://127.0.0.1:{state['port']}"  # HTTPS like kind's
    try:
        with k8s_config.new_client_from_config(config_file=str(kubeconfig)) as api:
            assert api.configuration.host == server
            names = {n.metadata.name for n in k8s.CoreV1Api(api).list_namespace().items}
        assert {"default", "kube-system"} <= names

        status = workshop(home, "status")
        assert status.returncode == 0
        assert f"embedded cluster 'workshop', pid {state['pid']} (running)" in status.stdout
        assert f"API {server}: answering" in status.stdout
        assert f"state {state['state_dir']}: every acknowledged write is journaled before its answer (survives " \
               "kill -9" in status.stdout

        again = workshop(home, "up")
        assert again.returncode == 0 and "already up" in again.stdout
        assert read_state(home)["pid"] == state["pid"]
        other = workshop(home, "up", "--cluster", "kind")
        assert other.returncode == 1 and "run `workshop down` before" in other.stderr
    finally:
        down = workshop(home, "down")
    assert down.returncode == 0, down.stderr
    assert not cli.pid_alive(state["pid"])
    assert not (home / "cluster.json").exists() and not (home / "embedded").exists()


def test_embedded_state_dir_survives_down_and_up(tmp_path: Path) -> None:
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config

    home, keep = tmp_path / "lab", tmp_path / "objects"
    assert workshop(home, "up", "--state", str(keep)).returncode == 0
    kubeconfig = str(home / "embedded" / "kubeconfig")
    try:
        with k8s_config.new_client_from_config(config_file=kubeconfig) as api:
            k8s.CoreV1Api(api).create_namespaced_config_map("default", {"metadata": {"name": "kept"}, "data": {"a": "1"}})
    finally:
        assert workshop(home, "down").returncode == 0
    assert keep.is_dir(), "a --state directory the user chose is never deleted"
    assert workshop(home, "up", "--state", str(keep)).returncode == 0
    try:
        with k8s_config.new_client_from_config(config_file=kubeconfig) as api:
            assert k8s.CoreV1Api(api).read_namespaced_config_map("kept", "default").data == {"a": "1"}
    finally:
        assert workshop(home, "down").returncode == 0


def test_status_after_the_server_died(tmp_path: Path) -> None:
    home = tmp_path / "lab"
    assert workshop(home, "up").returncode == 0
    pid = read_state(home)["pid"]
    cli.stop_process(pid)
    status = workshop(home, "status")
    assert status.returncode == 1
    assert f"pid {pid} (not running)" in status.stdout and "not answering" in status.stdout
    up = workshop(home, "up")
    assert up.returncode == 0, "a dead cluster is cleaned up and replaced"
    assert read_state(home)["pid"] != pid
    assert workshop(home, "down").returncode == 0


# --- the terminal path: env, down -----------------------------------------------------------------------------

def test_down_removes_the_empty_lab_home_and_says_to_unset_kubeconfig(tmp_path: Path,
                                                                       fake_apiserver: FakeApiServer) -> None:
    home = tmp_path / "lab"
    config = write_kubeconfig(tmp_path / "config", {"c": fake_apiserver.url}, "c")
    assert workshop(home, "up", "--cluster", "kubeconfig", "--kubeconfig", str(config)).returncode == 0
    down = workshop(home, "down")
    assert down.returncode == 0, down.stderr
    assert down.stdout.splitlines()[-1] == "in shells that exported its KUBECONFIG, run: unset KUBECONFIG"
    assert not home.exists()


def test_down_accepts_the_state_dir_given_to_up(tmp_path: Path) -> None:
    home, keep = tmp_path / "lab", tmp_path / "objects"
    assert workshop(home, "up", "--state", str(keep)).returncode == 0
    try:
        wrong = workshop(home, "down", "--state", str(tmp_path / "other"))
        assert wrong.returncode == 1
        assert f"keeps its objects in {keep}, not in {tmp_path / 'other'}" in wrong.stderr
    finally:
        down = workshop(home, "down", "--state", str(keep))
    assert down.returncode == 0, down.stderr
    assert f"its objects stay in {keep}: `workshop up --state {keep}` brings them back" in down.stdout
    assert keep.is_dir() and not home.exists()


def test_env_points_a_terminal_at_the_workshop_up_cluster(tmp_path: Path, fake_apiserver: FakeApiServer) -> None:
    home = tmp_path / "lab"
    nothing = workshop(home, "env")
    assert nothing.returncode == 1 and nothing.stdout == ""
    assert "no lab cluster is up: start one with `workshop up`" in nothing.stderr
    config = write_kubeconfig(tmp_path / "config", {"c": fake_apiserver.url}, "c")
    up = workshop(home, "up", "--cluster", "kubeconfig", "--kubeconfig", str(config))
    try:
        kubeconfig = up.stdout.strip().splitlines()[-1].split("=", 1)[1]
        env = workshop(home, "env")
        assert env.returncode == 0, env.stderr
        shell = subprocess.run(["bash", "-c", f'eval "{env.stdout}"; echo "$KUBECONFIG"; echo "$PATH"'],
                               capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"})
        assert shell.stdout.splitlines() == [kubeconfig, f"{Path(sys.executable).parent}:/usr/bin:/bin"]
    finally:
        workshop(home, "down")


def test_env_of_a_lesson_prints_its_running_labs_env_file(tmp_path: Path) -> None:
    from workshop.lab import Lab

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    cell = {"cell_type": "code", "source": ['lab = Lab.start("03-demo")\n'], "metadata": {}, "outputs": []}
    (notebooks / "03-demo.ipynb").write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4,
                                                          "nbformat_minor": 5}))
    before = workshop(tmp_path, "env", "03", "--notebooks", str(notebooks))
    assert before.returncode == 1 and before.stdout == ""
    assert before.stderr.strip() == ("workshop env: lesson 03's lab is not running: run the first code cell of "
                                     "notebooks/03-demo.ipynb (Lab.start), then run this command again")
    with Lab.start("03-demo", root=notebooks / ".labs" / "03-demo", quiet=True) as lab:
        assert lab.terminal_line().startswith('terminal: eval "$(workshop env 03)"')
        env = workshop(tmp_path, "env", "03", "--notebooks", str(notebooks))
        assert env.returncode == 0, env.stderr
        assert env.stdout == (lab.root / "env.sh").read_text()
        assert f"export KUBECONFIG={lab.cluster.kubeconfig_path}" in env.stdout.splitlines()
    assert workshop(tmp_path, "env", "3", "--notebooks", str(notebooks)).returncode == 1


def test_env_of_a_lesson_whose_kernel_died_says_so(tmp_path: Path) -> None:
    notebooks = tmp_path / "notebooks"
    (notebooks / ".labs" / "03-demo").mkdir(parents=True)
    cell = {"cell_type": "code", "source": ['lab = Lab.start("03-demo")\n'], "metadata": {}, "outputs": []}
    (notebooks / "03-demo.ipynb").write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4,
                                                          "nbformat_minor": 5}))
    (notebooks / ".labs" / "03-demo" / "env.sh").write_text("export KUBECONFIG=/gone\n")  # left by a killed kernel
    env = workshop(tmp_path, "env", "03", "--notebooks", str(notebooks))
    assert env.returncode == 1 and env.stdout == ""
    assert f"lesson 03's lab in {notebooks / '.labs' / '03-demo'} is not running any more" in env.stderr
