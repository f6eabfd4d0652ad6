"""flux CLI parity on the embedded cluster: check --pre's Kubernetes constraint, watch flags, label selectors,
events --for, resume --wait, create flags and secrets."""

from __future__ import annotations

import threading
import time

from engine.cli.session import Session
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import Lab

lab = test_cli_cluster.lab  # the CLI tests' fixture
KS_API = "kustomize.toolkit.fluxcd.io/v1"


def test_check_pre_refuses_a_cluster_older_than_flux_2_9_supports(fake_apiserver: object, tmp_path: object,
                                                                  capsys: object) -> None:
    from pathlib import Path

    from engine.cli import main
    from workshop.testing import write_kubeconfig

    config = write_kubeconfig(Path(str(tmp_path)) / "kubeconfig", {"old": fake_apiserver.url}, "old")  # type: ignore[attr-defined]
    assert main(["check", "--pre", "--kubeconfig", str(config)]) == 1
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert err == "► checking prerequisites\n✗ Kubernetes version v1.32.2 does not match >=1.33.0-0\n"


# -- get/events: --watch, -l, --for Kind ---------------------------------------------------------------


def later(seconds: float, action: object) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()  # type: ignore[operator]
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_get_watch_prints_a_row_per_change_until_the_timeout(lab: Lab) -> None:
    lab.setup()
    client = Session(kubeconfig=lab.kubeconfig).client
    thread = later(0.6, lambda: client.merge_patch(KS_API, "Kustomization", "apps", "flux-system",
                                                   {"spec": {"suspend": True}}))
    code, out, err = lab.run("get", "ks", "--watch", "--timeout", "1.5s")
    thread.join()
    assert (code, err) == (1, "✗ timed out waiting for the condition\n")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"]
    assert lines[1].split()[0] == "apps" and lines[1].split()[2] == "False"
    assert lines[-1].split()[0] == "apps" and lines[-1].split()[2] == "True"  # the suspend, as its own row
    assert lab.run("get", "all", "--watch")[2] == "✗ expected a single resource type, but found all\n"


def test_label_selector_filters_get(lab: Lab) -> None:
    lab.setup()
    client = Session(kubeconfig=lab.kubeconfig).client
    client.merge_patch(KS_API, "Kustomization", "apps", "flux-system", {"metadata": {"labels": {"team": "web"}}})
    out, _ = lab.ok("get", "ks", "-l", "team=web")
    assert [ln.split()[0] for ln in out.splitlines()[1:]] == ["apps"]
    code, out, err = lab.run("get", "ks", "--label-selector", "team=db")
    assert out == "" and err == "✗ no Kustomization objects found in \"flux-system\" namespace\n"


def test_events_for_a_kind_and_watch(lab: Lab) -> None:
    lab.setup()
    lab.ok("reconcile", "ks", "apps", "--with-source")
    out, _ = lab.ok("events", "--for", "Kustomization")
    objects = {ln.split("\t")[3].strip() for ln in out.splitlines()[1:]}
    assert objects == {"Kustomization/apps"}  # only that kind, not its source
    out, _ = lab.ok("events", "--for", "kustomization/apps")
    assert {ln.split("\t")[3].strip() for ln in out.splitlines()[1:]} == {"Kustomization/apps", "GitRepository/fleet"}
    code, out, err = lab.run("events", "--watch", "--timeout", "0.5s")
    assert code == 1 and err == "✗ timed out waiting for the condition\n"
    assert out.splitlines()[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert len(out.splitlines()) > 1
    assert lab.run("events", "--for", "/x")[2] == "✗ --for selector must be of format <kind>[/<name>]\n"
