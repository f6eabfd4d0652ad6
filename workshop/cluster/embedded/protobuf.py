"""Decoding the Kubernetes protobuf bodies kubectl 1.32 sends for `kubectl create namespace|configmap|secret|
deployment` (the `k8s\\0` envelope around runtime.Unknown), into the JSON objects the rest of the server uses.

Only the fields those generators write are mapped; unknown field numbers are skipped like a proto decoder does.
"""

from __future__ import annotations

import base64
from typing import Any

from .errors import ApiError, bad_request

Obj = dict[str, Any]
MAGIC = b"k8s\x00"
PROTOBUF = "application/vnd.kubernetes.protobuf"

# field number -> (json name, type); type is a scalar name, ("msg", schema), ("rep", schema) or a map kind
Schema = dict[int, tuple[str, Any]]

TIME: Schema = {1: ("seconds", "int"), 2: ("nanos", "int")}
TYPE_META: Schema = {1: ("apiVersion", "string"), 2: ("kind", "string")}
OWNER_REF: Schema = {1: ("kind", "string"), 3: ("name", "string"), 4: ("uid", "string"), 5: ("apiVersion", "string"),
                     6: ("controller", "bool"), 7: ("blockOwnerDeletion", "bool")}
OBJECT_META: Schema = {1: ("name", "string"), 2: ("generateName", "string"), 3: ("namespace", "string"),
                       5: ("uid", "string"), 6: ("resourceVersion", "string"), 11: ("labels", "map"),
                       12: ("annotations", "map"), 13: ("ownerReferences", ("rep", OWNER_REF)),
                       14: ("finalizers", "rep_string")}
SELECTOR_REQ: Schema = {1: ("key", "string"), 2: ("operator", "string"), 3: ("values", "rep_string")}
LABEL_SELECTOR: Schema = {1: ("matchLabels", "map"), 2: ("matchExpressions", ("rep", SELECTOR_REQ))}
PORT: Schema = {1: ("name", "string"), 2: ("hostPort", "int"), 3: ("containerPort", "int"), 4: ("protocol", "string"),
                5: ("hostIP", "string")}
ENV: Schema = {1: ("name", "string"), 2: ("value", "string")}
RESOURCES: Schema = {}
CONTAINER: Schema = {1: ("name", "string"), 2: ("image", "string"), 3: ("command", "rep_string"),
                     4: ("args", "rep_string"), 5: ("workingDir", "string"), 6: ("ports", ("rep", PORT)),
                     7: ("env", ("rep", ENV)), 8: ("resources", ("msg", RESOURCES)),
                     14: ("imagePullPolicy", "string")}
POD_SPEC: Schema = {2: ("containers", ("rep", CONTAINER)), 3: ("restartPolicy", "string"),
                    20: ("initContainers", ("rep", CONTAINER))}
POD_TEMPLATE: Schema = {1: ("metadata", ("msg", OBJECT_META)), 2: ("spec", ("msg", POD_SPEC))}
STRATEGY: Schema = {1: ("type", "string")}
DEPLOYMENT_SPEC: Schema = {1: ("replicas", "int"), 2: ("selector", ("msg", LABEL_SELECTOR)),
                           3: ("template", ("msg", POD_TEMPLATE)), 4: ("strategy", ("msg", STRATEGY)),
                           5: ("minReadySeconds", "int"), 6: ("revisionHistoryLimit", "int"), 7: ("paused", "bool"),
                           9: ("progressDeadlineSeconds", "int")}
NAMESPACE_SPEC: Schema = {1: ("finalizers", "rep_string")}

KINDS: dict[str, Schema] = {
    "Namespace": {1: ("metadata", ("msg", OBJECT_META)), 2: ("spec", ("msg", NAMESPACE_SPEC))},
    "ConfigMap": {1: ("metadata", ("msg", OBJECT_META)), 2: ("data", "map"), 3: ("binaryData", "map_bytes"),
                  4: ("immutable", "bool")},
    "Secret": {1: ("metadata", ("msg", OBJECT_META)), 2: ("data", "map_bytes"), 3: ("type", "string"),
               4: ("stringData", "map"), 5: ("immutable", "bool")},
    "Deployment": {1: ("metadata", ("msg", OBJECT_META)), 2: ("spec", ("msg", DEPLOYMENT_SPEC))},
}

_KEEP_EMPTY = {"resources", "metadata"}
#: Go writes every non-pointer field, empty or not; these pointer ints keep an explicit 0 (JSON omits the rest).
_POINTER_INTS = {"replicas"}


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) triples; value is an int or bytes."""
    out: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
            if pos > len(buf):
                raise ValueError("truncated field")
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _message(buf: bytes, schema: Schema) -> Obj:
    obj: Obj = {}
    for number, _wire, value in _fields(buf):
        spec = schema.get(number)
        if spec is None:
            continue
        name, type_ = spec
        if type_ == "string":
            if value:
                obj[name] = value.decode()
        elif type_ == "int":
            if value or name in _POINTER_INTS:
                obj[name] = _signed(value)
        elif type_ == "bool":
            if value:
                obj[name] = True
        elif type_ == "rep_string":
            obj.setdefault(name, []).append(value.decode())
        elif type_ in ("map", "map_bytes"):
            entry = {n: v for n, _, v in _fields(value)}
            key = entry.get(1, b"").decode()
            raw = entry.get(2, b"")
            obj.setdefault(name, {})[key] = base64.b64encode(raw).decode() if type_ == "map_bytes" else raw.decode()
        elif type_[0] == "msg":
            sub = _message(value, type_[1])
            if sub or name in _KEEP_EMPTY:
                obj[name] = sub
        elif type_[0] == "rep":
            obj.setdefault(name, []).append(_message(value, type_[1]))
    return obj


def decode(body: bytes) -> Obj:
    """The JSON form of a protobuf-encoded object; 415 for kinds this server cannot decode, 400 when malformed."""
    if not body.startswith(MAGIC):
        raise bad_request("the protobuf body does not start with the k8s envelope")
    try:
        unknown = {n: v for n, _, v in _fields(body[len(MAGIC):])}
        type_meta = _message(unknown.get(1, b""), TYPE_META)
        kind = type_meta.get("kind", "")
        schema = KINDS.get(kind)
        if schema is None:
            raise ApiError(415, "UnsupportedMediaType", f"the server cannot decode {kind or 'this object'} from "
                           f"protobuf; send it as JSON (kubectl create -f, or kubectl apply)")
        obj = _message(unknown.get(2, b""), schema)
    except (ValueError, UnicodeDecodeError) as e:
        raise bad_request(f"the protobuf body could not be decoded: {e}") from None
    return {"apiVersion": type_meta.get("apiVersion", ""), "kind": kind, **obj}
