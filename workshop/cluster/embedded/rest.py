"""The Kubernetes REST API over the store, independent of the HTTP transport: routes, verbs, media types."""

from __future__ import annotations

import logging

from engine.jsonobj import Obj

from . import discovery
from .activity import RequestActivity
from .errors import (
    ApiError,
    method_not_allowed,
    not_found,
    resource_not_found,
    success_status,
)
from .exchange import (
    Request,
    Response,
    Target,
    decode_body,
)
from .objects import clone
from .store import Store

log = logging.getLogger(__name__)

class ApiServer:
    """Dispatches requests to discovery, OpenAPI, and resource handlers."""

    def __init__(self, store: Store, *, server_address: str = "127.0.0.1") -> None:
        self.store = store
        self.server_address = server_address
        #: answer protobuf to clients that list it first (client-go), as a real server does; JSON otherwise
        self.prefer_protobuf = False
        from .auth import AuthGate

        self.auth = AuthGate(store)
        #: requests being handled now (the simulation gives way to them)
        self.activity = RequestActivity()
        from .handlers import ResourceHandlers
        from .openapi import OpenAPI

        self.openapi = OpenAPI(store.registry)
        self.resources = ResourceHandlers(store, self.openapi)

    def handle(self, req: Request) -> Response:
        with self.activity.handling():
            return self._handle(req)

    def _handle(self, req: Request) -> Response:
        from .negotiate import negotiate

        try:
            self.auth.admit(req)
            return negotiate(req, self._route(req), prefer_protobuf=self.prefer_protobuf)
        except ApiError as e:
            return negotiate(req, Response(e.code, e.status()), prefer_protobuf=self.prefer_protobuf)
        except RecursionError:
            from .errors import bad_request

            deep = bad_request("the request body is nested too deeply to be processed")
            return negotiate(req, Response(deep.code, deep.status()), prefer_protobuf=self.prefer_protobuf)
        except Exception as e:  # noqa: BLE001 - every failure becomes a Status, never a stack trace
            log.exception("internal error on %s %s", req.method, req.path)
            return Response(500, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "message": f"Internal error occurred: {type(e).__name__}: {e}",
                                  "reason": "InternalError", "code": 500})

    def _route(self, req: Request) -> Response:
        path = req.path.rstrip("/") or "/"
        parts = [p for p in path.split("/") if p]
        if path in ("/healthz", "/readyz", "/livez"):
            return Response(200, b"ok", "text/plain; charset=utf-8")
        if req.method not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
            raise method_not_allowed()
        if not parts:
            return self._root()
        if parts[0] == "version" and len(parts) == 1:
            return Response(200, discovery.version_info())
        if parts[0] == "openapi":
            return self.openapi.serve(parts[1:], req)
        if parts[0] == "api":
            if len(parts) == 1:
                if "as=APIGroupDiscoveryList" in req.accept and "v=v2" in req.accept:
                    return Response(200, discovery.aggregated(self.store.registry, True),
                                    discovery.AGGREGATED_CONTENT_TYPE)
                return Response(200, discovery.api_versions(self.server_address))
            if parts[1] != "v1":
                raise resource_not_found()
            if len(parts) == 2:
                return self._doc(discovery.resource_list(self.store.registry, "", "v1"))
            return self._resource(req, "", "v1", parts[2:])
        if parts[0] == "apis":
            if len(parts) == 1:
                if "as=APIGroupDiscoveryList" in req.accept and "v=v2" in req.accept:
                    return Response(200, discovery.aggregated(self.store.registry, False),
                                    discovery.AGGREGATED_CONTENT_TYPE)
                return Response(200, discovery.api_group_list(self.store.registry))
            if len(parts) == 2:
                return self._doc(discovery.api_group(self.store.registry, parts[1]))
            if len(parts) == 3:
                return self._doc(discovery.resource_list(self.store.registry, parts[1], parts[2]))
            return self._resource(req, parts[1], parts[2], parts[3:])
        raise resource_not_found()

    def _root(self) -> Response:
        paths = ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v3", "/readyz", "/version"]
        for group, versions in self.store.registry.group_versions().items():
            paths.append(f"/apis/{group}")
            paths.extend(f"/apis/{group}/{v}" for v in versions)
        return Response(200, {"paths": sorted(paths)})

    @staticmethod
    def _doc(doc: Obj | None) -> Response:
        if doc is None:
            raise resource_not_found()
        return Response(200, doc)

    def _resource(self, req: Request, group: str, version: str, parts: list[str]) -> Response:
        target = self._parse_target(group, version, parts)
        from .auth import reviews

        if reviews.handles(target):
            return reviews.serve(self.auth, req, target)
        from . import streaming

        if streaming.handles(target):
            return streaming.serve(self.store, req, target)
        from .auth import csr

        if csr.stamps(target, req):
            csr.stamp_requestor(req)
        response = self.resources.dispatch(req, target)
        if target.info.crd is not None:
            from .crd_versions import deprecation_warning, warning_header

            warning = deprecation_warning(target.info)
            if warning:
                response.headers.append(warning_header(warning))
        return response

    def _parse_target(self, group: str, version: str, parts: list[str]) -> Target:
        reg = self.store.registry
        namespace: str | None = None
        if parts[0] == "namespaces" and len(parts) >= 3 and not (group == "" and parts[2] in ("status", "finalize")):
            namespace = parts[1]
            parts = parts[2:]
            info = reg.find(group, version, parts[0])
            if info is None or not info.namespaced:
                raise resource_not_found()
        else:
            info = reg.find(group, version, parts[0])
            if info is None:
                raise resource_not_found()
        name = parts[1] if len(parts) > 1 else None
        sub = parts[2] if len(parts) > 2 else None
        if len(parts) > 3 or (sub is not None and sub not in info.subresources):
            raise resource_not_found()
        return Target(info, namespace, name, sub)


__all__ = ["ApiServer", "Request", "Response", "Target", "clone", "decode_body", "not_found", "success_status"]
