"""Lesson 01 solution: a production overlay of the webserver base.

Run from the notebook with `%run solutions/01_production_overlay.py .work/01` (or `%load` it to read it).
It writes WORKDIR/production/kustomization.yaml unless you have written one already; add --overwrite to
replace yours.
"""

import sys
from pathlib import Path

KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../base
nameSuffix: -prod
replicas:
- name: webserver
  count: 3
images:
- name: nginx
  newTag: 1.25.4
labels:
- pairs:
    env: production
"""


def write_solution(workdir: Path, overwrite: bool = False) -> str:
    target = workdir / "production" / "kustomization.yaml"
    shown = target.as_posix()
    if target.exists() and not overwrite:
        return f"kept your {shown} (run with --overwrite to replace it with the solution)"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(KUSTOMIZATION)
    return f"wrote the solution to {shown}:\n\n{KUSTOMIZATION}"


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    print(write_solution(Path(args[0] if args else ".work/01"), overwrite="--overwrite" in sys.argv))
