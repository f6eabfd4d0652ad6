"""engine.api.poll.poll_until: the one waiter (stage waits, health checks, deletions), on a fake clock."""

from __future__ import annotations

from engine.api.poll import poll_until


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_returns_the_value_that_met_the_predicate() -> None:
    clock, values = FakeClock(), iter([1, 2, 3, 4])
    polled = poll_until(lambda: next(values), lambda v: v >= 3, timeout=10, interval=1, clock=clock,
                        sleep=clock.sleep)
    assert (polled.met, polled.value, polled.elapsed) == (True, 3, 2.0)


def test_times_out_with_the_last_value() -> None:
    clock = FakeClock()
    polled = poll_until(lambda: "pending", lambda v: v == "done", timeout=3, interval=1, clock=clock,
                        sleep=clock.sleep)
    assert (polled.met, polled.value, polled.elapsed) == (False, "pending", 3.0)


def test_probes_once_with_a_zero_timeout_and_stops_when_cancelled() -> None:
    clock, calls = FakeClock(), []
    poll_until(lambda: calls.append(1), lambda _: False, timeout=0, clock=clock, sleep=clock.sleep)
    assert calls == [1]
    polled = poll_until(lambda: 0, lambda _: False, timeout=100, interval=1, clock=clock, sleep=clock.sleep,
                        cancelled=lambda: clock.now >= clock.now)
    assert not polled.met and polled.elapsed == 0.0


def test_the_pause_grows_up_to_max_interval() -> None:
    clock, pauses = FakeClock(), []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock.sleep(seconds)

    poll_until(lambda: 0, lambda _: False, timeout=5, interval=0.1, max_interval=0.3, clock=clock, sleep=sleep)
    assert pauses[:4] == [0.1, 0.15000000000000002, 0.22500000000000003, 0.3] and set(pauses[4:]) == {0.3}
