"""A newcomer's first minutes in a real browser: the kit's JupyterLab, started as `make lab` starts it, from a fresh
clone of the repository (nothing beside it), driven by Playwright in Debian's Chromium.

It opens lesson 04 and 01 and checks that their stored outputs render before anything runs (the notebooks are
trusted at start: the graph is an SVG, the diff widgets show, no "Error displaying widget"), runs all cells of 01,
starts lesson 03's lab with its first cell, and opens a terminal in which `kubectl get ns` reaches that lab.

Needs the `playwright` Python package (dev extra) and Chromium at /usr/bin/chromium (tools/install-system-deps.sh
installs it with apt). Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN = "browser-test-token"
#: Render every cell, not only those scrolled into view, so the test can look at all outputs at once.
TEST_SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.is_file():
        return ("Chromium is not installed at /usr/bin/chromium (tools/install-system-deps.sh installs it where apt "
                "is available: apt-get install chromium)")
    if shutil.which("git") is None:
        return "git is not installed (the test starts from a fresh clone)"
    if shutil.which("kubectl") is None and not (Path(sys.executable).parent / "kubectl").exists():
        return "kubectl is not installed (make setup puts it in .venv/bin)"
    if not (KIT / ".git").exists():
        return "the kit is not a git checkout, so there is no clone to start from"
    return None


if (reason := _missing()) is not None:
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LabServer:
    clone: Path
    url: str
    log: Path

    def open(self, page: Page, path: str) -> None:
        page.goto(f"{self.url}/lab/tree/{path}?token={TOKEN}&reset")  # reset: only this notebook open
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        page.locator(".jp-NotebookPanel .jp-Spinner").wait_for(state="detached", timeout=60_000)
        # the kit's kernel is connected and idle (a cell run before that would not reach it)
        page.get_by_text("Python 3 (workshop) | Idle").wait_for(timeout=60_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """`make lab`'s start script in a fresh clone (the committed kit), on a free port with a token."""
    top = tmp_path_factory.mktemp("browser")
    clone = top / "kit"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(KIT), str(clone)], check=True, timeout=120)
    (top / "config" / "labconfig").mkdir(parents=True)
    (top / "config" / "labconfig" / "default_setting_overrides.json").write_text(json.dumps(TEST_SETTINGS))
    port = free_port()
    env = {
        **os.environ,
        "VENV": str(Path(sys.executable).parent.parent),  # the kit's venv; the clone's code comes first:
        "PYTHONPATH": str(clone),
        "JUPYTER_CONFIG_PATH": str(top / "config"),
        "JUPYTER_DATA_DIR": str(top / "data"),  # the clone's trust database, nobody else's
        "JUPYTER_RUNTIME_DIR": str(top / "runtime"),
        "HOME": str(top / "home"),
    }
    env.pop("KUBECONFIG", None)
    (top / "home").mkdir()
    log = top / "jupyter.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["bash", str(clone / "tools" / "start-lab.sh"), "--no-browser", f"--port={port}",
             "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}"],
            cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, proc, log)
        yield LabServer(clone, url, log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    import requests

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(f"{url}/api/status?token={TOKEN}", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within 90s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def page(server: LabServer) -> Iterator[Page]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def test_start_script_says_it_runs_as_root_and_serves_the_repository(server: LabServer) -> None:
    import requests

    text = server.log.read_text(errors="replace")
    if os.getuid() == 0:
        assert "start-lab: running as root" in text and "--allow-root" in text
    assert f"Serving notebooks from local directory: {server.clone}" in text
    home = requests.get(f"{server.url}/?token={TOKEN}", allow_redirects=False, timeout=10)
    assert home.headers["Location"].startswith("/lab/tree/notebooks/00-welcome.ipynb")
    readme = requests.get(f"{server.url}/api/contents/gitops/README.md?token={TOKEN}&content=0", timeout=10)
    assert readme.ok, "lesson 06 links to ../gitops/README.md: it must be inside the server's root"


def test_stored_graph_and_widgets_render_without_running_anything(server: LabServer, page: Page) -> None:
    server.open(page, "notebooks/04-monorepo-layout.ipynb")
    graph = page.locator(".jp-RenderedSVG, .jp-OutputArea-output img[src^='data:image/svg+xml']").first
    graph.wait_for(timeout=30_000)
    assert page.locator(".jp-RenderedSVG svg, .jp-RenderedSVG img").count() >= 1, "04's graph is not an SVG"
    assert page.get_by_text("Would you like to get notified about official Jupyter news?").count() == 0

    server.open(page, "notebooks/01-kustomize-base-overlay.ipynb")
    page.locator("table.ws-diff").first.wait_for(timeout=30_000)
    stored = page.locator("table.ws-diff").count()
    assert stored >= 3, f"only {stored} stored diff widgets render"
    assert page.get_by_text("Error displaying widget").count() == 0


def test_run_all_cells_of_lesson_01(server: LabServer, page: Page) -> None:
    server.open(page, "notebooks/01-kustomize-base-overlay.ipynb")
    page.locator(".jp-NotebookPanel .jp-Cell").first.click()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", timeout=120_000)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    assert not [e for e in errors if "Traceback" in e or "Error" in e], errors
    assert page.get_by_text("Error displaying widget").count() == 0
    assert page.get_by_text("PASS: 01 production overlay").count() >= 1


def test_a_terminal_reaches_lesson_03s_lab(server: LabServer, page: Page) -> None:
    server.open(page, "notebooks/03-flux-internals.ipynb")
    page.locator(".jp-NotebookPanel .jp-CodeCell .cm-content").first.click()
    page.keyboard.press("Shift+Enter")
    first_output = page.locator(".jp-NotebookPanel .jp-CodeCell").first.locator(".jp-OutputArea-output")
    try:
        first_output.get_by_text('terminal: eval "$(workshop env 03)"').wait_for(timeout=90_000)
    except Exception:
        page.screenshot(path=os.environ.get("BROWSER_TEST_SHOT", str(server.clone.parent / "lesson-03.png")))
        pytest.fail(f"lesson 03's first cell did not start its lab: {first_output.all_inner_texts()}")

    out, where = server.clone / "kubectl-get-ns.txt", server.clone / "terminal-cwd.txt"
    page.locator("[data-command='launcher:create']").first.click()  # the file browser's "+": a Launcher
    page.locator(".jp-LauncherCard", has_text="Terminal").first.click()
    page.locator(".jp-Terminal .xterm").first.wait_for(timeout=30_000)
    page.locator(".jp-Terminal .xterm").first.click()
    time.sleep(1)  # the shell's prompt
    env = server.clone / "workshop-env.txt"
    page.keyboard.type(f'pwd > {where}; workshop env 03 > {env} 2>&1; eval "$(workshop env 03)"; '
                       f'echo "$KUBECONFIG" >> {where}; kubectl get ns > {out}.tmp 2>&1; mv {out}.tmp {out}\n')
    deadline = time.monotonic() + 45
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert out.exists(), "the terminal did not run the command"
    text = out.read_text()
    assert {"default", "kube-system"} <= set(text.split()), (text, env.read_text())
    cwd, kubeconfig = where.read_text().split()
    assert Path(cwd) == server.clone / "notebooks"  # the file browser's folder: lessons give paths from there
    assert Path(kubeconfig).is_relative_to(server.clone / "notebooks" / ".labs" / "03-flux-internals")


def test_lesson_06_links_to_the_gitops_readme(server: LabServer, page: Page) -> None:
    server.open(page, "notebooks/06-sample-app.ipynb")
    page.locator(".jp-NotebookPanel .jp-MarkdownCell a", has_text="gitops/README.md").first.click()
    tab = page.locator(".lm-TabBar-tab", has_text="README.md")
    tab.first.wait_for(timeout=30_000)
    assert page.locator(".jp-RenderedMarkdown, .jp-FileEditor").filter(has_text="disabled").count() >= 1
