"""One way for tests to wait: poll a condition until it holds, and fail saying what never happened.

Tests wait for conditions, never for a fixed time, and never assert how long something took (speed lives in
bench/). `timeout` only bounds a failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


def eventually(check: Callable[[], T | None], what: str, timeout: float = 10.0, *, interval: float = 0.02,
               retry_on: tuple[type[BaseException], ...] = ()) -> T:
    """Call `check` until it returns something truthy and return that; fail after `timeout` seconds naming
    `what` and the last value seen. Exceptions of the `retry_on` types count as "not yet"."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
        except retry_on as exc:
            last = exc
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}; last seen: {str(last)[:800]}")
        time.sleep(interval)
