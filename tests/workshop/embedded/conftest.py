"""Helpers for the embedded API server tests: typed clients and a kubectl runner bound to the test's cluster."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

KUBECTL = shutil.which("kubectl")


@pytest.fixture
def api(embedded_cluster: Any) -> Iterator[Any]:
    """An official-client ApiClient for the test's embedded cluster."""
    client = embedded_cluster.api_client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def http(embedded_cluster: Any) -> Iterator[Any]:
    """A requests Session for raw calls to the test's cluster (trusts its CA, presents the admin certificate)."""
    with embedded_cluster.http_session() as session:
        yield session


@pytest.fixture
def kubectl(embedded_cluster: Any, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run kubectl against the test's cluster: kubectl("get", "ns", input=..., check=True)."""
    if KUBECTL is None:
        pytest.skip("kubectl is not installed on this machine")
    env = {**os.environ, "KUBECONFIG": str(embedded_cluster.kubeconfig_path), "HOME": str(tmp_path)}
    cache = tmp_path / "kube-cache"

    def run(*args: str, input: str | None = None, check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([KUBECTL, f"--cache-dir={cache}", *args], input=input, capture_output=True,
                              text=True, env=env, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}{proc.stdout}")
        return proc

    return run
