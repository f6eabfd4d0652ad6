"""Response content negotiation on the Accept header: JSON, YAML or Kubernetes protobuf, 406 when none fits.

A real server answers in the first media type of the client's Accept list it can produce. client-go asks for
`application/vnd.kubernetes.protobuf,application/json`; answering JSON to that is allowed (the client decodes by
the response's Content-Type), and is what this server does unless `prefer_protobuf` is set. A client that accepts
only protobuf gets protobuf for the built-in kinds and 406 NotAcceptable for custom resources, as a real server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

from .errors import status_body
from .protobuf import PROTOBUF, encode, message_for

if TYPE_CHECKING:
    from .exchange import Request, Response

JSON = "application/json"
YAML = "application/yaml"


def media_types(accept: str) -> list[str]:
    """The bare media types of an Accept header in order (parameters like `as=Table` dropped, `q=0` skipped)."""
    out = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if media and not any(p.replace(" ", "") in ("q=0", "q=0.0") for p in params):
            out.append(media.lower())
    return out


def choose(accept: str, *, prefer_protobuf: bool = False) -> str:
    """The media type to answer in: JSON whenever the client accepts it (or sends no Accept)."""
    types = media_types(accept)
    if not types:
        return JSON
    json_ok = any(t in (JSON, "*/*", "application/*") for t in types)
    if prefer_protobuf and PROTOBUF in types and (not json_ok or types.index(PROTOBUF) == 0):
        return PROTOBUF
    if json_ok:
        return JSON
    for t in types:
        if t in (PROTOBUF, YAML):
            return t
    return ""


def negotiate(req: Request, resp: Response, *, prefer_protobuf: bool = False) -> Response:
    """Re-encode a JSON response for the client's Accept header; 406 when the client takes nothing this offers."""
    if resp.stream is not None or not isinstance(resp.body, dict) or resp.content_type != JSON:
        return resp
    media = choose(req.accept, prefer_protobuf=prefer_protobuf)
    if media == JSON:
        return resp
    if media == YAML:
        resp.body = yaml.safe_dump(resp.body, sort_keys=False).encode()
        resp.content_type = YAML
        return resp
    if media == PROTOBUF:
        encoded = encode(resp.body)
        if encoded is not None:
            resp.body, resp.content_type = encoded, PROTOBUF
            return resp
        if resp.code >= 400:
            return resp  # an error Status that cannot be encoded is still better read as JSON than lost
    offered = "application/json, application/yaml"
    if message_for(str(resp.body.get("apiVersion") or ""), str(resp.body.get("kind") or "")):
        offered += ", " + PROTOBUF
    resp.code = 406
    resp.body = status_body(406, "NotAcceptable", f"only the following media types are accepted: {offered}")
    return resp
