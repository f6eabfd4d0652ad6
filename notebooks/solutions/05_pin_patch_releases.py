"""Lesson 05 solution: pin production to patch releases of 1.1.

Run from the notebook with `%run -i solutions/05_pin_patch_releases.py` (`-i` lets it use the notebook's `lab`),
or `%load` it to read it. It sets the ImagePolicy `flux-system/web` range to `~1.1` (the same as
`>=1.1.0 <1.2.0`); if the range already pins 1.1 patches, it changes nothing.
"""

RANGE = "~1.1"


def pin_patch_releases(lab) -> None:  # type: ignore[no-untyped-def]
    api, kind, name, ns = "image.toolkit.fluxcd.io/v1", "ImagePolicy", "web", "flux-system"
    policy = lab.get(api, kind, name, ns)
    current = policy["spec"]["policy"].get("semver", {}).get("range")
    if current in (RANGE, ">=1.1.0 <1.2.0"):
        print(f"ImagePolicy {ns}/{name} already pins 1.1 patches ({current!r})")
        return
    lab.client.merge_patch(api, kind, name, ns, {"spec": {"policy": {"semver": {"range": RANGE}}}})
    print(f"ImagePolicy {ns}/{name}: semver range {current!r} -> {RANGE!r}")


if "lab" in globals():
    pin_patch_releases(globals()["lab"])
else:
    print("run this from lesson 05 with %run -i, after Lab.start(...) created `lab`")
