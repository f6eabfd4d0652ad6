"""Lesson 00 solution: add `cache` and remove `api` in apps.yaml, then commit (LabRepo.commit also pushes).

Run from the notebook with `%run -i solutions/00_first_commit.py` (`-i` lets it use the notebook's `repo`),
or `%load` it to read it. It keeps the rest of your apps.yaml; if you made the change already, it commits
what is left to commit and changes nothing else. Reconciling is still your step: run the reconcile cell.
"""

import yaml

CACHE = {"image": "redis:7.2", "replicas": 1}


def first_commit(repo) -> None:  # type: ignore[no-untyped-def]
    apps = yaml.safe_load(repo.read("apps.yaml")) or {}
    apps.pop("api", None)
    apps["cache"] = dict(CACHE)
    repo.write("apps.yaml", yaml.safe_dump(apps, sort_keys=True))
    print(repo.read("apps.yaml"))
    sha = repo.commit("Add cache, remove api")
    print(f"[{repo.branch} {sha[:7]}] Add cache, remove api" if sha else "nothing to commit")


if "repo" in globals():
    first_commit(globals()["repo"])
else:
    print("run this from lesson 00 with %run -i, after the cell that creates `repo`")
