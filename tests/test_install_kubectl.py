"""tools/install-kubectl.sh: leaves an existing kubectl alone, installs a verified one, says what to do offline."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "install-kubectl.sh"


def _bin_with(tmp_path: Path, tools: dict[str, str]) -> Path:
    """A PATH folder with the basic tools the script needs and fakes for the ones given."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("bash", "uname", "mktemp", "rm", "cat", "sha256sum", "install", "echo", "dirname"):
        real = subprocess.run(["bash", "-c", f"command -v {name}"], capture_output=True, text=True).stdout.strip()
        if real.startswith("/"):
            (folder / name).symlink_to(real)
    for name, body in tools.items():
        (folder / name).write_text(f"#!/bin/bash\n{body}\n")
        (folder / name).chmod(0o755)
    return folder


def _run(tmp_path: Path, tools: dict[str, str]) -> subprocess.CompletedProcess[str]:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    env = {"PATH": str(_bin_with(tmp_path, tools)), "HOME": str(tmp_path)}
    return subprocess.run(["bash", str(SCRIPT), str(venv)], capture_output=True, text=True, env=env, timeout=30)


def test_an_existing_kubectl_is_left_alone(tmp_path: Path) -> None:
    proc = _run(tmp_path, {"kubectl": "exit 0"})
    assert proc.returncode == 0
    assert "present" in proc.stdout
    assert not (tmp_path / "venv" / "bin" / "kubectl").exists()


def test_offline_says_what_to_do_and_installs_nothing(tmp_path: Path) -> None:
    proc = _run(tmp_path, {"curl": "exit 6"})
    assert proc.returncode == 0
    assert "could not download https://dl.k8s.io/release/v1.32.4/bin/" in proc.stdout
    assert "install kubectl v1.32.4" in proc.stdout
    assert not (tmp_path / "venv" / "bin" / "kubectl").exists()


def _fake_curl(payload: str, digest: str) -> str:
    """curl -o FILE URL: the binary, or its .sha256 file."""
    return ('out=""; url=""; while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift 2;; -*) shift;; '
            '*) url="$1"; shift;; esac; done\n'
            f'case "$url" in *.sha256) printf "%s" "{digest}" > "$out";; *) printf "%s" "{payload}" > "$out";; esac')


def test_a_verified_download_lands_in_the_venv(tmp_path: Path) -> None:
    payload = "fake-kubectl-binary"
    digest = hashlib.sha256(payload.encode()).hexdigest()
    proc = _run(tmp_path, {"curl": _fake_curl(payload, digest)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = tmp_path / "venv" / "bin" / "kubectl"
    assert installed.read_text() == payload
    assert os.access(installed, os.X_OK)


def test_a_download_with_the_wrong_digest_is_refused(tmp_path: Path) -> None:
    proc = _run(tmp_path, {"curl": _fake_curl("tampered", "0" * 64)})
    assert proc.returncode == 1
    assert "does not match its published sha256" in proc.stdout
    assert not (tmp_path / "venv" / "bin" / "kubectl").exists()
