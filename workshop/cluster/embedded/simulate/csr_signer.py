"""kube-controller-manager's CSR signer: an approved CertificateSigningRequest for one of the built-in client
signers gets `status.certificate`, issued by the lab cluster's CA (only when the lab serves TLS)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import TYPE_CHECKING

from workshop.cluster.embedded.api import GVR, StoreError, WatchEvent

from .core import Context

if TYPE_CHECKING:
    from workshop.cluster.embedded.tls import LabPKI

CSRS = GVR("certificates.k8s.io", "v1", "certificatesigningrequests")
SIGNERS = ("kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet")


class CSRSigner:
    """Signs approved client-certificate requests with the cluster CA."""

    name = "csrsigning"

    def __init__(self, pki: LabPKI) -> None:
        self.pki = pki

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        if event.gvr.group == CSRS.group and event.gvr.resource == CSRS.resource and event.type != "DELETED":
            yield None, event.obj["metadata"]["name"]

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        from workshop.cluster.embedded.tls import sign_request

        csr = ctx.store.get(CSRS, None, name)
        if csr is None:
            return
        spec, status = csr.get("spec") or {}, dict(csr.get("status") or {})
        conditions = status.get("conditions") or []
        types = {c.get("type") for c in conditions if isinstance(c, dict) and c.get("status", "True") == "True"}
        if "Approved" not in types or types & {"Denied", "Failed"} or status.get("certificate"):
            return
        if spec.get("signerName") not in SIGNERS:
            return  # another signer's request: not this controller's to sign
        try:
            request = base64.b64decode(spec.get("request") or "")
            cert = sign_request(self.pki, request, list(spec.get("usages") or []), spec.get("expirationSeconds"))
            status["certificate"] = base64.b64encode(cert).decode()
        except (ValueError, TypeError) as err:
            status["conditions"] = [*conditions, {
                "type": "Failed", "status": "True", "reason": "SignerValidationFailure",
                "message": f"invalid certificate request: {err}", "lastUpdateTime": ctx.clock.stamp(),
                "lastTransitionTime": ctx.clock.stamp()}]
        try:
            ctx.store.update(CSRS, {**csr, "status": status}, subresource="status")
        except StoreError as err:
            if err.code == 409:
                ctx.enqueue((self.name, None, name))
            elif err.code != 404:
                raise
