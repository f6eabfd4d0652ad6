"""Lesson 04 solution: promote the podinfo tag staging runs to production, through production's overlay.

Run from the notebook with `%run -i solutions/04_promote_podinfo.py` (`-i` lets it use the notebook's `lab`),
or `%load` it to read it. It copies the `newTag` of apps/staging/kustomization.yaml into
apps/production/kustomization.yaml (and nothing else: production keeps its replicas and env label),
commits, and lets the production cluster reconcile.
"""

import re

TAG = re.compile(r"^(\s*newTag:\s*)(\S+)\s*$", re.MULTILINE)


def promote(lab) -> None:  # type: ignore[no-untyped-def]
    staging_tag = TAG.search(lab.repo.read("apps/staging/kustomization.yaml"))
    if staging_tag is None:
        print("apps/staging/kustomization.yaml sets no newTag: nothing to promote")
        return
    path = "apps/production/kustomization.yaml"
    before = lab.repo.read(path)
    production_tag = TAG.search(before)
    if production_tag is None:
        print(f"{path} sets no newTag: add the images: entry of apps/staging/kustomization.yaml to it")
        return
    lab.repo.write(path, TAG.sub(lambda m: m.group(1) + staging_tag.group(2), before))
    print(f"{path}: newTag {production_tag.group(2)} -> {staging_tag.group(2)}")
    print(lab.commit(f"Promote podinfo {staging_tag.group(2)} to production"))
    print(lab.site("production").sync())


if "lab" in globals():
    promote(globals()["lab"])
else:
    print("run this from lesson 04 with %run -i, after Lab.start(...) created `lab`")
