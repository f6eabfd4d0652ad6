"""GitRepository `spec.verify`: source-controller's failures, since the workshop kit verifies no signatures.

Flux checks the PGP (`*.asc`) or SSH (`*.sshpub`) signature of the HEAD commit and/or the tag against the keys
in `spec.verify.secretRef`, marking `SourceVerified` and refusing to store an unverified artifact. The kit has no
OpenPGP/SSH-signature verifier: a missing Secret fails exactly as in Flux (`VerificationError`,
`public keys secret error: …`); otherwise the verification fails with a message that says so, so a repository
with `verify` never produces an artifact that looks verified.
"""

from __future__ import annotations

from engine import reasons
from engine.api import conditions as c
from engine.api.reconcile import ReconcileError
from engine.client import Client
from engine.jsonobj import Obj

UNSUPPORTED = ("the workshop kit cannot verify PGP or SSH signatures; remove spec.verify to use this repository "
               "in the lab (Flux verifies it)")


def _fail(obj: Obj, reason: str, message: str, *, stalled: bool = False) -> ReconcileError:
    c.mark_false(obj, c.SOURCE_VERIFIED, reason, message)
    return ReconcileError(reason, message, stalled=stalled)


def verify_source(client: Client, obj: Obj, commit: str, tag: str | None) -> None:
    """Check `spec.verify` for the checked-out `commit` (and `tag` when the ref is a tag). No verify: the
    SourceVerified condition and status.sourceVerificationMode are dropped. Raises ReconcileError otherwise."""
    spec = obj.get("spec") or {}
    status = obj.setdefault("status", {})
    verify = spec.get("verify")
    if not isinstance(verify, dict) or not verify.get("mode"):
        status.pop("sourceVerificationMode", None)
        c.delete_condition(obj, c.SOURCE_VERIFIED)
        return
    namespace = (obj.get("metadata") or {}).get("namespace", "default")
    name = str((verify.get("secretRef") or {}).get("name") or "")
    if not name or client.get("v1", "Secret", name, namespace) is None:
        raise _fail(obj, reasons.VERIFICATION_ERROR, f"public keys secret error: secrets \"{name}\" not found")
    mode = str(verify["mode"])
    if mode in ("Tag", "TagAndHEAD") and tag is None:
        raise _fail(obj, reasons.INVALID_VERIFICATION_MODE,
                    "cannot verify tag object's signature if a tag reference is not specified", stalled=True)
    subject = f"tag '{tag}'" if mode == "Tag" else f"commit '{commit}'"
    raise _fail(obj, reasons.VERIFICATION_ERROR, f"signature verification of {subject} failed: {UNSUPPORTED}")
