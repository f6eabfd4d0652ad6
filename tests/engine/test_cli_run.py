"""`gitops run --receiver-port`: a Receiver POST makes the running controllers fetch the new commit."""

from __future__ import annotations

import base64
import socket
import time
import urllib.request
from typing import Any

import pytest

from engine.api import conditions
from engine.cli.session import Session
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import CM, Lab
from tests.waiting import eventually

lab = test_cli_cluster.lab  # the CLI tests' fixture
GIT = ("source.toolkit.fluxcd.io/v1", "GitRepository")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def add_receiver(session: Session) -> None:
    session.client.create({"apiVersion": "v1", "kind": "Secret",
                           "metadata": {"name": "hook-token", "namespace": "flux-system"},
                           "data": {"token": base64.b64encode(b"t0ken").decode()}})
    session.client.create({"apiVersion": "notification.toolkit.fluxcd.io/v1", "kind": "Receiver",
                           "metadata": {"name": "fleet", "namespace": "flux-system"},
                           "spec": {"type": "generic", "secretRef": {"name": "hook-token"},
                                    "resources": [{"kind": "GitRepository", "name": "fleet"}]}})


def test_receiver_post_triggers_a_fetch_within_a_second(lab: Lab) -> None:
    lab.setup()
    add_receiver(Session(kubeconfig=lab.kubeconfig))
    port = free_port()
    with lab.running_manager(3, "--receiver-port", str(port)) as session:
        def webhook_path() -> str:
            receiver = session.client.get("notification.toolkit.fluxcd.io/v1", "Receiver", "fleet", "flux-system")
            ready = receiver is not None and conditions.is_ready(receiver)
            return str((receiver or {}).get("status", {}).get("webhookPath", "")) if ready else ""

        path = eventually(webhook_path, "the Receiver's webhook path")
        assert path, "the running notification controller never made the Receiver Ready"
        sha = lab.commit({"apps/b.yaml": CM.format(name="b", value="v")})
        posted = time.monotonic()
        with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=b"{}",
                                                           method="POST"), timeout=5) as reply:
            assert reply.status == 200

        def fetched() -> bool:
            repo = session.client.get(*GIT, "fleet", "flux-system") or {}
            return bool(((repo.get("status") or {}).get("artifact") or {}).get("revision", "").endswith(sha))

        eventually(fetched, "a fetch of the new commit after the POST")
        latency = time.monotonic() - posted
        assert latency < 2.0, f"fetch took {latency:.2f}s after the POST"
    err = lab.capsys.readouterr().err.splitlines()
    assert f"✔ webhook receiver listening on http://127.0.0.1:{port}" in err
    assert err[-1] == "✔ controllers stopped"
    out, _ = lab.ok("logs", "-A")  # gitops run logged where gitops logs reads
    assert any(line.endswith(" - handling request ") for line in out.splitlines())


def test_receiver_port_in_use_is_one_line(lab: Lab) -> None:
    lab.ok("install")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = lab.run("run", "--exit-after", "0.1", "--receiver-port", str(port))
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == (f"✗ unable to serve webhooks on 127.0.0.1:{port}: Address already in use; "
                                    "choose another --receiver-port")


def test_watch_all_namespaces_false_limits_the_controllers_to_the_namespace(lab: Lab) -> None:
    lab.ok("install")
    code, _out, err = lab.run("run", "--exit-after", "0.1", "--watch-all-namespaces=false")
    assert code == 0
    assert '► watching the "flux-system" namespace only' in err.splitlines()
    code, _out, err = lab.run("run", "--exit-after", "0.1", "--watch-all-namespaces=maybe")
    assert code == 1
    assert err.splitlines()[-1] == ("✗ argument --watch-all-namespaces: invalid value 'maybe': use true or false")


def test_concurrency_flags_reach_the_controllers(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.cli.controllers as controllers

    built: list[Any] = []
    real = controllers.register_installed

    def capture(session: Session) -> Any:
        manager = real(session)
        built.append(manager)
        return manager

    monkeypatch.setattr(controllers, "register_installed", capture)
    lab.ok("install")
    code, _out, _err = lab.run("run", "--exit-after", "0.1", "--concurrent", "2", "--concurrent-ssa", "1")
    assert code == 0
    assert built[-1].concurrent == 2 and built[-1].reconciler("Kustomization").concurrent_ssa == 1
    code, _out, _err = lab.run("run", "--exit-after", "0.1")
    assert (built[-1].concurrent, built[-1].reconciler("Kustomization").concurrent_ssa) == (4, 4)  # flux's defaults
    code, _out, err = lab.run("run", "--exit-after", "0.1", "--concurrent-ssa", "0")
    assert code == 1
    assert err.splitlines()[-1] == ("✗ argument --concurrent-ssa: invalid value '0': use a whole number of at "
                                    "least 1")
