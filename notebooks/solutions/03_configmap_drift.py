"""Lesson 03 solution: a ConfigMap owned by Git, and its drift corrected.

Run from the notebook with `%run -i solutions/03_configmap_drift.py` (`-i` lets it use the notebook's `lab`),
or `%load` it to read it. It adds apps/web/configmap.yaml (unless there is one), commits and syncs, then
changes the ConfigMap by hand in the cluster and lets the engine put Git's data back.
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
  namespace: default
data:
  GREETING: Hello from Git
"""


def configmap_drift(lab) -> None:  # type: ignore[no-untyped-def]
    path = "apps/web/configmap.yaml"
    if not (lab.repo.path / path).exists():
        lab.repo.write(path, CONFIGMAP)
        print(f"wrote {path}")
    print(lab.commit("Add the web-settings ConfigMap"))
    lab.sync()
    print(lab.manager.last_change_set("web", "flux-system"))
    lab.client.merge_patch("v1", "ConfigMap", "web-settings", "default", {"data": {"GREETING": "changed by hand"}})
    print("patched configmap/web-settings by hand: GREETING=changed by hand")
    lab.manager.sync(drift=True)
    print(lab.manager.last_change_set("web", "flux-system"))
    live = lab.get("v1", "ConfigMap", "web-settings")
    print("GREETING in the cluster:", (live or {}).get("data", {}).get("GREETING"))


if "lab" in globals():
    configmap_drift(globals()["lab"])
else:
    print("run this from lesson 03 with %run -i, after Lab.start(...) created `lab`")
