"""Observe a HelmRelease's Helm release and name its state (helm-controller's DetermineReleaseState): the first half of the state machine.

Absent → install, Unmanaged → upgrade (adopt), OutOfSync → upgrade, Drifted → correct, Locked → unlock,
Untested → test, Failed → remediate (or retry), InSync → nothing. `engine.helm.actions.next_action` is the
other half.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.helm import history as hist
from engine.helm.storage import (
    PENDING,
    STATUS_DEPLOYED,
    STATUS_FAILED,
    STATUS_SUPERSEDED,
    STATUS_UNINSTALLED,
    Release,
)
from engine.jsonobj import Obj


class State(enum.Enum):
    ABSENT = "Absent"
    UNMANAGED = "Unmanaged"
    OUT_OF_SYNC = "OutOfSync"
    DRIFTED = "Drifted"
    LOCKED = "Locked"
    UNTESTED = "Untested"
    IN_SYNC = "InSync"
    FAILED = "Failed"


class StateError(Exception):
    """The stored release has a status the controller cannot act on (e.g. `uninstalling`)."""


@dataclass(frozen=True)
class Desired:
    """What the release should be: the loaded chart, the values' digest and what post-rendering changed."""

    chart_name: str
    chart_version: str
    config_digest: str
    post_render_changed: bool = False
    test_enabled: bool = False
    ignore_test_failures: bool = False
    drift_mode: str = "disabled"


@dataclass(frozen=True)
class Observed:
    """A release state, why, and the stored release it was read from (None when absent)."""

    state: State
    reason: str
    release: Release | None = None
    drift: Any = None

    def __str__(self) -> str:
        return f"{self.state.value}: {self.reason}"


def observe(latest: Release | None, history: list[Obj], desired: Desired,
            drift_of: Callable[[Release], Any] | None = None) -> Observed:
    """The state of the release, in helm-controller's order of checks."""
    if latest is None:
        return Observed(State.ABSENT, "no release in storage for object")
    if latest.status in PENDING:
        return Observed(State.LOCKED, f"release locked in '{latest.status}' state", latest)
    if not history:
        if latest.status == STATUS_UNINSTALLED:
            return Observed(State.ABSENT, "found uninstalled release in storage", latest)
        return Observed(State.UNMANAGED, "found existing release in storage", latest)
    current = history[0]
    if (current.get("name"), current.get("namespace"), int(current.get("version", 0))) != \
            (latest.name, latest.namespace, latest.version) or current.get("digest") != latest.digest:
        return Observed(State.UNMANAGED, "release digest does not match the last recorded release", latest)
    if latest.status == STATUS_FAILED:
        return Observed(State.FAILED, "release is in a failed state", latest)
    if latest.status == STATUS_UNINSTALLED:
        return Observed(State.ABSENT, "found uninstalled release in storage", latest)
    if latest.status not in (STATUS_DEPLOYED, STATUS_SUPERSEDED):
        raise StateError(f"unable to determine state for release with status '{latest.status}'")
    if (latest.chart_name, latest.chart_version) != (desired.chart_name, desired.chart_version):
        return Observed(State.OUT_OF_SYNC, "release chart changed", latest)
    if current.get("configDigest") != desired.config_digest:
        return Observed(State.OUT_OF_SYNC, "release config values changed", latest)
    if desired.post_render_changed:
        return Observed(State.OUT_OF_SYNC, "release post-renderers or common metadata changed", latest)
    if desired.test_enabled and not hist.has_been_tested(current):
        return Observed(State.UNTESTED, "release has not been tested", latest)
    if desired.test_enabled and not desired.ignore_test_failures and hist.has_test_failures(current):
        return Observed(State.FAILED, "release has test failures", latest)
    if desired.drift_mode in ("enabled", "warn") and drift_of is not None:
        drift = drift_of(latest)
        if drift:
            return Observed(State.DRIFTED, "release has drifted from the desired state", latest, drift)
    return Observed(State.IN_SYNC, "release in sync with desired state", latest)
