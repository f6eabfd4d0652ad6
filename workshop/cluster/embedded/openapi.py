"""OpenAPI v3 documents derived from the official client's models (built-ins) and CRD schemas, plus
unknown-field detection against the same schemas (fieldValidation Strict/Warn/Ignore)."""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
from typing import TYPE_CHECKING, Any

import kubernetes.client.models as models

from engine.jsonobj import Obj
from engine.patch import list_strategy

from .builtin_fields import DICT_TYPE, LIST_TYPE, walk_model
from .errors import ApiError, bad_request, resource_not_found
from .resources import Registry, ResourceInfo

if TYPE_CHECKING:
    from .exchange import Request, Response


_PRIMITIVES: dict[str, Obj] = {
    "str": {"type": "string"}, "int": {"type": "integer", "format": "int64"}, "float": {"type": "number",
                                                                                      "format": "double"},
    "bool": {"type": "boolean"}, "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"}, "bytearray": {"type": "string", "format": "byte"},
}


def _schema_name(cls_name: str) -> str:
    m = re.match(r"^(V\d+(?:alpha\d+|beta\d+)?|[A-Z][a-z]+V\d+(?:alpha\d+|beta\d+)?)([A-Z].*)$", cls_name)
    if not m:
        return f"io.k8s.api.{cls_name}"
    return f"io.k8s.api.{m.group(1).lower()}.{m.group(2)}"


def _ref(name: str) -> Obj:
    return {"$ref": f"#/components/schemas/{name}"}


def _type_schema(type_: str, out: dict[str, Obj]) -> Obj:
    if type_ in _PRIMITIVES:
        return dict(_PRIMITIVES[type_])
    if type_ == "object":
        return {"x-kubernetes-preserve-unknown-fields": True}
    m = LIST_TYPE.match(type_)
    if m:
        return {"type": "array", "items": _type_schema(m.group(1), out)}
    m = DICT_TYPE.match(type_)
    if m:
        return {"type": "object", "additionalProperties": _type_schema(m.group(1), out)}
    _collect(type_, out)
    return {"allOf": [_ref(_schema_name(type_))]}


def _collect(cls_name: str, out: dict[str, Obj]) -> None:
    name = _schema_name(cls_name)
    if name in out:
        return
    cls = getattr(models, cls_name, None)
    if cls is None:
        out[name] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        return
    schema: Obj = {"type": "object", "properties": {}}
    out[name] = schema
    doc = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0].strip()
    if doc and not doc.startswith("NOTE") and "Attributes:" not in doc:
        schema["description"] = doc
    required = []
    for attr, type_ in cls.openapi_types.items():
        key = cls.attribute_map[attr]
        prop = _type_schema(type_, out)
        fld = cls.model_fields.get(attr) if hasattr(cls, "model_fields") else None
        if fld is not None:
            if fld.description:
                prop["description"] = fld.description
            if fld.is_required():
                required.append(key)
        schema["properties"][key] = prop
    if required:
        schema["required"] = required


@functools.cache
def builtin_schemas(model: str, group: str, version: str, kind: str) -> tuple[str, dict[str, Obj]]:
    """The top-level schema name and every schema reachable from a built-in kind's model."""
    out: dict[str, Obj] = {}
    _collect(model, out)
    top = _schema_name(model)
    out[top] = {**out[top], "x-kubernetes-group-version-kind": [{"group": group, "version": version, "kind": kind}]}
    _annotate_lists(out, top, f"{group}/{version}" if group else version, kind)
    return top, out


def _ref_target(schema: Obj) -> str | None:
    for ref in schema.get("allOf") or []:
        if "$ref" in ref:
            return str(ref["$ref"]).rsplit("/", 1)[-1]
    return None


