"""Users as the API server sees them: a name, a uid, groups and extra attributes (authentication.k8s.io UserInfo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SA_PREFIX = "system:serviceaccount:"
MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"


@dataclass(frozen=True)
class UserInfo:
    """An authenticated (or anonymous) user; frozen so it can key the authorizer's cache."""

    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @property
    def privileged(self) -> bool:
        """Members of system:masters may do anything (kube-apiserver's privileged-group authorizer)."""
        return MASTERS in self.groups

    def to_json(self) -> dict[str, Any]:
        """The authentication.k8s.io/v1 UserInfo form."""
        out: dict[str, Any] = {"username": self.name}
        if self.uid:
            out["uid"] = self.uid
        if self.groups:
            out["groups"] = list(self.groups)
        if self.extra:
            out["extra"] = {k: list(v) for k, v in self.extra}
        return out


#: the lab's own user, as in kind's kubeconfig (client certificate CN=kubernetes-admin, O=system:masters)
LAB_ADMIN = UserInfo("kubernetes-admin", (MASTERS, AUTHENTICATED))
ANONYMOUS_USER = UserInfo(ANONYMOUS, (UNAUTHENTICATED,))


def service_account_user(namespace: str, name: str, uid: str = "") -> UserInfo:
    """A ServiceAccount's user: `system:serviceaccount:<ns>:<name>` in its groups, as the token authenticator says."""
    return UserInfo(f"{SA_PREFIX}{namespace}:{name}",
                    ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED), uid)


def split_service_account(username: str) -> tuple[str, str] | None:
    """(namespace, name) of a ServiceAccount username, or None."""
    if not username.startswith(SA_PREFIX):
        return None
    ns, _, name = username[len(SA_PREFIX):].partition(":")
    return (ns, name) if ns and name and ":" not in name else None
