"""ServiceAccount tokens: bound JWTs issued by TokenRequest (`kubectl create token`) and checked on every request.

The claims are those kube-apiserver writes (iss, sub, aud, exp/iat/nbf, jti and the `kubernetes.io` namespace /
serviceaccount / bound-object block). A real server signs with RS256 and the service-account key; the lab signs
with HS256 and a per-cluster key, which no client checks (they send the token back unchanged).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass

from engine.jsonobj import Obj

ISSUER = "https://kubernetes.default.svc.cluster.local"
DEFAULT_AUDIENCES = (ISSUER,)
DEFAULT_EXPIRATION = 3600
MIN_EXPIRATION = 600
MAX_EXPIRATION = 2 ** 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TokenClaims:
    namespace: str
    name: str
    uid: str
    audiences: tuple[str, ...]
    expires: int
    bound: Obj | None = None


class TokenIssuer:
    """Signs and verifies the lab's ServiceAccount tokens."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)
        self.key_id = _b64(hashlib.sha256(self.key).digest()[:20])
        self._verified: dict[str, TokenClaims] = {}

    def issue(self, namespace: str, name: str, uid: str, *, audiences: tuple[str, ...] = DEFAULT_AUDIENCES,
              expiration: int = DEFAULT_EXPIRATION, bound: Obj | None = None, now: float | None = None) -> tuple[
            str, int]:
        """A signed token and its expiry (seconds since the epoch)."""
        iat = int(now if now is not None else time.time())
        exp = iat + expiration
        k8s: Obj = {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}}
        if bound:
            k8s[bound["kind"].lower()] = {"name": bound["name"], "uid": bound.get("uid", "")}
        claims = {"aud": list(audiences), "exp": exp, "iat": iat, "iss": ISSUER, "jti": str(uuid.uuid4()),
                  "kubernetes.io": k8s, "nbf": iat, "sub": f"system:serviceaccount:{namespace}:{name}"}
        header = {"alg": "HS256", "kid": self.key_id}
        signing = _b64(json.dumps(header, separators=(",", ":")).encode()) + "." + \
            _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self.key, signing.encode(), hashlib.sha256).digest()
        return f"{signing}.{_b64(signature)}", exp

    def verify(self, token: str, *, now: float | None = None) -> TokenClaims | None:
        """The claims of a valid, unexpired token of this issuer; None otherwise (verified tokens are cached)."""
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token)
            if claims is None:
                return None
            if len(self._verified) >= 4096:
                self._verified.clear()
            self._verified[token] = claims
        if claims.expires <= (now if now is not None else time.time()):
            return None
        return claims

    def _verify(self, token: str) -> TokenClaims | None:
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            expected = hmac.new(self.key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                return None
            claims = json.loads(_unb64(parts[1]))
            k8s = claims["kubernetes.io"]
            sa = k8s["serviceaccount"]
            result = TokenClaims(str(k8s["namespace"]), str(sa["name"]), str(sa.get("uid", "")),
                                 tuple(claims.get("aud") or ()), int(claims["exp"]),
                                 next(({"kind": kind.capitalize(), **v} for kind, v in k8s.items()
                                       if kind in ("pod", "secret", "node")), None))
        except (ValueError, KeyError, TypeError):
            return None
        return result
