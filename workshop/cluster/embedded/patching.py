"""PATCH: JSON merge, JSON patch, strategic merge and server-side apply, on a resource or a subresource."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.jsonobj import Obj
from engine.patch import PatchError, apply_json_patch, apply_merge_patch, apply_strategic_merge_patch

from . import typecheck
from .errors import ApiError, bad_request, invalid, unsupported_media_type
from .exchange import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    Request,
    Response,
    Target,
    decode_body,
    dry_run,
    field_manager,
)
from .objects import clone
from .resources import ResourceInfo

if TYPE_CHECKING:
    from .handlers import ResourceHandlers


PATCH_TYPES = (MERGE_PATCH, JSON_PATCH, STRATEGIC_PATCH, APPLY_PATCH)


def _unsupported(ct: str) -> ApiError:
    return ApiError(415, "UnsupportedMediaType",
                    f'the body of the request was in an unknown format - accepted media types include: '
                    f'{", ".join(PATCH_TYPES)}')


def _patch_failed(info: ResourceInfo, name: str, e: Exception) -> ApiError:
    return ApiError(422, "Invalid", f'{info.kind} "{name}" is invalid: {e}',
                    {"name": name, "kind": info.kind, "causes": [{"reason": "FieldValueInvalid", "message": str(e)}]})


def apply_patch_body(req: Request, live: Obj, info: ResourceInfo, *, scale: bool = False) -> Obj:
    """The result of applying the request's merge/json/strategic patch to live (no store access)."""
    ct = req.content_type
    if ct not in (MERGE_PATCH, JSON_PATCH, STRATEGIC_PATCH):
        raise _unsupported(ct)
    patch = decode_body(req)
    if patch is None:
        raise bad_request("the body of the request was empty")
    try:
        if ct == JSON_PATCH:
            if not isinstance(patch, list):
                raise bad_request("json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp")
            return apply_json_patch(clone(live), patch)
        if not isinstance(patch, dict):
            raise bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
        if ct == MERGE_PATCH:
            return apply_merge_patch(clone(live), patch)
        if info.crd is not None and not scale:
            raise unsupported_media_type(ct)
        return apply_strategic_merge_patch(live, patch)
    except PatchError as e:
        raise _patch_failed(info, str((live.get("metadata") or {}).get("name", "")), e) from None


def patch(h: ResourceHandlers, req: Request, t: Target) -> Response:
    info, store = t.info, h.store
    dry = dry_run(req)
    if req.content_type == APPLY_PATCH:
        return _apply(h, req, t, dry)
    with store.lock:
        live = store.read(info, t.namespace, t.name or "")
        rendered = store.render(info, live)
        new = apply_patch_body(req, rendered, info)
        if not isinstance(new, dict):
            raise bad_request("the patch did not produce an object")
        if t.subresource != "scale":
            typecheck.check(info, new)
        md: Obj = new["metadata"] if isinstance(new.get("metadata"), dict) else {}
        if md.get("name") != t.name:
            raise bad_request(f"the name of the object ({md.get('name')}) does not match the name on the URL "
                              f"({t.name})")
        warnings = h.openapi.check_fields(info, new, req.query.get("fieldValidation"))
        explicit = md.get("managedFields") != live["metadata"].get("managedFields")
        obj = store.update_object(info, new, subresource=t.subresource, dry_run=dry, manager=field_manager(req),
                                  explicit_managed_fields=explicit, require_rv=False)
        return h._out(req, info, obj, 200, warnings)


def _apply(h: ResourceHandlers, req: Request, t: Target, dry: bool) -> Response:
    """Server-side apply: create-or-update with field ownership, conflicts and `force`."""
    info, store = t.info, h.store
    manager = req.query.get("fieldManager")
    if not manager:
        raise invalid(info.kind, info.group, t.name or "", [{"reason": "FieldValueRequired",
                      "message": "Required value: is required for apply patch", "field": "fieldManager"}],
                      "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for "
                      "apply patch")
    force = req.flag("force")
    applied = decode_body(req, info, yaml_ok=True)
    if not isinstance(applied, dict):
        raise bad_request("error decoding YAML: the apply patch must be an object")
    h._check_type(t, applied)
    md = applied.setdefault("metadata", {})
    if not isinstance(md, dict):
        raise bad_request("metadata must be an object")
    if md.get("name") and md["name"] != t.name:
        raise bad_request(f"the name of the object ({md['name']}) does not match the name on the URL ({t.name})")
    if not applied.get("apiVersion") or not applied.get("kind"):
        raise bad_request("invalid object type: /, Kind=")
    warnings = h.openapi.check_fields(info, applied, req.query.get("fieldValidation"), apply=True)
    from .ssa import server_side_apply

    with store.lock:
        live = store.find(info, t.namespace, t.name or "")
        md["name"] = t.name
        if info.namespaced:
            md["namespace"] = t.namespace
        rendered = store.render(info, live) if live is not None else None
        new = server_side_apply(rendered, applied, manager=manager, force=force, subresource=t.subresource)
        if live is None:
            if t.subresource:
                from .errors import not_found

                raise not_found(info.plural, info.group, t.name or "")
            obj = store.create_object(info, new, dry_run=dry)
            return h._out(req, info, obj, 201, warnings)
        new.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
        obj = store.update_object(info, new, subresource=t.subresource, dry_run=dry,
                                  explicit_managed_fields=True, require_rv=False)
        return h._out(req, info, obj, 200, warnings)
