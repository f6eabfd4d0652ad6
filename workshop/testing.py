"""pytest plugin: fixtures that give each test a lab cluster, the way pytest-kind does for kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def embedded_cluster(tmp_path: Path) -> Iterator[object]:
    """A fresh embedded Kubernetes API server for one test (fast: no Docker)."""
    from workshop.cluster.embedded import EmbeddedCluster

    cluster = EmbeddedCluster(name="test", workdir=tmp_path / "cluster")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
