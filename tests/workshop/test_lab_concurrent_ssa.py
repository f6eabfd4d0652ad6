"""A lab runs the engine's dry-runs one at a time when its API server is in the same process (they would only
wait for its interpreter lock), and with flux's --concurrent-ssa default (4) against any other cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.kustomization.apply import DEFAULT_CONCURRENT_SSA
from engine.manager import Manager
from workshop.cluster.kubeconfig import KubeconfigCluster
from workshop.lab import _new_manager


def _applier_concurrency(manager: Manager) -> int:
    return manager.reconciler("Kustomization").applier.concurrency  # type: ignore[attr-defined, no-any-return]


def test_beside_the_embedded_cluster_one_dry_run_is_in_flight(embedded_cluster: Any, tmp_path: Path) -> None:
    assert embedded_cluster.in_process
    assert _applier_concurrency(_new_manager(embedded_cluster, tmp_path)) == 1


def test_another_cluster_gets_fluxs_default(embedded_cluster: Any, tmp_path: Path) -> None:
    other = KubeconfigCluster("elsewhere", kubeconfig=embedded_cluster.kubeconfig_path)
    assert not other.in_process
    assert _applier_concurrency(_new_manager(other, tmp_path)) == DEFAULT_CONCURRENT_SSA == 4


def test_the_manager_passes_concurrent_ssa_to_the_kustomization_controller(embedded_cluster: Any,
                                                                           tmp_path: Path) -> None:
    manager = Manager(embedded_cluster.api_client(), storage_dir=tmp_path, concurrent_ssa=2)
    assert _applier_concurrency(manager) == 2
