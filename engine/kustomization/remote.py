"""The client a Kustomization applies with: `spec.kubeConfig.secretRef` (another cluster) and
`spec.serviceAccountName` (impersonation), as fluxcd/pkg/runtime/client's Impersonator builds it.

- kubeConfig: the kubeconfig in the Secret's `secretRef.key`, else `value`, else `value.yaml` (same namespace as the
  Kustomization); its current context is the target cluster. `kubeConfig.provider` (aws/azure/gcp workload
  identity) needs a cloud and is not supported by the workshop kit.
- serviceAccountName: every request is made as `system:serviceaccount:<ks namespace>:<name>` (on the remote cluster
  too when both are set); the API server enforces that account's RBAC, so a missing account fails with Forbidden.

Errors are `TargetClientError` with Flux's message (Ready=False, reason ReconciliationFailed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading

from engine.client import ApiError, Client, client_from_kubeconfig, service_account_user
from engine.jsonobj import Obj


class TargetClientError(Exception):
    """The target cluster's client cannot be built (Flux: `ReconciliationFailed`)."""


def must_impersonate(spec: Obj) -> bool:
    """Does the Kustomization apply with another identity or to another cluster?"""
    return spec.get("kubeConfig") is not None or bool(spec.get("serviceAccountName"))


def kubeconfig_from_secret(client: Client, ref: Obj, namespace: str) -> bytes:
    """The kubeconfig bytes of `kubeConfig.secretRef` (raises TargetClientError with Flux's messages)."""
    name = str(ref.get("name") or "")
    where = f"{namespace}/{name}"
    try:
        secret = client.get("v1", "Secret", name, namespace) if name else None
    except ApiError as err:
        raise TargetClientError(f"unable to read KubeConfig secret '{where}' error: {err}") from None
    if secret is None:
        raise TargetClientError(f"unable to read KubeConfig secret '{where}' error: secrets \"{name}\" not found")
    data = secret.get("data") or {}
    key = ref.get("key")
    if key:
        chosen = data.get(key)
        if chosen is None:
            raise TargetClientError(f"KubeConfig secret '{where}' does not contain a '{key}' key with a kubeconfig")
    else:
        chosen = data.get("value") if data.get("value") is not None else data.get("value.yaml")
        if chosen is None:
            raise TargetClientError(f"KubeConfig secret '{where}' does not contain a 'value' key with a kubeconfig")
    try:
        return base64.b64decode(chosen, validate=True)
    except (binascii.Error, ValueError):
        raise TargetClientError(f"KubeConfig secret '{where}' holds data that is not base64") from None


_REMOTE: dict[str, Client] = {}  # one client (connection pool, discovery cache) per kubeconfig document
_REMOTE_LOCK = threading.Lock()
_REMOTE_MAX = 16


def _remote_client(kubeconfig: bytes, request_timeout: float) -> Client:
    key = hashlib.sha256(kubeconfig).hexdigest()
    with _REMOTE_LOCK:
        cached = _REMOTE.get(key)
    if cached is not None:
        return cached
    try:
        made = client_from_kubeconfig(kubeconfig, request_timeout=request_timeout)
    except ValueError as err:
        raise TargetClientError(str(err)) from None
    with _REMOTE_LOCK:
        if len(_REMOTE) >= _REMOTE_MAX:
            _REMOTE.pop(next(iter(_REMOTE)))
        return _REMOTE.setdefault(key, made)


def target_client(client: Client, ks: Obj) -> Client:
    """The client to apply, prune and health-check with: `client` itself unless the Kustomization names a
    kubeConfig or a serviceAccountName."""
    spec = ks.get("spec") or {}
    namespace = str((ks.get("metadata") or {}).get("namespace") or "default")
    target = client
    kubeconfig = spec.get("kubeConfig")
    if kubeconfig is not None:
        if not isinstance(kubeconfig, dict):
            raise TargetClientError("invalid .spec.kubeConfig: expected an object with secretRef")
        if kubeconfig.get("provider") and kubeconfig.get("provider") != "generic":
            raise TargetClientError(f"spec.kubeConfig.provider '{kubeconfig['provider']}' needs a cloud provider's "
                                    "workload identity, which the workshop kit does not support: use "
                                    "spec.kubeConfig.secretRef")
        ref = kubeconfig.get("secretRef")
        if not isinstance(ref, dict):
            raise TargetClientError("invalid .spec.kubeConfig, neither .spec.kubeConfig.provider nor "
                                    ".spec.kubeConfig.secretRef is set")
        target = _remote_client(kubeconfig_from_secret(client, ref, namespace), client.request_timeout)
    account = spec.get("serviceAccountName")
    if account:
        target = target.impersonating(service_account_user(namespace, str(account)))
    return target
