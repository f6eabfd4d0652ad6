"""Where the engine keeps its state on disk: one data folder holding artifacts and one log file per cluster.

`$GITOPS_DATA_DIR` when set (a lab sets it to its own folder), else `$XDG_DATA_HOME/gitops-workshop`
(`~/.local/share/gitops-workshop`). The CLI, the manager and the workshop's lab all ask here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


def data_root() -> Path:
    """The folder the engine keeps its state in (artifacts, logs)."""
    base = os.environ.get("GITOPS_DATA_DIR") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "gitops-workshop")
    return Path(base)


def artifacts_root(root: Path | None = None) -> Path:
    """Where source artifacts are stored: `<data root>/artifacts`."""
    return (root or data_root()) / "artifacts"


def cluster_slug(server: str) -> str:
    """`https://127.0.0.1:6443` -> `127.0.0.1-6443`: a file name naming the API server."""
    bare = re.sub(r"^[a-z]+://", "", server.strip().lower()).rstrip("/")
    return re.sub(r"[^a-z0-9.]+", "-", bare).strip("-") or "cluster"


def log_file(server: str, root: Path | None = None) -> Path:
    """The JSON-lines log of the engine for the cluster at `server`, which `gitops logs` reads."""
    return (root or data_root()) / "logs" / f"{cluster_slug(server)}.jsonl"
