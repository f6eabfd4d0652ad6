"""`workshop reset NN`: bring a learner's lesson back to its start (lab folder, exercise folders, the notebook).

Lessons are the `NN-*.ipynb` files in notebooks/. What a lesson leaves on disk is read from its code cells:
the lab folder of each `Lab.start("<name>")` (`notebooks/.labs/<name>/`, or its `root=Path(...)`), and
`.work/NN` plus each other `.work/<folder>` it writes to.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NEXT_STEP = "next: restart the kernel (Kernel > Restart Kernel) and run the notebook from the top"

_LAB_START = re.compile(r"""Lab\.start\(\s*["']([\w.-]+)["']([^\n]*)""")
_LAB_ROOT = re.compile(r"""root\s*=\s*Path\(\s*["']([^"']+)["']\s*\)""")
_WORK_DIR = re.compile(r"""\.work/([\w.-]+)""")


class ResetError(Exception):
    """A reset that cannot go ahead; the message says what to do."""


@dataclass
class Lesson:
    """One NN-*.ipynb notebook and the folders its code cells create."""

    number: str
    notebook: Path
    labs: dict[str, Path] = field(default_factory=dict)
    work_dirs: list[str] = field(default_factory=list)

    @property
    def notebooks(self) -> Path:
        return self.notebook.parent

    def folders(self) -> list[tuple[str, Path]]:
        """(what, path) of every folder this lesson writes, lab folders first."""
        labs = [("lab folder", root) for root in self.labs.values()]
        work = [("exercise folder", self.notebooks / ".work" / name) for name in self.work_dirs]
        return labs + work

    def kubeconfigs(self) -> list[tuple[Path, str]]:
        """(kubeconfig, how to stop it) of each cluster a running lab of this lesson would serve."""
        found = []
        for name, root in self.labs.items():
            for kubeconfig in [root / "kubeconfig", *sorted(root.glob("*/kubeconfig"))]:
                found.append((kubeconfig, f"run `lab.stop()` in notebook {self.notebook.name} or restart its kernel"))
            found.append((self.notebooks / ".lab" / "kind" / f"lab-{name}" / "kubeconfig",
                          f"restart the notebook's kernel, or delete a leftover cluster with "
                          f"`kind delete cluster --name lab-{name}`"))
        return found


def find_lessons(notebooks: Path) -> dict[str, Path]:
    """Lesson number -> notebook, from the NN-*.ipynb file names in the notebooks folder."""
    found: dict[str, Path] = {}
    for path in sorted(notebooks.glob("[0-9][0-9]-*.ipynb")):
        found.setdefault(path.name[:2], path)
    return found


def _code(notebook: Path) -> str:
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError) as exc:
        raise ResetError(f"cannot read {notebook} ({exc}); restore it with `workshop reset "
                         f"{notebook.name[:2]} --notebook`") from exc
    return "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code")


def lesson(notebooks: Path, wanted: str) -> Lesson:
    """The lesson `wanted` names ("3", "03" or "03-flux-internals"), with the folders its code cells use."""
    lessons = find_lessons(notebooks)
    number = wanted.split("-", 1)[0].zfill(2)
    if number not in lessons or (not wanted.isdigit() and lessons[number].stem != wanted):
        known = ", ".join(f"{n} ({p.stem})" for n, p in lessons.items()) or f"none in {notebooks}"
        raise LookupError(f"no lesson {wanted!r}; lessons: {known}")
    notebook = lessons[number]
    code = _code(notebook)
    labs = {notebook.stem: notebooks / ".labs" / notebook.stem}
    for name, args in _LAB_START.findall(code):
        root = _LAB_ROOT.search(args)
        chosen = notebooks / root.group(1) if root else None
        labs[name] = chosen if chosen is not None and chosen.name == name else notebooks / ".labs" / name
    work = sorted(set(_WORK_DIR.findall(code)) | {number})
    return Lesson(number, notebook, dict(sorted(labs.items())), work)


def live_cluster(chosen: Lesson) -> tuple[Path, str, str] | None:
    """(kubeconfig, API URL, how to stop it) of a lab cluster of this lesson that still answers, else None."""
    from workshop.cli import api_answers
    from workshop.cluster import ClusterError
    from workshop.cluster.kubeconfig import load_kubeconfig, server_of

    for kubeconfig, how in chosen.kubeconfigs():
        if not kubeconfig.is_file():
            continue
        try:
            server = server_of(load_kubeconfig(kubeconfig))
        except ClusterError:
            continue
        if server and api_answers(kubeconfig, timeout=2.0):
            return kubeconfig, server, how
    return None


def _shown(path: Path, notebooks: Path) -> str:
    """The path as the learner knows it: from the kit's checkout, or absolute when it lives elsewhere."""
    return path.relative_to(notebooks.parent).as_posix() if path.is_relative_to(notebooks.parent) else path.as_posix()


