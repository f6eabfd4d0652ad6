"""CertificateSigningRequest creation records who asked (spec.username/uid/groups/extra), as the CSR strategy does:
whatever the client wrote there is replaced by the requesting user."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..exchange import Request, Target


def stamps(t: Target, req: Request) -> bool:
    return (t.info.group, t.info.plural) == ("certificates.k8s.io", "certificatesigningrequests") and \
        req.method == "POST" and t.name is None


def stamp_requestor(req: Request) -> None:
    """Rewrite a CSR create body with the requesting user in spec (the body is re-sent to the handler as JSON)."""
    from ..exchange import decode_body

    body = decode_body(req)
    if not isinstance(body, dict) or not isinstance(body.get("spec"), dict) or req.user is None:
        return  # the handler reports the malformed body
    spec = body["spec"]
    for key in ("username", "uid", "groups", "extra"):
        spec.pop(key, None)
    spec["username"] = req.user.name
    if req.user.uid:
        spec["uid"] = req.user.uid
    if req.user.groups:
        spec["groups"] = list(req.user.groups)
    if req.user.extra:
        spec["extra"] = {k: list(v) for k, v in req.user.extra}
    body.pop("status", None)
    req.body = json.dumps(body, separators=(",", ":")).encode()
    req.headers["content-type"] = "application/json"
