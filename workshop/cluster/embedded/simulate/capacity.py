"""How many pods the workload controllers create at once, and the lab's guard against runaway replica counts.

Like kube-controller-manager, a controller creates at most `BURST_REPLICAS` (500) pods per sync, in slow-start
batches of 1, 2, 4, … that stop after the first batch with a failure (so a refused pod costs one request, not
500). The lab adds one limit a real cluster does not have: past `POD_LIMIT_PER_NAMESPACE` pods in a namespace
the controllers stop creating pods and record a `FailedCreate` Warning that says why, so a typo such as
`replicas: 2147483647` cannot exhaust the learner's machine. (A real cluster would create the pods and leave
them Pending; the node's capacity of 110 pods still applies on top, as on kind.)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from workshop.cluster.embedded.api import Obj, ObjectStore

from .common import PODS
from .core import Context

#: kube-controller-manager's burstReplicas: pods created or deleted per sync of one controller
BURST_REPLICAS = 500
#: the lab's guard (not a Kubernetes limit); $WORKSHOP_LAB_POD_LIMIT overrides it
POD_LIMIT_PER_NAMESPACE = 2000


def pod_limit() -> int:
    """Pods the controllers create per namespace at most ($WORKSHOP_LAB_POD_LIMIT, default 2000)."""
    try:
        return max(1, int(os.environ.get("WORKSHOP_LAB_POD_LIMIT", POD_LIMIT_PER_NAMESPACE)))
    except ValueError:
        return POD_LIMIT_PER_NAMESPACE


def slow_start_batches(count: int, initial: int = 1) -> Iterator[int]:
    """Batch sizes 1, 2, 4, … adding up to count (controller.slowStartBatch)."""
    size = min(initial, count)
    remaining = count
    while remaining > 0 and size > 0:
        yield size
        remaining -= size
        size = min(2 * size, remaining)


def count_pods(store: ObjectStore, namespace: str) -> int:
    """Pods stored in a namespace, counted without copying them (the predicate keeps none)."""
    seen = 0

    def tally(_pod: Obj) -> bool:
        nonlocal seen
        seen += 1
        return False

    store.list(PODS, namespace, where=tally)
    return seen


def guard_message(namespace: str, limit: int) -> str:
    return (f"the lab cluster creates at most {limit} pods per namespace and namespace {namespace!r} has "
            f"reached it (a guard of the workshop kit against runaway replica counts, not a Kubernetes limit; "
            "lower the replica count or set WORKSHOP_LAB_POD_LIMIT)")


def create_in_batches(ctx: Context, owner: Obj, wanted: int, create: Callable[[], Obj | None],
                      failure: Callable[[str], None]) -> int:
    """Create up to min(wanted, BURST_REPLICAS) pods with `create` (None = refused) in slow-start batches,
    stopping after a batch with a refusal or at the lab's per-namespace guard (reported through `failure`).
    Returns the number created."""
    namespace = owner["metadata"]["namespace"]
    limit = pod_limit()
    room = limit - count_pods(ctx.store, namespace)
    made = 0
    for batch in slow_start_batches(min(wanted, BURST_REPLICAS)):
        refused = False
        for _ in range(batch):
            if room <= 0:
                failure(guard_message(namespace, limit))
                return made
            if create() is None:
                refused = True
                continue
            made += 1
            room -= 1
        if refused:
            break
    return made
