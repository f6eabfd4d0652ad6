"""source-controller's storage step, shared by every source kind: old artifacts are garbage-collected and the
one the status advertises must still be on disk with its digest."""

from __future__ import annotations

from typing import Any

from engine import reasons
from engine.api import conditions as c
from engine.api.reconcile import PhasedReconciler, Run
from engine.events import WARNING
from engine.source.artifact import Storage


def check_stored_artifact(reconciler: PhasedReconciler[Any], run: Run, storage: Storage, kind: str,
                          namespace: str, name: str) -> str | None:
    """Keep only the advertised artifact of `kind` namespace/name; when it is gone or corrupt (a Warning event
    for a digest mismatch, as Flux sends) drop it from the status so the source builds it again. Returns the
    problem (`missing`, `digest mismatch`) or None."""
    artifact = run.status.get("artifact")
    storage.garbage_collect(kind, namespace, name, artifact.get("path") if artifact else None)
    if not artifact:
        return None
    problem = storage.verify(artifact)
    if problem:
        if problem == "digest mismatch":
            reconciler.event(run, WARNING, reasons.ARTIFACT_VERIFICATION_FAILED,
                             f"failed to verify integrity of artifact: digest mismatch for '{artifact['path']}'")
        run.status.pop("artifact", None)
    return problem


def reconcile_storage(reconciler: PhasedReconciler[Any], run: Run, storage: Storage, kind: str, namespace: str,
                      name: str, *, stored: str, missing: str) -> None:
    """The Helm sources' storage phase (source-controller's reconcileStorage): check the stored artifact; when there
    is none (any more), drop the status URL and ArtifactInStorage and say "building artifact" at once. `stored`
    names what is stored (index, chart) and `missing` what happens when it is gone."""
    gone = check_stored_artifact(reconciler, run, storage, kind, namespace, name) is not None
    if gone:
        run.status.pop("url", None)
    if run.status.get("artifact") is None:
        reconciler.progressing(run, "building artifact" + (": disappeared from storage" if gone else ""))
        c.delete_condition(run.obj, c.ARTIFACT_IN_STORAGE)
        reconciler.patch_status(run)
        run.did(f"stored {stored} missing: {missing}" if gone else "no artifact yet")
    else:
        run.did(f"stored {stored} present and verified")