def _annotate_lists(out: dict[str, Obj], top: str, api_version: str, kind: str) -> None:
    """Add the patch strategies and list types kubectl reads for strategic merge patch and apply."""
    seen: set[str] = set()

    def walk(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name not in out:
            return
        seen.add(name)
        for key, prop in (out[name].get("properties") or {}).items():
            here = path + (key,)
            target = prop
            if prop.get("type") == "array":
                strategy = list_strategy(api_version, kind, here)
                if strategy.smp_merge:
                    prop["x-kubernetes-patch-strategy"] = "merge"
                    if strategy.merge_key:
                        prop["x-kubernetes-patch-merge-key"] = strategy.merge_key
                prop["x-kubernetes-list-type"] = strategy.type
                if strategy.type == "map":
                    prop["x-kubernetes-list-map-keys"] = list(strategy.keys)
                target = prop.get("items") or {}
            ref = _ref_target(target)
            if ref is not None:
                walk(ref, here)

    walk(top, ())


def _crd_schema_name(info: ResourceInfo) -> str:
    return ".".join(reversed(info.group.split("."))) + f".{info.version}.{info.kind}"


def _crd_schema(info: ResourceInfo) -> Obj:
    version = info.crd_version or {}
    schema = dict(((version.get("schema") or {}).get("openAPIV3Schema")) or {"type": "object"})
    props = dict(schema.get("properties") or {})
    props.setdefault("apiVersion", {"type": "string", "description": "APIVersion defines the versioned schema of "
                                                                     "this representation of an object."})
    props.setdefault("kind", {"type": "string", "description": "Kind is a string value representing the REST "
                                                               "resource this object represents."})
    props["metadata"] = {"allOf": [_ref("io.k8s.api.v1.ObjectMeta")],
                         "description": "Standard object's metadata. More info: https://git.k8s.io/community/"
                                        "contributors/devel/sig-architecture/api-conventions.md#metadata"}
    schema["properties"] = props
    schema["x-kubernetes-group-version-kind"] = [{"group": info.group, "version": info.version, "kind": info.kind}]
    return schema


_PATCH_PARAMS = [
    {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
    {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
    {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
    {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": True}},
]


def _paths(info: ResourceInfo, top: str) -> dict[str, Obj]:
    prefix = f"/apis/{info.group}/{info.version}" if info.group else "/api/v1"
    base = f"{prefix}/namespaces/{{namespace}}/{info.plural}" if info.namespaced else f"{prefix}/{info.plural}"
    gvk = {"group": info.group, "version": info.version, "kind": info.kind}
    ok = {"200": {"description": "OK", "content": {"application/json": {"schema": _ref(top)}}}}

    def op(action: str, verb: str, params: list[Obj] | None = None) -> Obj:
        o: Obj = {"operationId": f"{verb}{info.kind}", "responses": ok, "x-kubernetes-action": action,
                  "x-kubernetes-group-version-kind": gvk}
        if params:
            o["parameters"] = params
        return o

    body = {"content": {"*/*": {"schema": _ref(top)}}, "required": True}
    # kubectl sends strategic merge patches only where the patch operation accepts them (never for CRs)
    patch_types = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"]
    if info.crd is None:
        patch_types.append("application/strategic-merge-patch+json")
    paths = {
        base: {"get": op("list", "list"), "post": {**op("post", "create", _PATCH_PARAMS[:3]), "requestBody": body}},
        f"{base}/{{name}}": {
            "get": op("get", "read"), "put": {**op("put", "replace", _PATCH_PARAMS[:3]), "requestBody": body},
            "delete": op("delete", "delete", _PATCH_PARAMS[:1]),
            "patch": {**op("patch", "patch", _PATCH_PARAMS),
                      "requestBody": {"content": {t: {"schema": {"type": "object"}} for t in patch_types},
                                      "required": True}},
        },
    }
    if info.has_status:
        paths[f"{base}/{{name}}/status"] = {"get": op("get", "read"),
                                            "patch": op("patch", "patch", _PATCH_PARAMS)}
    return paths


class OpenAPI:
    """Serves /openapi/v3 and checks request bodies for fields the schema does not declare."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._cache: dict[tuple[str, int], Obj] = {}

    def _hash(self, gv: str) -> str:
        return hashlib.sha256(f"{gv}:{self.registry.generation}".encode()).hexdigest()[:32].upper()

    def index(self) -> Obj:
        paths = {"api/v1": {"serverRelativeURL": f"/openapi/v3/api/v1?hash={self._hash('v1')}"}}
        for group, versions in self.registry.group_versions().items():
            for v in versions:
                key = f"apis/{group}/{v}"
                paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={self._hash(f'{group}/{v}')}"}
        return {"paths": paths}

    def document(self, group: str, version: str) -> Obj | None:
        key = (f"{group}/{version}", self.registry.generation)
        doc = self._cache.get(key)
        if doc is not None:
            return doc
        infos = self.registry.for_group_version(group, version)
        if not infos:
            return None
        schemas: dict[str, Obj] = {}
        paths: dict[str, Obj] = {}
        _, meta = builtin_schemas("V1ObjectMeta", "meta.k8s.io", "v1", "ObjectMeta")
        schemas.update(meta)
        for info in infos:
            if info.crd is not None:
                top = _crd_schema_name(info)
                schemas[top] = _crd_schema(info)
            elif info.model:
                top, found = builtin_schemas(info.model, info.group, info.version, info.kind)
                schemas.update(found)
            else:
                continue
            paths.update(_paths(info, top))
        doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.4"}, "paths": paths,
               "components": {"schemas": schemas}}
        self._cache = {k: v for k, v in self._cache.items() if k[1] == self.registry.generation}
        self._cache[key] = doc
        return doc

    def serve(self, parts: list[str], req: Request) -> Response:
        from .exchange import Response

        if parts == ["v3"]:
            return Response(200, self.index())
        if len(parts) == 3 and parts[:2] == ["v3", "api"] and parts[2] == "v1":
            doc = self.document("", "v1")
        elif len(parts) == 4 and parts[:2] == ["v3", "apis"]:
            doc = self.document(parts[2], parts[3])
        else:
            raise resource_not_found()
        if doc is None:
            raise resource_not_found()
        return Response(200, doc)

    # ------------------------------------------------------------------ field validation

    def unknown_fields(self, info: ResourceInfo, obj: Obj, prune: bool = True) -> list[str]:
        """Paths of fields the schema does not declare (`spec.host`, `spec.containers[0].foo`); pruned when asked."""
        found: list[str] = []
        if info.crd is not None:
            from .crd_schema import for_info

            return for_info(info).unknown_fields(obj, prune)
        if info.model:
            walk_model(obj, info.model, "", found, prune)
        return found

    def check_fields(self, info: ResourceInfo, obj: Any, mode: str | None, *, apply: bool = False) -> list[
            tuple[str, str]]:
        """Apply fieldValidation: Strict → 400, Warn (default) → Warning headers, Ignore → silent; prunes."""
        if not isinstance(obj, dict):
            return []
        mode = mode or "Warn"
        if mode not in ("Strict", "Warn", "Ignore"):
            raise bad_request(f'fieldValidation: Unsupported value: "{mode}": supported values: "Ignore", '
                              '"Strict", "Warn"')
        unknown = self.unknown_fields(info, obj)
        if not unknown or mode == "Ignore":
            return []
        if apply:
            md = obj.get("metadata") or {}
            ns = md.get("namespace")
            ident = f"{ns}/{md.get('name', '')}" if ns else md.get("name", "")
            gv = f"{info.group}/{info.version}" if info.group else info.version
            raise ApiError(400, "BadRequest", f"failed to create typed patch object ({ident}; {gv}, Kind={info.kind}):"
                           f" .{unknown[0]}: field not declared in schema")
        if mode == "Strict":
            detail = ", ".join(f'unknown field "{u}"' for u in unknown)
            raise bad_request(f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: '
                              f"strict decoding error: {detail}")
        return [("Warning", f'299 - "unknown field \\"{u}\\""') for u in unknown]
