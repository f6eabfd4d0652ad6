"""Lesson 02 solution: the web app as a second Kustomization that waits for the cache (`dependsOn`).

Run from the notebook with `%run -i solutions/02_web_after_cache.py` (`-i` lets it use the notebook's `lab`),
or `%load` it to read it. It does what you would type in a terminal: `gitops create kustomization … --export`
into clusters/lab/web.yaml of the fleet repo, commit and push, then `gitops reconcile … --with-source`.
"""

import subprocess
import sys
from pathlib import Path

GITOPS = str(Path(sys.executable).parent / "gitops")
CREATE = ["create", "kustomization", "web", "--source=GitRepository/apps", "--path=./web", "--prune=true",
          "--wait", "--depends-on=cache", "--export"]
RECONCILE = ["reconcile", "kustomization", "flux-system", "--with-source"]


def gitops(*args: str) -> str:
    """Run the kit's `gitops` CLI like a terminal would: progress lines are printed, stdout is returned."""
    print("$ gitops " + " ".join(args))
    proc = subprocess.run([GITOPS, *args], capture_output=True, text=True, check=False)
    if proc.stderr:
        print(proc.stderr, end="")
    if proc.returncode != 0:
        raise RuntimeError(f"gitops {' '.join(args)} failed (exit {proc.returncode}): see the lines above")
    return proc.stdout


def web_after_cache(lab) -> None:  # type: ignore[no-untyped-def]
    lab.repo.write("clusters/lab/web.yaml", gitops(*CREATE))
    print("wrote clusters/lab/web.yaml")
    print(lab.commit("Add the web app, after the cache"))
    gitops(*RECONCILE)


if "lab" in globals():
    web_after_cache(globals()["lab"])
else:
    print("run this from lesson 02 with %run -i, after Lab.start(...) created `lab`")
