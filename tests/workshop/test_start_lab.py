"""tools/start-lab.sh (what `make lab` runs), with a stand-in `jupyter` that records how it was called."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[2]
SCRIPT = KIT / "tools" / "start-lab.sh"


@pytest.fixture
def fake_venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    jupyter = venv / "bin" / "jupyter"
    jupyter.write_text('#!/bin/sh\nlog="$(dirname "$0")/../calls"\n'
                       'printf "%s\\n" "$*" >> "$log"\n'
                       'if [ "$1" = lab ]; then printf "PATH=%s\\nJUPYTER_CONFIG_PATH=%s\\nPWD=%s\\n" '
                       '"$PATH" "$JUPYTER_CONFIG_PATH" "$PWD" >> "$log"; fi\n')
    jupyter.chmod(0o755)
    return venv


def start(venv: Path, uid: int, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir(exist_ok=True)
    (fake_bin / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (fake_bin / "id").chmod(0o755)
    env = {**os.environ, "VENV": str(venv), "PATH": f"{fake_bin}:/usr/bin:/bin"}
    env.pop("JUPYTER_CONFIG_PATH", None)
    proc = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60)
    return proc, (venv / "calls").read_text().splitlines()


def test_as_root_it_says_so_and_allows_root(fake_venv: Path, tmp_path: Path) -> None:
    proc, calls = start(fake_venv, 0, tmp_path, "--no-browser")
    assert proc.returncode == 0, proc.stderr
    assert "start-lab: running as root (usual in containers and CI images): starting JupyterLab with --allow-root" \
        in proc.stdout
    lab = next(c for c in calls if c.startswith("lab "))
    assert lab.split() == ["lab", f"--config={KIT}/tools/jupyter/jupyter_lab_config.py",
                           f"--ServerApp.root_dir={KIT}", "--allow-root", "--no-browser"]
    assert f"PATH={fake_venv}/bin:{tmp_path}/fake-bin:/usr/bin:/bin" in calls  # the kit's bin first
    assert f"JUPYTER_CONFIG_PATH={KIT}/tools/jupyter" in calls  # no news prompt
    assert f"PWD={KIT}" in calls


def test_as_a_user_it_does_not_add_allow_root(fake_venv: Path, tmp_path: Path) -> None:
    proc, calls = start(fake_venv, 1000, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "root" not in proc.stdout
    assert "--allow-root" not in next(c for c in calls if c.startswith("lab "))


def test_it_trusts_the_notebooks_as_shipped(fake_venv: Path, tmp_path: Path) -> None:
    _, calls = start(fake_venv, 1000, tmp_path)
    trusted = next(c for c in calls if c.startswith("trust ")).split()[1:]
    changed = subprocess.run(["git", "-C", str(KIT), "diff", "--name-only", "HEAD", "--", "notebooks"],
                             capture_output=True, text=True, check=False).stdout.split()
    shipped = sorted(str(p) for p in (KIT / "notebooks").glob("[0-9][0-9]-*.ipynb")
                     if str(p.relative_to(KIT)) not in changed)
    assert sorted(trusted) == shipped


def test_without_a_venv_it_says_to_run_setup(tmp_path: Path) -> None:
    env = {**os.environ, "VENV": str(tmp_path / "none")}
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert "run 'make setup' (or 'make lab') first" in proc.stderr
