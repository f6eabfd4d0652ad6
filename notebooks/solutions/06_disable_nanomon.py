"""Lesson 06 solution: disable nanomon through Git.

Run from the notebook with `%run -i solutions/06_disable_nanomon.py` (`-i` lets it use the notebook's `lab`),
or `%load` it to read it. It removes gitops/apps/nanomon from the lab repo and commits; if you did that
already, it changes nothing. The next `lab.sync()` prunes the nanomon objects from the cluster.
"""


def disable_nanomon(lab) -> None:  # type: ignore[no-untyped-def]
    folder = "gitops/apps/nanomon"
    if (lab.repo.path / folder).exists():
        lab.repo.remove(folder)
        print(f"removed {folder}")
    else:
        print(f"{folder} is already gone")
    print(lab.commit("Disable nanomon"))


if "lab" in globals():
    disable_nanomon(globals()["lab"])
else:
    print("run this from lesson 06 with %run -i, after Lab.start(...) created `lab`")
