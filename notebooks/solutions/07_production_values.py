"""Lesson 07 solution: production values for the `web` HelmRelease, in Git.

Run from the notebook with `%run -i solutions/07_production_values.py` (`-i` lets it use the notebook's `lab`),
or `%load` it to read it. It sets `replicaCount: 3` and `message: Hello, production` in the HelmRelease's inline
values (which win over the `web-values` ConfigMap), commits and syncs; if Git already says so, it changes nothing.
"""

import yaml

WANT = {"replicaCount": 3, "message": "Hello, production"}


def production_values(lab) -> None:  # type: ignore[no-untyped-def]
    path = "apps/web/release.yaml"
    release = yaml.safe_load(lab.repo.read(path))
    values = release["spec"].setdefault("values", {})
    if all(values.get(k) == v for k, v in WANT.items()):
        print(f"{path} already sets {WANT}")
        return
    values.update(WANT)
    lab.repo.write(path, yaml.safe_dump(release, sort_keys=False))
    print(lab.commit("Production values for web"))
    lab.sync()
    print("web/web:", lab.ready("web", "HelmRelease", "web")[2])


if "lab" in globals():
    production_values(globals()["lab"])
else:
    print("run this from lesson 07 with %run -i, after Lab.start(...) created `lab`")
