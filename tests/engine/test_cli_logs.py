"""`gitops logs`: flux's line format over the cluster's JSON-lines file; filters, --tail, --since, -f."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

from engine.cli.logs import format_entry, log_path
from engine.cli.session import Session
from engine.events import AppendFile, Logger
from engine.paths import cluster_slug
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import Lab

lab = test_cli_cluster.lab  # the CLI tests' fixture
TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def test_format_and_cluster_file_names() -> None:
    entry = {"ts": "2026-01-01T00:00:00.000Z", "level": "error", "msg": "Reconciliation failed",
             "controllerKind": "Kustomization", "name": "apps", "namespace": "flux-system", "error": "boom"}
    assert format_entry(entry) == ("2026-01-01T00:00:00.000Z error Kustomization/apps.flux-system - "
                                   "Reconciliation failed boom")
    assert format_entry({"ts": "t", "level": "info", "msg": "m", "reconciler kind": "GitRepository"}) == (
        "t info GitRepository - m ")
    assert cluster_slug("https://127.0.0.1:6443/") == "127.0.0.1-6443"
    assert cluster_slug("HTTPS://Kube.Example.com") == "kube.example.com"


def test_log_file_rotates_past_its_size(tmp_path: Path) -> None:
    sink = AppendFile(tmp_path / "logs" / "c.jsonl", max_bytes=100)
    logger = Logger(stream=sink)
    for i in range(4):
        logger.info(f"line {i}")
    rotated = (tmp_path / "logs" / "c.jsonl.1").read_text().splitlines()
    current = (tmp_path / "logs" / "c.jsonl").read_text().splitlines()
    assert [json.loads(line)["msg"] for line in rotated + current] == [f"line {i}" for i in range(4)]
    assert len(current) < 4


def test_no_log_yet_says_what_to_run(lab: Lab) -> None:
    code, out, err = lab.run("logs")
    assert (code, out) == (1, "")
    assert err.startswith("✗ no controller logs for this cluster yet: start the controllers with `gitops run`")
    assert str(lab.tmp / "data" / "logs") in err


def test_in_process_reconciles_log_and_filters_select(lab: Lab) -> None:
    lab.setup()
    out, _ = lab.ok("logs")
    lines = out.splitlines()
    assert re.fullmatch(TS + r" info GitRepository/fleet\.flux-system - stored artifact for commit 'change' ",
                        lines[0])
    assert re.fullmatch(TS + r" info Kustomization/apps\.flux-system - server-side apply completed ", lines[1])
    assert lines[-1].split(" ", 1)[1].startswith("info Kustomization/apps.flux-system - Reconciliation finished in")
    out, _ = lab.ok("logs", "--kind", "gitrepository")
    assert [line.split(" ")[2] for line in out.splitlines()] == ["GitRepository/fleet.flux-system"]
    out, _ = lab.ok("logs", "--name", "apps", "--tail", "1")
    assert out.splitlines() == lines[-1:]
    assert lab.ok("logs", "--level", "error") == ("", "")
    assert lab.ok("logs", "-n", "default") == ("", "")
    assert lab.ok("logs", "--since", "1h")[0].splitlines() == lines
    assert lab.ok("logs", "--since-time", "2999-01-01T00:00:00Z") == ("", "")
    code, _, err = lab.run("logs", "--level", "loud")
    assert code == 1 and "invalid choice: 'loud'" in err


def test_follow_prints_appended_lines(lab: Lab) -> None:
    lab.ok("install")
    path = log_path(Session(kubeconfig=lab.kubeconfig))
    logger = Logger(stream=AppendFile(path))
    logger.info("unable to list objects")  # no object: only with -A
    out: list[str] = []
    runner = threading.Thread(target=lambda: out.append(lab.run("logs", "-f", "-A", "--exit-after", "1.5")[1]),
                              daemon=True)
    runner.start()
    time.sleep(0.5)
    logger.bind(controllerKind="Kustomization", name="apps", namespace="flux-system").error(
        "Reconciliation failed after 1s, next try in 5m0s", error="kustomization path not found")
    runner.join(10)
    lines = out[0].splitlines()
    assert re.fullmatch(TS + r" info  - unable to list objects ", lines[0])
    assert re.fullmatch(TS + r" error Kustomization/apps\.flux-system - Reconciliation failed after 1s, next try in "
                        r"5m0s kustomization path not found", lines[1])
