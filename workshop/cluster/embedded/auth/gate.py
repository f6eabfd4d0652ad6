"""The request gate: authenticate (client certificate, ServiceAccount bearer token, or the insecure listener's lab
user), apply Impersonate-* headers when the requester may impersonate, then authorize with RBAC; 401 and 403 as
`Status` bodies with kube-apiserver's messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from .rbac import Decision, RBACAuthorizer
from .requestinfo import Attributes, request_attributes
from .tokens import TokenIssuer
from .users import (
    ANONYMOUS,
    ANONYMOUS_USER,
    AUTHENTICATED,
    LAB_ADMIN,
    UNAUTHENTICATED,
    UserInfo,
    split_service_account,
)

if TYPE_CHECKING:
    from ..exchange import Request
    from ..store import Store
    from ..tls import LabPKI


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden_message(user: UserInfo, a: Attributes) -> str:
    """kube-apiserver's `forbiddenMessage` for the attributes a user was denied."""
    if not a.resource_request:
        return f'User "{user.name}" cannot {a.verb} path "{a.path}"'
    where = f'in the namespace "{a.namespace}"' if a.namespace else "at the cluster scope"
    return f'User "{user.name}" cannot {a.verb} resource "{a.combined_resource}" in API group "{a.api_group}" {where}'


def forbidden(user: UserInfo, a: Attributes, reason: str = "") -> ApiError:
    """403 Forbidden as NewForbidden writes it: `<resource>[.<group>] ["name"] is forbidden: User ... cannot ...`."""
    text = forbidden_message(user, a) + (f": {reason}" if reason else "")
    if not a.resource_request and not a.resource:
        return ApiError(403, "Forbidden", f"forbidden: {text}", {})
    qualified = f"{a.resource}.{a.api_group}" if a.api_group else a.resource
    subject = f'{qualified} "{a.name}"' if a.name else qualified
    details: dict[str, Any] = {}
    if a.name:
        details["name"] = a.name
    if a.api_group:
        details["group"] = a.api_group
    details["kind"] = a.resource
    return ApiError(403, "Forbidden", f"{subject} is forbidden: {text}", details)


class AuthGate:
    """Authentication, impersonation and authorization for one API server."""

    def __init__(self, store: Store, *, insecure: bool = True, issuer: TokenIssuer | None = None) -> None:
        self.store = store
        #: on the plain-HTTP listener a request without credentials is the lab's own user (cluster-admin);
        #: with TLS it is system:anonymous, as on a real server
        self.insecure = insecure
        self.issuer = issuer or TokenIssuer()
        self.rbac = RBACAuthorizer(store)

    def use_pki(self, pki: LabPKI) -> None:
        """Serve behind TLS: requests without credentials are anonymous; tokens signed with the lab's key."""
        self.insecure = False
        self.issuer = TokenIssuer(pki.service_account_key.read_bytes())

    # ------------------------------------------------------------------ authentication

    def authenticate(self, req: Request) -> UserInfo:
        """Who sent the request; 401 for a bearer token this server did not issue (or that expired)."""
        header = req.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            user = self.user_for_token(header[7:].strip())
            if user is None:
                raise unauthorized()
            return user
        if req.user is not None:
            return req.user  # type: ignore[no-any-return]
        return LAB_ADMIN if self.insecure else ANONYMOUS_USER

    def user_for_token(self, token: str) -> UserInfo | None:
        """The ServiceAccount a valid token belongs to, while that ServiceAccount (and bound object) exists."""
        from .users import service_account_user

        claims = self.issuer.verify(token)
        if claims is None:
            return None
        sa_info = self.store.registry.find("", "v1", "serviceaccounts")
        sa = None if sa_info is None else self.store.find(sa_info, claims.namespace, claims.name)
        if sa is None or (claims.uid and sa["metadata"].get("uid") != claims.uid):
            return None
        if claims.bound and claims.bound.get("uid"):
            if self.store.by_uid(str(claims.bound["uid"])) is None:
                return None
        return service_account_user(claims.namespace, claims.name, str(sa["metadata"].get("uid", "")))

    # ------------------------------------------------------------------ impersonation

    def impersonate(self, req: Request, user: UserInfo) -> UserInfo:
        """The user named by Impersonate-* headers, after checking `impersonate` on each of them."""
        name = req.headers.get("impersonate-user")
        groups = list(req.multi.get("impersonate-group") or ([req.headers["impersonate-group"]]
                                                             if "impersonate-group" in req.headers else []))
        uid = req.headers.get("impersonate-uid")
        extra: dict[str, list[str]] = {}
        for key, values in req.multi.items():
            if key.startswith("impersonate-extra-"):
                extra[key[len("impersonate-extra-"):]] = list(values)
        for key, value in req.headers.items():
            if key.startswith("impersonate-extra-") and key[len("impersonate-extra-"):] not in extra:
                extra[key[len("impersonate-extra-"):]] = [value]
        if name is None:
            if groups or extra or uid:
                raise ApiError(500, "InternalError", "Internal error occurred: requested impersonation of groups, "
                               "extra or uid without impersonating a user")
            return user
        checks: list[Attributes] = []
        sa = split_service_account(name)
        if sa is not None:
            checks.append(Attributes("impersonate", resource_request=True, resource="serviceaccounts",
                                     namespace=sa[0], name=sa[1]))
        else:
            checks.append(Attributes("impersonate", resource_request=True, resource="users", name=name))
        checks += [Attributes("impersonate", resource_request=True, resource="groups", name=g) for g in groups]
        if uid:
            checks.append(Attributes("impersonate", resource_request=True, api_group="authentication.k8s.io",
                                     resource="uids", name=uid))
        for key, values in extra.items():
            checks += [Attributes("impersonate", resource_request=True, api_group="authentication.k8s.io",
                                  resource="userextras", subresource=key, name=v) for v in values]
        for attrs in checks:
            decision = self.decide(user, attrs)
            if not decision.allowed:
                raise forbidden(user, attrs, decision.reason)
        if sa is not None and not groups:
            groups = ["system:serviceaccounts", f"system:serviceaccounts:{sa[0]}"]
        if name == ANONYMOUS:
            if UNAUTHENTICATED not in groups:
                groups.append(UNAUTHENTICATED)
        elif AUTHENTICATED not in groups:
            groups.append(AUTHENTICATED)
        return UserInfo(name, tuple(groups), uid or "", tuple((k, tuple(v)) for k, v in sorted(extra.items())))

    # ------------------------------------------------------------------ authorization

    def decide(self, user: UserInfo, attrs: Attributes) -> Decision:
        """system:masters may do anything; everyone else is asked of RBAC."""
        if user.privileged:
            return Decision(True)
        return self.rbac.authorize(user, attrs)

    def admit(self, req: Request) -> UserInfo:
        """The effective user of a request it may make; raises 401/403/500 ApiErrors."""
        user = self.authenticate(req)
        if "impersonate-user" in req.headers or "impersonate-group" in req.headers or req.multi:
            user = self.impersonate(req, user)
        req.user = user
        if user.privileged:
            return user
        attrs = request_attributes(req.method, req.path, req.query)
        decision = self.rbac.authorize(user, attrs)
        if not decision.allowed:
            raise forbidden(user, attrs, decision.reason)
        return user

    def close(self) -> None:
        self.rbac.close()
