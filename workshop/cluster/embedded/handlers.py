"""Verb handlers for resource URLs: get, list, watch, create, update, patch, delete, deletecollection, scale."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.jsonobj import Obj

from . import patching, tables, typecheck
from .errors import ApiError, bad_request, method_not_allowed, not_found
from .exchange import (
    JSON,
    TABLE_CONTENT_TYPE,
    Request,
    Response,
    Target,
    decode_body,
    decode_continue,
    dry_run,
    encode_continue,
    field_manager,
    list_predicate,
    wants_table,
)
from .objects import clone
from .resources import ResourceInfo
from .store import Store
from .watch import WatchStream

if TYPE_CHECKING:
    from .openapi import OpenAPI


DEFAULT_WATCH_TIMEOUT = 1800


def _grace_period(req: Request, options: Obj, store: Store, t: Target) -> int:
    """A pod's deletion grace period: gracePeriodSeconds of the request, else the pod's
    terminationGracePeriodSeconds (30)."""
    value = req.query.get("gracePeriodSeconds", options.get("gracePeriodSeconds"))
    if value is None:
        pod = store.find(t.info, t.namespace, t.name or "") or {}
        value = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        raise bad_request(f'gracePeriodSeconds: Invalid value: "{value}": must be an integer') from None


class ResourceHandlers:
    """Serves one parsed resource target."""

    def __init__(self, store: Store, openapi: OpenAPI) -> None:
        self.store = store
        self.openapi = openapi

    def dispatch(self, req: Request, t: Target) -> Response:
        m = req.method
        if t.name is None:
            if m in ("GET", "HEAD"):
                return self.watch(req, t) if req.flag("watch") else self.list(req, t)
            if m == "POST":
                return self.create(req, t)
            if m == "DELETE":
                return self.delete_collection(req, t)
            raise method_not_allowed()
        if m == "POST":
            raise method_not_allowed()
        if t.subresource == "scale":
            return self.scale(req, t)
        if t.subresource == "log":
            return self.log(req, t)
        if t.subresource == "finalize" and m != "PUT":
            raise method_not_allowed()
        if m in ("GET", "HEAD"):
            return self.get(req, t)
        if m == "PUT":
            return self.replace(req, t)
        if m == "PATCH":
            return self.patch(req, t)
        if m == "DELETE":
            if t.subresource:
                raise method_not_allowed()
            return self.delete(req, t)
        raise method_not_allowed()

    # ------------------------------------------------------------------ reading

    def _out(self, req: Request, info: ResourceInfo, obj: Obj, code: int = 200,
             headers: list[tuple[str, str]] | None = None) -> Response:
        obj = self.store.render(info, obj)
        if wants_table(req.accept) and req.method == "GET":
            return Response(code, tables.table(info, [obj], str(obj["metadata"].get("resourceVersion", "")),
                                               req.query), TABLE_CONTENT_TYPE, headers or [])
        return Response(code, obj, JSON, headers or [])

    def get(self, req: Request, t: Target) -> Response:
        with self.store.lock:
            obj = self.store.read(t.info, t.namespace, t.name or "")
            return self._out(req, t.info, obj)

    def list(self, req: Request, t: Target) -> Response:
        info = t.info
        pred = list_predicate(req, info)
        items, rv = self.store.select(info, t.namespace, pred)
        token = req.query.get("continue")
        if token:
            start = decode_continue(token)
            items = [o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > start]
        meta: Obj = {"resourceVersion": str(rv)}
        limit = req.query.get("limit")
        if limit:
            try:
                n = int(limit)
            except ValueError:
                raise bad_request(f'invalid limit "{limit}"') from None
            if 0 < n < len(items):
                meta["continue"] = encode_continue(rv, items[n - 1])
                meta["remainingItemCount"] = len(items) - n
                items = items[:n]
        if wants_table(req.accept):
            body = tables.table(info, [self.store.render(info, o) for o in items], str(rv), req.query)
            body["metadata"].update({k: v for k, v in meta.items() if k == "continue"})
            return Response(200, body, TABLE_CONTENT_TYPE)
        return Response(200, {"kind": info.list_kind, "apiVersion": info.api_version, "metadata": meta,
                              "items": [self.store.render(info, o) for o in items]})

    def watch(self, req: Request, t: Target) -> Response:
        info = t.info
        pred = list_predicate(req, info)
        timeout = req.query.get("timeoutSeconds")
        try:
            seconds = float(timeout) if timeout else DEFAULT_WATCH_TIMEOUT
        except ValueError:
            raise bad_request(f'invalid timeoutSeconds "{timeout}"') from None
        rv = req.query.get("resourceVersion") or ""
        if rv and not rv.isdigit():
            raise bad_request(f'invalid resource version: "{rv}"')
        initial = req.flag("sendInitialEvents")
        stream = WatchStream(self.store, info, t.namespace, pred, since=int(rv) if rv and rv != "0" else None,
                             timeout=seconds, bookmarks=req.flag("allowWatchBookmarks"),
                             table=wants_table(req.accept), query=req.query, initial_events=initial)
        ctype = TABLE_CONTENT_TYPE if wants_table(req.accept) else JSON
        return Response(200, None, ctype, stream=iter(stream), close_stream=stream.close)

    # ------------------------------------------------------------------ writing

    def _body_object(self, req: Request, t: Target) -> Obj:
        body = decode_body(req, t.info)
        if not isinstance(body, dict):
            raise bad_request(f"the object provided is unrecognized (must be of type {t.info.kind}): couldn't get "
                              "version/kind; json parse error: expected an object")
        self._check_type(t, body)
        return body

    def _check_type(self, t: Target, body: Obj) -> None:
        info = t.info
        if t.subresource != "scale":
            typecheck.check(info, body)  # wrong JSON types are decode errors (400), before anything reads them
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if kind and kind != info.kind and t.subresource != "scale":
            raise bad_request(f"the object provided is unrecognized (must be of type {info.kind}): kind "
                              f'"{kind}" does not match')
        if api_version and kind == info.kind and api_version != info.api_version:
            group = api_version.rpartition("/")[0] if "/" in api_version else ""
            if group != info.group:
                raise bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                                  f"version ({info.api_version})")
        md = body.get("metadata")
        if md is not None and not isinstance(md, dict):
            raise bad_request(f"{info.kind} in version \"{info.version}\" cannot be handled as a {info.kind}: "
                              "json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta")
        ns = (md or {}).get("namespace")
        if info.namespaced and t.namespace and ns and ns != t.namespace:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                              "request")

    def create(self, req: Request, t: Target) -> Response:
        info = t.info
        if info.namespaced and not t.namespace:
            raise method_not_allowed()
        body = self._body_object(req, t)
        warnings = self.openapi.check_fields(info, body, req.query.get("fieldValidation"))
        body.setdefault("metadata", {})
        if info.namespaced:
            body["metadata"]["namespace"] = t.namespace
        obj = self.store.create_object(info, body, dry_run=dry_run(req), manager=field_manager(req))
        return self._out(req, info, obj, 201, warnings)

    def replace(self, req: Request, t: Target) -> Response:
        info = t.info
        body = self._body_object(req, t)
        warnings = self.openapi.check_fields(info, body, req.query.get("fieldValidation"))
        md = body.setdefault("metadata", {})
        if md.get("name") and md["name"] != t.name:
            raise bad_request(f"the name of the object ({md['name']}) does not match the name on the URL ({t.name})")
        md["name"] = t.name
        if info.namespaced:
            md["namespace"] = t.namespace
        sub = t.subresource
        obj = self.store.update_object(info, body, subresource=sub, dry_run=dry_run(req),
                                       manager=field_manager(req),
                                       explicit_managed_fields="managedFields" in md)
        return self._out(req, info, obj, 200, warnings)

    def patch(self, req: Request, t: Target) -> Response:
        return patching.patch(self, req, t)

    def delete(self, req: Request, t: Target) -> Response:
        info = t.info
        options = decode_body(req) or {}
        if not isinstance(options, dict):
            raise bad_request("the body of the request was not a DeleteOptions object")
        policy = req.query.get("propagationPolicy") or options.get("propagationPolicy")
        if options.get("orphanDependents") is True or req.query.get("orphanDependents") == "true":
            policy = "Orphan"
        grace = _grace_period(req, options, self.store, t) if info.group_resource == ("", "pods") else None
        obj, removed = self.store.delete_object(info, t.namespace, t.name or "", propagation=policy,
                                                preconditions=options.get("preconditions"),
                                                dry_run=dry_run(req, options), grace_period=grace)
        return Response(200 if removed or grace else 202, self.store.render(info, obj))

    def delete_collection(self, req: Request, t: Target) -> Response:
        info = t.info
        if "deletecollection" not in info.verbs:
            raise method_not_allowed()
        options = decode_body(req) or {}
        if not isinstance(options, dict):
            raise bad_request("the body of the request was not a DeleteOptions object")
        policy = req.query.get("propagationPolicy") or options.get("propagationPolicy")
        dry = dry_run(req, options)
        items, _ = self.store.select(info, t.namespace, list_predicate(req, info))
        deleted = []
        for o in items:
            m = o["metadata"]
            try:
                obj, _ = self.store.delete_object(info, m.get("namespace"), m["name"], propagation=policy,
                                                  dry_run=dry)
            except ApiError as e:
                if e.code == 404:
                    continue
                raise
            deleted.append(self.store.render(info, obj))
        return Response(200, {"kind": info.list_kind, "apiVersion": info.api_version,
                              "metadata": {"resourceVersion": str(self.store.resource_version)}, "items": deleted})

    # ------------------------------------------------------------------ pods/log

    def log(self, req: Request, t: Target) -> Response:
        """The simulated containers' output (see podlogs)."""
        from .podlogs import serve

        return serve(self.store, req, t)

    # ------------------------------------------------------------------ /scale

    def scale(self, req: Request, t: Target) -> Response:
        from .scale import read_scale, write_scale

        info = t.info
        if req.method == "GET":
            with self.store.lock:
                return Response(200, read_scale(info, self.store.read(info, t.namespace, t.name or "")))
        if req.method not in ("PUT", "PATCH"):
            raise method_not_allowed()
        with self.store.lock:
            live = self.store.read(info, t.namespace, t.name or "")
            current = read_scale(info, live)
            if req.method == "PUT":
                body = decode_body(req)
                if not isinstance(body, dict):
                    raise bad_request("the object provided is unrecognized (must be of type Scale)")
                wanted = body
            else:
                wanted = patching.apply_patch_body(req, current, info, scale=True)
            rv = (wanted.get("metadata") or {}).get("resourceVersion")
            if rv and rv != live["metadata"]["resourceVersion"]:
                from .errors import conflict

                raise conflict(info.plural, info.group, t.name or "")
            new = write_scale(info, clone(live), wanted)
            obj = self.store.update_object(info, new, dry_run=dry_run(req), manager=field_manager(req),
                                           subresource="scale")
            return Response(200, read_scale(info, obj))


__all__ = ["ResourceHandlers", "not_found"]
