from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kustomization.story import Story


@pytest.fixture
def story(embedded_cluster: Any, tmp_path: Path) -> Story:
    """A lab with the CRDs installed, an empty git remote and a manager (not running)."""
    return Story(embedded_cluster, tmp_path)
