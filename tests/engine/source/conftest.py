from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kustomization.story import Story, open_story

from workshop.testing import LabNamespaces


@pytest.fixture
def story(lab_cluster: Any, lab_namespaces: LabNamespaces, tmp_path: Path) -> Iterator[Story]:
    """A lab on each cluster backend with the CRDs installed, an empty git remote and a manager (not running)."""
    with open_story(lab_cluster, tmp_path, lab_namespaces) as story:
        yield story