def _git(notebooks: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(notebooks), *args], capture_output=True, text=True, check=False)


def stored_notebook(notebook: Path) -> str:
    """The notebook as committed on the current branch (HEAD) of the kit's git checkout."""
    top = _git(notebook.parent, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise ResetError(f"{notebook.parent} is not in a git checkout, so there is no stored {notebook.name} to "
                         "restore; download the kit again or copy the notebook from a colleague")
    relative = notebook.resolve().relative_to(Path(top.stdout.strip()).resolve()).as_posix()
    shown = _git(notebook.parent, "show", f"HEAD:{relative}")
    if shown.returncode != 0:
        raise ResetError(f"git has no stored {relative} at HEAD ({shown.stderr.strip()}); "
                         "check `git log -- " + relative + "`")
    return shown.stdout


def backup_path(notebook: Path) -> Path:
    """`NN-name.ipynb.bak`, or `.bak2`, `.bak3`... so that an earlier backup is never overwritten."""
    candidate = notebook.with_name(notebook.name + ".bak")
    n = 2
    while candidate.exists():
        candidate = notebook.with_name(f"{notebook.name}.bak{n}")
        n += 1
    return candidate


def restore_notebook(notebook: Path, stored: str) -> str:
    """Put the stored text back, keeping the learner's copy next to it; one line saying what happened."""
    notebooks = notebook.parent
    if notebook.is_file():
        if notebook.read_text(encoding="utf-8") == stored:
            return f"kept {_shown(notebook, notebooks)}: it is already the stored version"
        backup = backup_path(notebook)
        shutil.copy2(notebook, backup)
        notebook.write_text(stored, encoding="utf-8")
        return (f"restored {_shown(notebook, notebooks)} from git; your version is in "
                f"{_shown(backup, notebooks)} (reload the notebook in JupyterLab: File > Reload Notebook from Disk)")
    notebook.write_text(stored, encoding="utf-8")
    return f"restored {_shown(notebook, notebooks)} from git"


def reset(notebooks: Path, wanted: str, *, notebook: bool = False) -> list[str]:
    """Reset one lesson; the lines to print. Refuses (ResetError) while the lesson's lab still runs."""
    chosen = lesson(notebooks, wanted)
    live = live_cluster(chosen)
    if live is not None:
        kubeconfig, server, how = live
        raise ResetError(
            f"lesson {chosen.number}'s lab is still running: its cluster answers at {server} "
            f"(kubeconfig {_shown(kubeconfig, notebooks)}). Stop it first ({how}), then run "
            f"`workshop reset {chosen.number}` again. Nothing was removed."
        )
    from workshop.labfolder import holder_of

    for folder in chosen.labs.values():
        pid = holder_of(folder)
        if pid is not None:
            raise ResetError(
                f"lesson {chosen.number}'s lab folder {_shown(folder, notebooks)} is held by process {pid} (a kernel "
                f"running the lesson): run its clean-up cell (lab.stop()) or shut that kernel down, then run "
                f"`workshop reset {chosen.number}` again. Nothing was removed.")
    stored = stored_notebook(chosen.notebook) if notebook else None
    lines = [f"resetting lesson {chosen.number} ({chosen.notebook.name})"]
    from workshop.cluster.kind import delete_kind_cluster, orphaned_lab_clusters

    for folder in chosen.labs.values():
        for name in orphaned_lab_clusters(folder.parent, folder.name):
            delete_kind_cluster(name)
            lines.append(f"deleted kind cluster {name!r} (the lab's cluster on kind, left by an earlier run)")
    for what, folder in chosen.folders():
        if folder.exists():
            shutil.rmtree(folder)
            lines.append(f"removed {_shown(folder, notebooks)}/ ({what})")
    work = notebooks / ".work"
    if work.is_dir() and not any(work.iterdir()):
        work.rmdir()
    if len(lines) == 1:
        lines.append("nothing to remove: the lesson's lab and exercise folders do not exist")
    if stored is not None:
        lines.append(restore_notebook(chosen.notebook, stored))
    lines.append(NEXT_STEP)
    return lines


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("reset", help="bring a lesson back to its start: remove its lab and exercise folders")
    parser.add_argument("lesson", help="the lesson number, e.g. 03")
    parser.add_argument("--notebook", action="store_true",
                        help="also restore the stored notebook from git (your version is kept as NN-*.ipynb.bak)")
    parser.add_argument("--notebooks", metavar="DIR", type=Path, default=NOTEBOOKS,
                        help="the notebooks folder (default: the kit's notebooks/)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        lines = reset(Path(args.notebooks), args.lesson, notebook=args.notebook)
    except LookupError as exc:
        print(f"workshop reset: {exc.args[0]}", file=sys.stderr)
        return 2
    except ResetError as exc:
        print(f"workshop reset: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0
