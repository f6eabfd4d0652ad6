"""Kustomization `spec.decryption` (SOPS) as kustomize-controller reports it — the workshop kit decrypts nothing.

Flux imports the keys of `decryption.secretRef` (age, PGP, Vault token, cloud KMS credentials) before the build
and decrypts every SOPS-encrypted resource after it. The kit has no SOPS implementation, so:
- `decryption.serviceAccountName` fails as Flux does without its feature gate (Stalled, FeatureGateDisabled);
- a missing `decryption.secretRef` Secret fails the build with Flux's message (`secrets "<name>" not found`);
- an encrypted resource fails the build with Flux's `decryption failed for …` prefix and a cause that says what
  the kit supports; resources without SOPS metadata (or with `kustomize.toolkit.fluxcd.io/decrypt: disabled`)
  build as usual.
"""

from __future__ import annotations

from engine import reasons
from engine.api.reconcile import ReconcileError
from engine.client import Client
from engine.jsonobj import Obj
from engine.kustomize.resid import Gvk

GATE = "ObjectLevelWorkloadIdentity"
UNSUPPORTED = ("the workshop kit cannot decrypt SOPS data (no age, PGP, Vault or KMS support); commit lab Secrets "
               "unencrypted or create them with kubectl")


def _decryption(obj: Obj) -> Obj | None:
    value = (obj.get("spec") or {}).get("decryption")
    return value if isinstance(value, dict) and value.get("provider") else None


def check_keys(client: Client, obj: Obj) -> None:
    """Before the build: the feature gate of decryption.serviceAccountName and the key Secret."""
    decryption = _decryption(obj)
    if decryption is None:
        return
    if decryption.get("serviceAccountName"):
        raise ReconcileError(reasons.FEATURE_GATE_DISABLED, "to use spec.decryption.serviceAccountName for "
                             f"decryption authentication please enable the {GATE} feature gate in the controller",
                             stalled=True)
    name = (decryption.get("secretRef") or {}).get("name")
    namespace = (obj.get("metadata") or {}).get("namespace", "default")
    if name and client.get("v1", "Secret", str(name), namespace) is None:
        raise ReconcileError(reasons.BUILD_FAILED, f'secrets "{name}" not found')


def is_encrypted(res: Obj) -> bool:
    """A resource carrying SOPS metadata (`sops.mac`) whose decryption is not disabled."""
    sops = res.get("sops")
    annotations = (res.get("metadata") or {}).get("annotations") or {}
    return isinstance(sops, dict) and "mac" in sops and \
        str(annotations.get("kustomize.toolkit.fluxcd.io/decrypt") or "").lower() != "disabled"


def decrypt(obj: Obj, objects: list[Obj]) -> None:
    """After the build: with decryption configured, an encrypted resource is a build failure (nothing decrypted)."""
    if _decryption(obj) is None:
        return
    for res in objects:
        if is_encrypted(res):
            group, _, version = str(res.get("apiVersion", "")).rpartition("/")
            meta = res.get("metadata") or {}
            gvk = Gvk(group, version, str(res.get("kind", "")))
            raise ReconcileError(reasons.BUILD_FAILED, f"decryption failed for '{gvk}/{meta.get('name', '')}': "
                                 f"failed to decrypt and format '{meta.get('namespace', '')}/{meta.get('name', '')}' "
                                 f"{res.get('kind', '')} data: {UNSUPPORTED}")
