"""Fixtures: a bootstrapped fake store with the simulation attached (run synchronously)."""

from __future__ import annotations

import pytest

from workshop.cluster.embedded.simulate import Simulation, bootstrap

from .fakestore import FakeStore


@pytest.fixture
def store() -> FakeStore:
    store = FakeStore()
    bootstrap(store)
    return store


@pytest.fixture
def sim(store: FakeStore) -> Simulation:
    simulation = Simulation(store)
    simulation.resync()
    simulation.run_until_idle()
    return simulation
