"""Lesson 05 solution: pin production to patch releases of 1.1.

Run from the notebook with `%run -i solutions/05_pin_patch_releases.py` (`-i` lets it use the notebook's `lab`),
or `%load` it to read it. The ImagePolicy lives in Git, in apps/web-policy.yaml: the solution writes it again with
`gitops create image policy ... --export` and the range `~1.1` (the same as `>=1.1.0 <1.2.0`), commits, and syncs,
as you would in a terminal. If the file already pins 1.1 patches, it commits nothing.
"""

import subprocess

import yaml

RANGE = "~1.1"
POLICY_FILE = "apps/web-policy.yaml"


def pin_patch_releases(lab) -> None:  # type: ignore[no-untyped-def]
    policy = yaml.safe_load(lab.repo.read(POLICY_FILE)) or {}
    current = ((policy.get("spec") or {}).get("policy") or {}).get("semver", {}).get("range")
    if current in (RANGE, ">=1.1.0 <1.2.0"):
        print(f"{POLICY_FILE} already pins 1.1 patches ({current!r})")
    else:
        cmd = ["gitops", "create", "image", "policy", "web", "--image-ref=web", f"--select-semver={RANGE}", "--export"]
        print("$", " ".join(cmd), ">", POLICY_FILE)
        lab.repo.write(POLICY_FILE, subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        print(lab.commit(f"Pin web to 1.1 patch releases ({RANGE})"))
    lab.sync()
    live = lab.get("image.toolkit.fluxcd.io/v1", "ImagePolicy", "web", "flux-system")
    print("ImagePolicy flux-system/web in the cluster: semver range", repr(live["spec"]["policy"]["semver"]["range"]))


if "lab" in globals():
    pin_patch_releases(globals()["lab"])
else:
    print("run this from lesson 05 with %run -i, after Lab.start(...) created `lab`")
