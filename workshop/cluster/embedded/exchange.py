"""One API call as the REST layer sees it: the Request, the Response, the resource Target a URL names, media
types, and the request-body and list-option decoding every handler shares."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import yaml

from engine.jsonobj import Obj

from .errors import bad_request, unsupported_media_type
from .resources import ResourceInfo
from .selectors import combine, parse_field_selector, parse_label_selector

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

JSON = "application/json"
TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
APPLY_PATCH_CBOR = "application/apply-patch+cbor"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    #: the authenticated user (a client certificate's, set by the transport; then the effective one, auth.AuthGate)
    user: Any = None
    #: every value of repeated headers the transport collected (Impersonate-Group, Impersonate-Extra-*), lower-case
    multi: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_target(cls, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Request:
        path, _, qs = target.partition("?")
        query = {k: v[-1] for k, v in parse_qs(qs, keep_blank_values=True).items()}
        return cls(method.upper(), unquote(path), query, {k.lower(): v for k, v in headers.items()}, body)

    @property
    def accept(self) -> str:
        return self.headers.get("accept", "")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("true", "1")


@dataclass
class Response:
    code: int
    body: Any = None
    content_type: str = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)
    stream: Iterator[bytes | None] | None = None
    close_stream: Any = None

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode() + b"\n"  # as Go's json.Encoder writes it


@dataclass
class Target:
    """A parsed resource URL."""

    info: ResourceInfo
    namespace: str | None
    name: str | None
    subresource: str | None


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def decode_body(req: Request, info: ResourceInfo | None = None, *, yaml_ok: bool = False) -> Any:
    """The JSON (or, for apply patches, YAML) request body; 400 BadRequest when it cannot be decoded."""
    ct = req.content_type
    if ct == "application/vnd.kubernetes.protobuf" and req.method in ("POST", "PUT", "DELETE"):
        from .protobuf import decode

        return decode(req.body, info.kind if info is not None else None) if req.body else None
    if ct in ("application/vnd.kubernetes.protobuf", "application/cbor", APPLY_PATCH_CBOR):
        raise unsupported_media_type(ct)
    if not req.body.strip():
        return None
    from .bodies import load_json, load_yaml

    try:
        if yaml_ok:
            try:
                return load_json(req.body)
            except ValueError:
                return load_yaml(req.body.decode())
        return load_json(req.body)
    except (ValueError, yaml.YAMLError, UnicodeDecodeError) as e:
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        if info is not None:
            raise bad_request(f"the object provided is unrecognized (must be of type {info.kind}): couldn't get "
                              f"version/kind; json parse error: {detail}") from None
        raise bad_request(f"couldn't decode the request body: {detail}") from None


def encode_continue(rv: int, last: Obj) -> str:
    m = last["metadata"]
    token = {"v": "meta.k8s.io/v1", "rv": rv, "start": f"{m.get('namespace', '')}/{m['name']}"}
    return base64.b64encode(json.dumps(token, separators=(",", ":")).encode()).decode()


def decode_continue(token: str) -> tuple[str, str]:
    try:
        data = json.loads(base64.b64decode(token.encode(), validate=True))
        ns, _, name = str(data["start"]).partition("/")
        return ns, name
    except (ValueError, KeyError, TypeError):
        raise bad_request("continue key is not valid: illegal base64 data at input byte 0") from None


def list_predicate(req: Request, info: ResourceInfo):  # noqa: ANN201 - Predicate | None
    return combine(parse_label_selector(req.query.get("labelSelector")),
                   parse_field_selector(req.query.get("fieldSelector"), info.kind, info.plural,
                                        info.group))


def dry_run(req: Request, options: Obj | None = None) -> bool:
    values = [req.query["dryRun"]] if "dryRun" in req.query else []
    if options and options.get("dryRun"):
        values += list(options["dryRun"])
    for v in values:
        if v != "All":
            raise bad_request(f'Invalid dry run value: dryRun: Unsupported value: "{v}": supported values: "All"')
    return bool(values)


def field_manager(req: Request, *, required: bool = False) -> str | None:
    manager = req.query.get("fieldManager")
    if manager is None and not required:
        agent = req.headers.get("user-agent", "")
        return agent.split("/")[0] if agent else None
    return manager
