from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import HelmLab


@pytest.fixture
def helm(embedded_cluster: Any, tmp_path: Path) -> Iterator[HelmLab]:
    """An embedded cluster with the Helm CRDs, a namespace `apps` and a HelmRelease reconciler."""
    yield HelmLab(embedded_cluster, tmp_path)
