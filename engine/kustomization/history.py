"""`status.history` as kustomize-controller (≥ v1.7) writes it (fluxcd/pkg/apis/meta History.Upsert).

One snapshot per (build digest, Ready reason), newest first, at most five: `{digest, firstReconciled,
lastReconciled, lastReconciledDuration, lastReconciledStatus, totalReconciliations, metadata: {revision}}`.
"""

from __future__ import annotations

from engine.api.conditions import now_rfc3339
from engine.api.duration import format_duration
from engine.jsonobj import Obj

HISTORY_MAX = 5


def upsert_history(status: Obj, digest: str, *, duration: float, reason: str,
                   metadata: dict[str, str] | None = None, now: str | None = None) -> None:
    """Record one reconcile of the build `digest` that ended with Ready `reason` in `status["history"]`."""
    now = now or now_rfc3339()
    history = [dict(h) for h in status.get("history") or [] if isinstance(h, dict)]
    took = format_duration(round(duration, 6))
    for i, snap in enumerate(history):
        if snap.get("digest") == digest and snap.get("lastReconciledStatus") == reason:
            snap.update(lastReconciled=now, lastReconciledDuration=took,
                        totalReconciliations=int(snap.get("totalReconciliations") or 0) + 1)
            if metadata:
                snap["metadata"] = dict(metadata)
            history.insert(0, history.pop(i))
            break
    else:
        snap = {"digest": digest, "firstReconciled": now, "lastReconciled": now, "lastReconciledDuration": took,
                "lastReconciledStatus": reason, "totalReconciliations": 1}
        if metadata:
            snap["metadata"] = dict(metadata)
        history.insert(0, snap)
    status["history"] = history[:HISTORY_MAX]
