"""The create-only review resources and TokenRequest: SelfSubjectAccessReview (`kubectl auth can-i`),
SelfSubjectRulesReview (`can-i --list`), SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectReview
(`kubectl auth whoami`), TokenReview and serviceaccounts/token (`kubectl create token`). None of them is stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.jsonobj import Obj

from ..errors import ApiError, bad_request, invalid, method_not_allowed, not_found
from .gate import AuthGate
from .requestinfo import Attributes
from .tokens import DEFAULT_AUDIENCES, DEFAULT_EXPIRATION, MAX_EXPIRATION, MIN_EXPIRATION
from .users import UserInfo

if TYPE_CHECKING:
    from ..exchange import Request, Response, Target

AUTHZ = "authorization.k8s.io"
AUTHN = "authentication.k8s.io"

#: (group, plural) of the review resources this module serves
REVIEWS = {(AUTHZ, "selfsubjectaccessreviews"), (AUTHZ, "selfsubjectrulesreviews"),
           (AUTHZ, "subjectaccessreviews"), (AUTHZ, "localsubjectaccessreviews"),
           (AUTHN, "selfsubjectreviews"), (AUTHN, "tokenreviews")}


def handles(t: Target) -> bool:
    """Whether this module serves the target (a review resource, or a ServiceAccount's token subresource)."""
    info = t.info
    return (info.group, info.plural) in REVIEWS or (info.group == "" and info.plural == "serviceaccounts"
                                                    and t.subresource == "token")


def serve(gate: AuthGate, req: Request, t: Target) -> Response:
    from ..exchange import Response, decode_body

    if req.method != "POST" or (t.name is not None and t.subresource != "token"):
        raise method_not_allowed()
    body = decode_body(req, t.info)
    if not isinstance(body, dict):
        raise bad_request(f"the object provided is unrecognized (must be of type {t.info.kind})")
    user: UserInfo = req.user
    if t.subresource == "token":
        return Response(201, token_request(gate, t.namespace or "", t.name or "", body))
    plural = t.info.plural
    out: Obj = {"kind": t.info.kind, "apiVersion": t.info.api_version, "metadata": _meta(body, t.namespace)}
    raw_spec = body.get("spec")
    spec: Obj = raw_spec if isinstance(raw_spec, dict) else {}
    if plural == "selfsubjectreviews":
        out["status"] = {"userInfo": user.to_json()}
        return Response(201, out)
    out["spec"] = spec
    if plural == "tokenreviews":
        out["status"] = token_review(gate, str(spec.get("token") or ""), spec.get("audiences"))
        return Response(201, out)
    if plural == "selfsubjectrulesreviews":
        namespace = str(spec.get("namespace") or "")
        resource, non_resource, errors = gate.rbac.rules_for(user, namespace)
        status: Obj = {"resourceRules": resource, "nonResourceRules": non_resource, "incomplete": bool(errors)}
        if errors:
            status["evaluationError"] = "; ".join(errors)
        out["status"] = status
        return Response(201, out)
    if plural in ("subjectaccessreviews", "localsubjectaccessreviews"):
        subject = UserInfo(str(spec.get("user") or ""), tuple(spec.get("groups") or ()), str(spec.get("uid") or ""))
        if not subject.name and not subject.groups:
            raise invalid(t.info.kind, AUTHZ, "", [{"reason": "FieldValueRequired", "field": "spec.user",
                                                    "message": "Required value: at least one of user or group "
                                                               "must be specified"}],
                          f'{t.info.kind}.{AUTHZ} "" is invalid: spec.user: Invalid value: "": at least one of '
                          "user or group must be specified")
        user = subject
    attrs = _attributes(spec, t)
    decision = gate.decide(user, attrs)
    status = {"allowed": decision.allowed}
    if decision.reason:
        status["reason"] = decision.reason
    out["status"] = status
    return Response(201, out)


def _meta(body: Obj, namespace: str | None) -> Obj:
    md = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    out = {k: v for k, v in (md or {}).items() if k in ("name", "generateName", "labels", "annotations")}
    if namespace:
        out["namespace"] = namespace
    return out


def _attributes(spec: Obj, t: Target) -> Attributes:
    ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if isinstance(ra, dict) and not isinstance(nra, dict):
        namespace = str(ra.get("namespace") or "")
        if t.info.plural == "localsubjectaccessreviews" and namespace and namespace != t.namespace:
            raise bad_request(f'spec.resourceAttributes.namespace must match namespace: {t.namespace}')
        if t.info.plural == "localsubjectaccessreviews":
            namespace = t.namespace or ""
        return Attributes(str(ra.get("verb") or ""), resource_request=True, api_group=str(ra.get("group") or ""),
                          api_version=str(ra.get("version") or ""), resource=str(ra.get("resource") or ""),
                          subresource=str(ra.get("subresource") or ""), namespace=namespace,
                          name=str(ra.get("name") or ""))
    if isinstance(nra, dict) and not isinstance(ra, dict):
        return Attributes(str(nra.get("verb") or ""), path=str(nra.get("path") or ""))
    kind = {"selfsubjectaccessreviews": "SelfSubjectAccessReview", "subjectaccessreviews": "SubjectAccessReview",
            "localsubjectaccessreviews": "LocalSubjectAccessReview"}[t.info.plural]
    raise invalid(kind, AUTHZ, "", [{"reason": "FieldValueRequired", "field": "spec.resourceAttributes",
                                     "message": "exactly one of nonResourceAttributes or resourceAttributes must "
                                                "be specified"}],
                  f'{kind}.{AUTHZ} "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of '
                  "nonResourceAttributes or resourceAttributes must be specified")


def token_review(gate: AuthGate, token: str, audiences: Any) -> Obj:
    user = gate.user_for_token(token) if token else None
    if user is None:
        return {"authenticated": False, "error": "[invalid bearer token, token lookup failed]"} if token else {}
    return {"authenticated": True, "user": user.to_json(), "audiences": list(audiences or DEFAULT_AUDIENCES)}


def token_request(gate: AuthGate, namespace: str, name: str, body: Obj) -> Obj:
    """Issue a bound token for a ServiceAccount (TokenRequest)."""
    store = gate.store
    sa_info = store.registry.find("", "v1", "serviceaccounts")
    sa = None if sa_info is None else store.find(sa_info, namespace, name)
    if sa is None:
        raise not_found("serviceaccounts", "", name)
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    spec = dict(spec or {})
    expiration = spec.get("expirationSeconds")
    if expiration is None:
        expiration = DEFAULT_EXPIRATION
    if isinstance(expiration, bool) or not isinstance(expiration, int):
        raise bad_request("TokenRequest in version \"v1\" cannot be handled as a TokenRequest: "
                          "json: cannot unmarshal into Go struct field TokenRequestSpec.spec.expirationSeconds "
                          "of type int64")
    if expiration < MIN_EXPIRATION or expiration > MAX_EXPIRATION:
        msg = ("may not specify a duration less than 10 minutes" if expiration < MIN_EXPIRATION else
               "may not specify a duration larger than 2^32 seconds")
        raise invalid("TokenRequest", AUTHN, name, [{"reason": "FieldValueInvalid", "field": "spec.expirationSeconds",
                                                     "message": f"Invalid value: {expiration}: {msg}"}])
    audiences = tuple(str(a) for a in spec.get("audiences") or ()) or DEFAULT_AUDIENCES
    bound = None
    ref = spec.get("boundObjectRef")
    if isinstance(ref, dict) and ref.get("kind"):
        kind, bname = str(ref.get("kind")), str(ref.get("name") or "")
        resource = {"Pod": "pods", "Secret": "secrets"}.get(kind)
        if resource is None:
            raise bad_request(f'cannot bind token to object of type {kind}: only "Pod" and "Secret" are supported')
        info = store.registry.find("", "v1", resource)
        obj = None if info is None else store.find(info, namespace, bname)
        if obj is None:
            raise not_found(resource, "", bname)
        uid = obj["metadata"].get("uid", "")
        if ref.get("uid") and ref["uid"] != uid:
            raise ApiError(409, "Conflict", f'the UID in the bound object reference ({ref["uid"]}) does not match '
                           f"the UID in record. The object might have been deleted and then recreated")
        bound = {"kind": kind, "name": bname, "uid": uid}
        spec["boundObjectRef"] = {"kind": kind, "apiVersion": "v1", "name": bname, "uid": uid}
    token, exp = gate.issuer.issue(namespace, name, str(sa["metadata"].get("uid", "")), audiences=audiences,
                                   expiration=expiration, bound=bound)
    spec["audiences"] = list(audiences)
    spec["expirationSeconds"] = expiration
    spec.setdefault("boundObjectRef", None)
    stamp = datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": None},
            "spec": spec, "status": {"token": token, "expirationTimestamp": stamp}}
