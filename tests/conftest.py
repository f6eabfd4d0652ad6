"""Shared pytest configuration: the lab-cluster fixtures come from workshop.testing."""

from pathlib import Path

import pytest

pytest_plugins = ["workshop.testing", "pytester"]


def pytest_configure(config: pytest.Config) -> None:
    """Resolve nbval's sanitizer file against the repo root, so pytest works from any directory."""
    sanitize = getattr(config.option, "nbval_sanitize_with", None)
    if sanitize and not Path(sanitize).is_absolute():
        config.option.nbval_sanitize_with = str(config.rootpath / sanitize)
