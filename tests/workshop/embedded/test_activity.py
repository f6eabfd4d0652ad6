"""The simulated controllers give way to API requests being handled (workshop/cluster/embedded/activity.py)."""

from __future__ import annotations

import threading

from tests.waiting import eventually
from workshop.cluster.embedded.activity import RequestActivity
from workshop.cluster.embedded.simulate import Simulation


def _waiter(activity: RequestActivity, **kwargs: float) -> threading.Event:
    done = threading.Event()

    def wait() -> None:
        activity.wait_quiet(**kwargs)
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done


def test_an_idle_api_does_not_hold_background_work_up() -> None:
    activity = RequestActivity()
    assert eventually(_waiter(activity, quiet=0.0, limit=60).is_set, "wait_quiet() on an idle API to return")


def test_background_work_waits_for_the_request_being_handled() -> None:
    activity = RequestActivity()
    release, entered = threading.Event(), threading.Event()

    def request() -> None:
        with activity.handling():
            entered.set()
            release.wait(60)

    threading.Thread(target=request, daemon=True).start()
    entered.wait(10)
    done = _waiter(activity, quiet=0.0, limit=60)
    assert not done.wait(0.2), "wait_quiet() returned while a request was being handled"
    release.set()
    assert eventually(done.is_set, "wait_quiet() to return once the request was answered")


def test_a_steady_stream_of_requests_delays_background_work_but_never_stops_it() -> None:
    activity = RequestActivity()
    release = threading.Event()

    def request() -> None:
        with activity.handling():
            release.wait(60)

    threading.Thread(target=request, daemon=True).start()
    try:
        assert eventually(_waiter(activity, quiet=0.0, limit=0.05).is_set, "wait_quiet() to give up after its limit")
    finally:
        release.set()


def test_the_lab_clusters_simulation_gives_way_to_its_api_server(embedded_cluster) -> None:
    simulation = embedded_cluster.simulation
    assert isinstance(simulation, Simulation)
    assert simulation.give_way == embedded_cluster._http.api.activity.wait_quiet
