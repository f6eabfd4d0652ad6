"""`gitops diff kustomization --progress-bar` as flux 2.x (default true; briandowns/spinner on stdout, drawn only
when stdout is a terminal, erased before the diff is printed; `--progress-bar=false` turns it off)."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main
from engine.cli import spinner as spinner_mod
from engine.cli.spinner import ERASE, FRAMES, HIDE_CURSOR, SHOW_CURSOR, Spinner
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import CM, Lab
from tests.engine.test_cli_masking import CHILD_KS

lab = test_cli_cluster.lab  # the CLI tests' fixture


class Terminal(io.StringIO):
    """A stdout that says it is a terminal and keeps everything written to it."""

    def isatty(self) -> bool:
        return True


def _wait_for(predicate: Any, seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not predicate() and time.monotonic() < end:
        time.sleep(0.01)


def test_spinner_draws_frames_with_the_suffix_and_erases_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    term = Terminal()
    spin = Spinner(" Kustomization diffing... running dry-run", term, delay=0.01)
    spin.start()
    _wait_for(lambda: term.getvalue().count(ERASE) >= 3)
    spin.suffix = " processing inventory"
    _wait_for(lambda: "processing inventory" in term.getvalue())
    spin.stop()
    text = term.getvalue()
    assert text.startswith(HIDE_CURSOR + ERASE + f"\033[37m{FRAMES[0]}\033[0m Kustomization diffing... "
                                                 "running dry-run")
    assert f"\033[37m{FRAMES[1]}\033[0m" in text and " processing inventory" in text
    assert text.endswith(SHOW_CURSOR + ERASE)
    length = len(text)
    time.sleep(0.05)
    assert len(term.getvalue()) == length  # stopped: nothing more is drawn


def test_spinner_is_silent_off_a_terminal_and_plain_without_color(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = io.StringIO()
    with Spinner(" x", plain, delay=0.01):
        time.sleep(0.05)
    assert plain.getvalue() == ""
    monkeypatch.setenv("NO_COLOR", "1")
    term = Terminal()
    with Spinner(" x", term, delay=0.01):
        _wait_for(lambda: FRAMES[0] in term.getvalue())
    assert term.getvalue().startswith(HIDE_CURSOR + ERASE + FRAMES[0] + " x")


def _recursive_lab(lab: Lab) -> tuple[Path, list[str]]:
    lab.commit({"apps/child.yaml": CHILD_KS, "child/c.yaml": CM.format(name="c", value="v")})
    lab.setup()
    lab.ok("reconcile", "ks", "apps", "--with-source")
    lab.ok("reconcile", "ks", "child")
    local = lab.tmp / "local"
    (local / "apps").mkdir(parents=True)
    (local / "child").mkdir()
    (local / "apps" / "a.yaml").write_text(CM.format(name="a", value="v"))
    (local / "apps" / "child.yaml").write_text(CHILD_KS)
    (local / "child" / "c.yaml").write_text(CM.format(name="c", value="w"))
    argv = ["diff", "ks", "apps", "--path", str(local / "apps"), "-r", "--local-sources",
            f"GitRepository/flux-system/fleet={local}", "--kubeconfig", lab.kubeconfig]
    return local, argv


def test_diff_on_a_terminal_spins_then_prints_the_diff_on_a_clean_line(lab: Lab,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _, argv = _recursive_lab(lab)
    code, plain, _ = lab.run(*argv[:-2])  # captured stdout is no terminal: flux's output, untouched
    assert code == 1 and "\033" not in plain and "⠋" not in plain

    suffixes: list[str] = []

    class Recording(Spinner):
        @Spinner.suffix.setter  # type: ignore[attr-defined]
        def suffix(self, text: str) -> None:
            suffixes.append(text)
            Spinner.suffix.fset(self, text)  # type: ignore[attr-defined]

    term = Terminal()
    with monkeypatch.context() as m:
        m.setattr(spinner_mod, "Spinner", Recording)
        m.setattr("sys.stdout", term)
        m.setenv("NO_COLOR", "1")
        code = main(argv)
    assert code == 1
    text = term.getvalue()
    assert text.startswith(HIDE_CURSOR + ERASE) and FRAMES[0] + " Kustomization diffing... running dry-run" in text
    drawn, _, printed = text.rpartition(SHOW_CURSOR + ERASE)
    assert drawn and printed == plain  # the spinner is gone before the diff is printed
    assert suffixes == [" running dry-run in child", " processing inventory", " running dry-run",
                        " processing inventory"]  # flux2 internal/build diff.go's messages, in its order


@pytest.mark.parametrize("flag", ["--progress-bar=false", "--progress-bar=0", "--progress-bar=False"])
def test_progress_bar_false_draws_nothing_even_on_a_terminal(lab: Lab, monkeypatch: pytest.MonkeyPatch,
                                                             flag: str) -> None:
    _, argv = _recursive_lab(lab)
    code, plain, _ = lab.run(*argv[:-2])
    term = Terminal()
    with monkeypatch.context() as m:
        m.setattr("sys.stdout", term)
        code = main([*argv, flag])
    assert code == 1 and term.getvalue() == plain


def test_progress_bar_takes_only_go_booleans(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["diff", "ks", "apps", "--path", str(tmp_path), "--progress-bar=maybe"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == ('✗ invalid argument "maybe" for "--progress-bar" flag: strconv.ParseBool: parsing "maybe": '
                   "invalid syntax\n")


def test_spinner_stops_when_the_diff_fails(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build error (exit 2) is reported after the spinner erased its line."""
    _, argv = _recursive_lab(lab)
    term = Terminal()
    with monkeypatch.context() as m:
        m.setattr("sys.stdout", term)
        code = main([a for a in argv if not a.startswith("GitRepository/") and a != "--local-sources"])
    assert code == 2
    assert term.getvalue().endswith(SHOW_CURSOR + ERASE)
    assert lab.capsys.readouterr().err == ("✗ cannot get local path for GitRepository/flux-system/fleet of "
                                           "kustomization child\n")


def test_a_real_terminal_gets_the_spinner_and_a_pipe_does_not(lab: Lab) -> None:
    """`gitops diff` in a child process: stdout on a pseudo-terminal shows the spinner, a pipe never does."""
    _, argv = _recursive_lab(lab)
    cmd = [sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))", *argv]
    env = {**os.environ, "NO_COLOR": "1"}
    piped = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert piped.returncode == 1 and "\033" not in piped.stdout and piped.stdout.startswith("📁 Kustomization/")

    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=follower, stderr=subprocess.PIPE, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(120) == 1
    seen = b"".join(chunks).decode().replace("\r\n", "\n")  # the terminal turns \n into \r\n
    assert seen.startswith(HIDE_CURSOR + ERASE + FRAMES[0] + " Kustomization diffing... running dry-run")
    assert seen.rpartition(SHOW_CURSOR + ERASE)[2] == piped.stdout
