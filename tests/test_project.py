"""Project checks: import rule, lint, packaging, devcontainer, and README / Makefile / CI agreement."""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def make_recipe(target: str) -> tuple[list[str], list[str]]:
    """(prerequisites, recipe lines) of a Makefile target."""
    match = re.search(rf"^{re.escape(target)}:([^\n]*)\n((?:\t[^\n]*\n?)*)", MAKEFILE, re.M)
    assert match, f"Makefile has no target {target!r}"
    return match.group(1).split(), [line.strip() for line in match.group(2).splitlines()]


# --- import rule and lint ---------------------------------------------------------------------------------

def test_engine_never_imports_workshop_contract_is_declared() -> None:
    contracts = PYPROJECT["tool"]["importlinter"]["contracts"]
    assert any(c["type"] == "forbidden" and c["source_modules"] == ["engine"]
               and "workshop" in c["forbidden_modules"] for c in contracts)


def test_import_contracts_hold() -> None:
    result = subprocess.run([tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout
    # A folder without __init__.py is invisible to import-linter: every module must be analysed.
    analysed = int(re.search(r"Analyzed (\d+) files", result.stdout).group(1))  # type: ignore[union-attr]
    modules = [p for folder in ("engine", "workshop") for p in (ROOT / folder).rglob("*.py")
               if "__pycache__" not in p.parts]
    assert analysed == len(modules), f"import-linter analysed {analysed} of {len(modules)} modules"


def test_layer_contracts_are_declared() -> None:
    """cli > manager > controllers > git access > api > events > client; kustomize/patch and the embedded server stand apart."""
    contracts = {c["name"]: c for c in PYPROJECT["tool"]["importlinter"]["contracts"]}
    layers = [c for c in contracts.values() if c["type"] == "layers"]
    assert layers and layers[0]["layers"][0] == "engine.cli" and layers[0]["layers"][-1] == "engine.client"
    forbidden_sources = {m for c in contracts.values() if c["type"] == "forbidden" for m in c["source_modules"]}
    assert {"engine", "engine.kustomize", "engine.patch", "workshop.cluster.embedded"} <= forbidden_sources


def committed_python_files() -> list[str]:
    """The .py files git tracks under the linted packages (all of them when this is not a git checkout)."""
    folders = ["engine", "workshop", "tests", "bench"]
    listing = subprocess.run(["git", "ls-files", "--", *[f"{f}/*.py" for f in folders]], cwd=ROOT,
                             capture_output=True, text=True)
    if listing.returncode != 0:
        return folders
    return [p for p in listing.stdout.splitlines() if (ROOT / p).is_file()]


def test_ruff_finds_nothing() -> None:
    result = subprocess.run([tool("ruff"), "check", "--no-cache", "--force-exclude", *committed_python_files()],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_lint_runs_ruff_mypy_and_import_linter() -> None:
    prerequisites, recipe = make_recipe("lint")
    joined = "\n".join(recipe)
    for command in ("ruff check", "lint-imports", "mypy"):
        assert command in joined


# --- packaging ----------------------------------------------------------------------------------------------

def test_console_scripts() -> None:
    assert PYPROJECT["project"]["scripts"] == {"gitops": "engine.cli:main", "workshop": "workshop.cli:main"}
    installed = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert installed.get("workshop") == "workshop.cli:main"


def test_dev_extra_has_what_the_tests_and_lint_need() -> None:
    dev = " ".join(PYPROJECT["project"]["optional-dependencies"]["dev"])
    for requirement in ("pytest", "pytest-timeout", "nbval", "ruff", "mypy", "import-linter", "pytest-kind"):
        assert re.search(rf"(^|\s){re.escape(requirement)}\b", dev), requirement
    for key in ("name", "version", "description", "readme", "requires-python", "license", "dependencies"):
        assert PYPROJECT["project"].get(key), key


def test_pytest_checks_notebooks_with_nbval_in_the_venv_kernel() -> None:
    options = PYPROJECT["tool"]["pytest"]["ini_options"]
    addopts = options["addopts"].split()
    assert "--nbval" in addopts and "--nbval-current-env" in addopts
    assert "--nbval-sanitize-with=tests/nbval-sanitize.cfg" in addopts
    assert "notebooks" in options["testpaths"]
    assert "solutions" in options["norecursedirs"]


# --- nbval sanitizer ----------------------------------------------------------------------------------------

def sanitizer() -> list[tuple[re.Pattern[str], str]]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "tests" / "nbval-sanitize.cfg")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def sanitize(text: str) -> str:
    for regex, replace in sanitizer():
        text = regex.sub(replace, text)
    return text


@pytest.mark.parametrize(("first", "second"), [
    ("reconcile finished in 1.2s", "reconcile finished in 13.07s"),
    ("web   1/1   1   1   5s", "web   1/1   1   1   2m3s"),
    ("lastTransitionTime: 2026-11-21T00:43:48Z", "lastTransitionTime: 2024-01-01T10:00:00.123456+00:00"),
    ("uid: 0b5c3c8e-4d1c-4f44-9a2f-3f1f5d1b2c3d", "uid: 7f0e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"),
    ("web-5d8f7c9b6-x7k2p   1/1   Running", "web-7c9d8b5f4-q2w3e   1/1   Running"),
    ("server: http://127.0.0.1:41234", "server: http://127.0.0.1:39999"),
    ("ClusterIP   10.96.12.7", "ClusterIP   10.96.0.200"),
    ('resourceVersion: "1234"', 'resourceVersion: "99"'),
    ("<Lab at 0x7f3a2b1c4d50>", "<Lab at 0x7f00aa00bb11>"),
    ("Applied revision: main@sha1:ddc68a95 (Add web)", "Applied revision: main@sha1:0e1f2a3b (Add web)"),
    ("ok\n[main 1a2b3c4] Add web", "ok\n[main 9f8e7d6] Add web"),
    ("[main 1a2b3c4] web chart 0.2.x", "[main 123456d] web chart 0.2.x"),  # a SHA that reads as a duration
    ("main@sha1:ddc68a95 (Add web)", "main@sha1:1234567d (Add web)"),
])
def test_sanitizer_hides_what_changes_between_runs(first: str, second: str) -> None:
    assert sanitize(first) == sanitize(second)


@pytest.mark.parametrize("stable", [
    "Applied revision: main@sha1:0123456789abcdef0123456789abcdef01234567",
    "kustomize.toolkit.fluxcd.io/v1",
    "replicas: 3",
    "app-config-4m9b6f2g8t",
    "cpu: 330m",
    '{"cpu": "500m", "memory": "128Mi"}',
])
def test_sanitizer_keeps_what_the_lesson_is_about(stable: str) -> None:
    assert sanitize(stable) == stable


# --- README, Makefile, CI ------------------------------------------------------------------------------

def readme_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_has_the_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    first_block = re.search(r"```sh\n(.*?)```", quick_start, re.S)
    assert first_block
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["make lab", "make test"]


def test_lab_and_test_both_set_up_first() -> None:
    lab_prereqs, lab_recipe = make_recipe("lab")
    test_prereqs, test_recipe = make_recipe("test")
    assert "setup" in lab_prereqs and "setup" in test_prereqs
    assert any("tools/start-lab.sh" in line for line in lab_recipe)  # JupyterLab as the kit starts it
    assert any("-m pytest" in line for line in test_recipe)
    setup_prereqs, _ = make_recipe("setup")
    assert setup_prereqs == ["system-deps", "venv", "kubectl"]
    assert "tools/install-system-deps.sh" in MAKEFILE and "tools/install-kubectl.sh" in MAKEFILE
    assert 'pip install -q -e ".[dev]"' in MAKEFILE and 'pip install -e ".[dev]"' in README


def test_ci_runs_exactly_the_readme_test_command() -> None:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    assert commands[-1] == "make test"
    assert "make test" in readme_commands()


def test_system_deps_installer_covers_the_readme_packages() -> None:
    script = (ROOT / "tools" / "install-system-deps.sh").read_text()
    for package in ("graphviz", "git", "docker-registry", "-venv"):
        assert package in script
    assert "apt-get install" in script and "Please run:" in script


def test_shell_scripts_parse() -> None:
    scripts = [ROOT / ".ci" / "run", ROOT / ".devcontainer" / "post-create.sh", *sorted((ROOT / "tools").glob("*.sh"))]
    for script in scripts:
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, f"{script}: {result.stderr}"


# --- devcontainer ---------------------------------------------------------------------------------------

def load_jsonc(path: Path) -> dict:
    """JSON with // and /* */ comments (outside strings), as devcontainer.json allows."""
    text = re.sub(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', lambda m: m.group(1) or "", path.read_text(), flags=re.S)
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", text))


def test_devcontainer() -> None:
    config = load_jsonc(ROOT / ".devcontainer" / "devcontainer.json")
    assert "python" in config["image"]
    features = " ".join(config["features"])
    assert "docker-in-docker" in features and "/kind:" in features and "kubectl" in features
    kubectl = next(v for k, v in config["features"].items() if "kubectl" in k)
    assert kubectl["version"].startswith("1.32")
    assert config["hostRequirements"]["cpus"] >= 4
    assert config["hostRequirements"]["memory"] == "8gb"
    assert 8888 in config["forwardPorts"] and "8888" in config["portsAttributes"]
    assert config["postCreateCommand"] == "bash .devcontainer/post-create.sh"
    assert "make lab" in config["postStartCommand"] and "--port=8888" in config["postStartCommand"]


def test_devcontainer_post_create_runs_the_readme_setup() -> None:
    script = (ROOT / ".devcontainer" / "post-create.sh").read_text()
    commands = [line.strip() for line in script.splitlines() if line.strip() and not line.startswith("#")]
    assert "make setup" in commands
    assert not any(re.match(r"(pip|apt-get|mkdir|curl|kind|docker)\b", c) for c in commands), \
        "post-create must only run the README's set-up"


def test_test_modules_have_unique_basenames() -> None:
    """pytest's default import mode puts rootless test folders on sys.path: two test_x.py files collide."""
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"rename one of each: {duplicates}"


# --- a clone has nothing beside it ------------------------------------------------------------------------

OUTSIDE_REPO = re.compile(r"""\.\./shared|/ *["']shared["']|/ *["']\.\.["']|parents\[\d+\]\.parent\b|(ROOT|REPO)\.parent""")


def test_tests_and_benchmarks_read_only_inside_the_repository() -> None:
    """Nothing under tests/ or bench/ reaches for a folder beside the checkout (a fresh clone has none)."""
    offenders = []
    for folder in ("tests", "bench", "tools"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in {".py", ".sh"} or "data" in path.relative_to(ROOT).parts:
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if OUTSIDE_REPO.search(line) and "outside-repo: ok" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "reads outside the repository:\n" + "\n".join(offenders)


def test_no_import_cycles_in_engine_or_workshop() -> None:
    """Modules form a tree of layers: no module imports (at run time) one that imports it back."""
    import grimp

    graph = grimp.build_graph("engine", "workshop", include_external_packages=False, cache_dir=None,
                              exclude_type_checking_imports=True)
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if module < imported and graph.chain_exists(importer=imported, imported=module):
                cycles.append(f"{module} <-> {imported}")
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
