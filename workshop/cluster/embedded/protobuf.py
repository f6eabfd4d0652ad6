"""Kubernetes protobuf bodies (`application/vnd.kubernetes.protobuf`): the `k8s\\0` envelope around runtime.Unknown,
decoded into (and encoded from) the JSON objects the rest of the server uses.

The message layouts come from `k8s_protobuf.json`, a table generated from the Kubernetes Go API types by
`tools/gen_k8s_protobuf.py` (field numbers, value types, JSON names, pointer and omitempty flags), so every built-in
kind client-go sends is decoded the same generic way. JSON output follows Go's `encoding/json` of the decoded struct:
zero values of `omitempty` fields are left out, pointer fields keep an explicit zero, unknown field numbers are
skipped like a proto decoder does. A malformed body or a field of the wrong wire type is a `ProtobufError`
(the server answers 400), never a crash.
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.jsonobj import Obj

from .errors import ApiError, bad_request

MAGIC = b"k8s\x00"
PROTOBUF = "application/vnd.kubernetes.protobuf"

#: field type → the wire type it must arrive with (0 varint, 1 64-bit, 2 length-delimited, 5 32-bit)
_WIRE = {"i": 0, "b": 0, "d": 1, "f": 5}
_MAX_DEPTH = 100


class ProtobufError(ValueError):
    """The body is not a well-formed protobuf encoding of the object it names."""


@lru_cache(maxsize=1)
def table() -> Obj:
    """The generated schema table (loaded on first use)."""
    return json.loads((Path(__file__).with_name("k8s_protobuf.json")).read_text())  # type: ignore[no-any-return]


def message_for(api_version: str, kind: str) -> str | None:
    """The protobuf message of a kind (`core/v1.Secret`); meta kinds such as DeleteOptions in every group."""
    kinds = table()["kinds"]
    found = kinds.get(api_version, {}).get(kind)
    if found is None and kind in ("DeleteOptions", "Status", "CreateOptions", "UpdateOptions", "PatchOptions",
                                  "GetOptions", "ListOptions", "APIGroupList", "APIResourceList", "APIVersions",
                                  "APIGroup"):
        found = kinds["meta.k8s.io/v1"][kind]
    return found  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------------- wire format

def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("proto: unexpected EOF")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError("proto: integer overflow")


def fields(buf: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) triples; value is an int (varint) or bytes."""
    out: list[tuple[int, int, Any]] = []
    pos = 0
    n = len(buf)
    while pos < n:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number <= 0:
            raise ProtobufError(f"proto: illegal tag {number} (wire type {wire})")
        value: Any
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > n:
                raise ProtobufError("proto: unexpected EOF")
            value, pos = buf[pos:pos + length], pos + length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > n:
                raise ProtobufError("proto: unexpected EOF")
            value, pos = buf[pos:pos + size], pos + size
        else:
            raise ProtobufError(f"proto: illegal wireType {wire}")
        out.append((number, wire, value))
    return out


def _signed(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


# ---------------------------------------------------------------------------------------------------- decoding

def _is_zero(value: Any) -> bool:
    return value is None or value is False or value == 0 or value == "" or value == [] or value == {}


def _wire_for(type_: Any) -> int:
    return _WIRE.get(type_, 2) if isinstance(type_, str) else 2


def _scalar(type_: str, wire: int, value: Any, name: str) -> Any:
    if type_ == "s":
        return value.decode("utf-8", "replace")
    if type_ == "i":
        return _signed(value)
    if type_ == "b":
        return bool(value)
    if type_ == "y":
        return base64.b64encode(value).decode()
    if type_ == "d":
        return struct.unpack("<d", value)[0]
    if type_ == "f":
        return struct.unpack("<f", value)[0]
    raise ProtobufError(f"proto: unknown type {type_} for field {name}")


def _go_duration(nanos: int) -> str:
    """Go's time.Duration.String()."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    n = abs(nanos)
    if n < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if n >= size:
                return sign + _trim(n / size if size > 1 else n) + unit
    secs, frac = divmod(n, 1_000_000_000)
    hours, rest = divmod(secs, 3600)
    minutes, seconds = divmod(rest, 60)
    s = _trim(seconds + frac / 1e9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{s}"
    if minutes:
        return f"{sign}{minutes}m{s}"
    return sign + s


def _trim(x: float) -> str:
    text = f"{x:.9f}".rstrip("0").rstrip(".")
    return text or "0"


def _parse_duration(text: str) -> int:
    import re

    units = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
             "h": 3_600_000_000_000}
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body == "0":
        return 0
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", body)
    if not parts or "".join(a + b for a, b in parts) != body:
        raise ProtobufError(f'time: invalid duration "{text}"')
    return sign * int(sum(float(num) * units[unit] for num, unit in parts))


def _time(buf: bytes, micro: bool) -> str | None:
    seconds = nanos = 0
    for number, wire, value in fields(buf):
        if wire != 0:
            raise ProtobufError(f"proto: wrong wireType = {wire} for field Time")
        if number == 1:
            seconds = _signed(value)
        elif number == 2:
            nanos = _signed(value)
    if seconds == 0 and nanos == 0:
        return None
    try:
        t = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ProtobufError(f"proto: time {seconds}s is out of range") from None
    if micro:
        return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos // 1000:06d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _raw(buf: bytes, depth: int) -> Any:
    raw = b""
    for number, wire, value in fields(buf):
        if number == 1:
            if wire != 2:
                raise ProtobufError(f"proto: wrong wireType = {wire} for field Raw")
            raw = value
    if not raw:
        return None
    if raw.startswith(MAGIC):
        return decode_object(raw, depth + 1)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise ProtobufError(f"the embedded raw object is not valid JSON: {e}") from None


def _special(type_: str, buf: bytes, depth: int) -> Any:
    if type_ in ("@time", "@microtime"):
        return _time(buf, type_ == "@microtime")
    if type_ == "@raw":
        return _raw(buf, depth)
    if type_ == "@duration":
        nanos = 0
        for number, wire, value in fields(buf):
            if number == 1:
                if wire != 0:
                    raise ProtobufError(f"proto: wrong wireType = {wire} for field Duration")
                nanos = _signed(value)
        return _go_duration(nanos)
    if type_ == "@quantity":
        text = ""
        for number, wire, value in fields(buf):
            if number == 1:
                if wire != 2:
                    raise ProtobufError(f"proto: wrong wireType = {wire} for field String_")
                text = value.decode("utf-8", "replace")
        return text
    if type_ == "@intorstr":
        kind, ival, sval = 0, 0, ""
        for number, wire, value in fields(buf):
            want = 2 if number == 3 else 0
            if number in (1, 2, 3) and wire != want:
                raise ProtobufError(f"proto: wrong wireType = {wire} for field IntOrString")
            if number == 1:
                kind = value
            elif number == 2:
                ival = _signed(value)
            elif number == 3:
                sval = value.decode("utf-8", "replace")
        return sval if kind == 1 else ival
    schema = "apiextensions/v1.JSONSchemaProps"
    got: Obj = {}
    for number, wire, value in fields(buf):
        if wire != (0 if type_ == "@schemaorbool" and number == 1 else 2):
            raise ProtobufError(f"proto: wrong wireType = {wire} for field {type_[1:]}")
        if type_ == "@schemaorarray":
            if number == 1:
                got["schema"] = _message(value, schema, depth + 1)
            elif number == 2:
                got.setdefault("array", []).append(_message(value, schema, depth + 1))
        elif type_ == "@schemaorbool":
            if number == 1:
                got["allows"] = bool(value)
            elif number == 2:
                got["schema"] = _message(value, schema, depth + 1)
        elif type_ == "@schemaorstrings":
            if number == 1:
                got["schema"] = _message(value, schema, depth + 1)
            elif number == 2:
                got.setdefault("array", []).append(value.decode("utf-8", "replace"))
    if "array" in got:
        return got["array"]
    if "schema" in got:
        return got["schema"]
    return got.get("allows", [] if type_ != "@schemaorbool" else False)


def _value(type_: Any, wire: int, value: Any, name: str, depth: int) -> Any:
    if isinstance(type_, list):
        if type_[0] == "map":
            key, val = "", None
            for number, w, v in fields(value):
                if number == 1:
                    if w != 2:
                        raise ProtobufError(f"proto: wrong wireType = {w} for field {name} key")
                    key = v.decode("utf-8", "replace")
                elif number == 2:
                    if w != _wire_for(type_[1]):
                        raise ProtobufError(f"proto: wrong wireType = {w} for field {name} value")
                    val = _value(type_[1], w, v, name, depth)
            if val is None:
                val = _zero(type_[1])
            return key, val
        items = []
        for number, w, v in fields(value):  # a wrapped named slice: {repeated items = 1}
            if number == 1:
                if w != _wire_for(type_[1]):
                    raise ProtobufError(f"proto: wrong wireType = {w} for field {name} items")
                items.append(_value(type_[1], w, v, name, depth))
        return items
    if type_.startswith("@"):
        return _special(type_, value, depth)
    if len(type_) == 1:
        return _scalar(type_, wire, value, name)
    return _message(value, type_, depth + 1)


def _zero(type_: Any) -> Any:
    if isinstance(type_, list):
        return {} if type_[0] == "map" else []
    return {"s": "", "i": 0, "b": False, "y": "", "d": 0.0, "f": 0.0, "@quantity": "0", "@intorstr": 0}.get(type_, {})


def _message(buf: bytes, name: str, depth: int = 0) -> Obj:
    if depth > _MAX_DEPTH:
        raise ProtobufError("proto: message nested too deeply")
    schema = table()["messages"].get(name)
    if schema is None:
        raise ProtobufError(f"no protobuf schema for {name}")
    obj: Obj = {}
    for number, wire, value in fields(buf):
        spec = schema.get(str(number))
        if spec is None:
            continue  # unknown field: skipped, like a proto decoder
        jname, type_, flags = spec
        want = _wire_for(type_)
        packed = "r" in flags and want in (0, 1, 5) and wire == 2
        if wire != want and not packed:
            raise ProtobufError(f"proto: wrong wireType = {wire} for field {jname or type_}")
        if packed:
            pos, values = 0, []
            while pos < len(value):
                if want == 0:
                    v, pos = _varint(value, pos)
                else:
                    size = 8 if want == 1 else 4
                    v, pos = value[pos:pos + size], pos + size
                values.append(_scalar(type_, want, v, jname))
            obj.setdefault(jname, []).extend(values)
            continue
        decoded = _value(type_, wire, value, jname, depth)
        if "n" in flags:
            obj.update(decoded)
        elif isinstance(type_, list) and type_[0] == "map":
            key, val = decoded
            obj.setdefault(jname, {})[key] = val
        elif "r" in flags:
            obj.setdefault(jname, []).append(decoded)
        else:
            obj[jname] = decoded
    for jname, type_, flags in schema.values():
        if jname in obj and "o" in flags and "p" not in flags and "n" not in flags:
            v = obj[jname]
            is_msg = isinstance(type_, str) and len(type_) > 1 and not type_.startswith("@")
            if v is None or (not is_msg and _is_zero(v)):
                del obj[jname]
        elif jname in obj and obj[jname] is None:
            del obj[jname]
    return obj


def decode_object(body: bytes, depth: int = 0) -> Obj:
    """The JSON form of one `k8s\\0`-enveloped object (raises ProtobufError)."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the protobuf body does not start with the k8s envelope")
    envelope = {n: v for n, w, v in fields(body[len(MAGIC):]) if w == 2}
    type_meta = {n: v.decode("utf-8", "replace") for n, w, v in fields(envelope.get(1, b"")) if w == 2}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    name = message_for(api_version, kind)
    if name is None:
        raise ApiError(415, "UnsupportedMediaType", f"the server cannot decode {kind or 'this object'} "
                       f"({api_version or 'no apiVersion'}) from protobuf: it has no protobuf schema for it "
                       "(custom resources are JSON only); send it as JSON")
    obj = _message(envelope.get(2, b""), name, depth)
    out: Obj = {}
    if api_version:
        out["apiVersion"] = api_version
    if kind:
        out["kind"] = kind
    out.update(obj)
    return out


def decode(body: bytes, kind: str | None = None) -> Obj:
    """A request body's object; 400 BadRequest (naming the expected kind) when it is malformed."""
    try:
        return decode_object(body)
    except ProtobufError as e:
        if kind:
            raise bad_request(f"the object provided is unrecognized (must be of type {kind}): {e}") from None
        raise bad_request(f"the body of the request could not be decoded from protobuf: {e}") from None
    except RecursionError:
        raise bad_request("the protobuf body is nested too deeply") from None


# ---------------------------------------------------------------------------------------------------- encoding

def _key(number: int, wire: int) -> bytes:
    return _put_varint(number << 3 | wire)


def _put_varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _len(number: int, payload: bytes) -> bytes:
    return _key(number, 2) + _put_varint(len(payload)) + payload


def _parse_time(text: Any) -> tuple[int, int]:
    if not isinstance(text, str):
        raise ProtobufError(f"cannot encode {text!r} as a time")
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ProtobufError(f"cannot encode {text!r} as a time") from None
    seconds = int(t.timestamp())
    return seconds, t.microsecond * 1000


def _encode_special(type_: str, value: Any) -> bytes:
    if type_ in ("@time", "@microtime"):
        seconds, nanos = _parse_time(value)
        out = _key(1, 0) + _put_varint(seconds)
        return out + (_key(2, 0) + _put_varint(nanos) if nanos and type_ == "@microtime" else b"")
    if type_ == "@raw":
        return _len(1, json.dumps(value, separators=(",", ":")).encode())
    if type_ == "@duration":
        return _key(1, 0) + _put_varint(_parse_duration(str(value)))
    if type_ == "@quantity":
        return _len(1, str(value).encode())
    if type_ == "@intorstr":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ProtobufError(f"cannot encode {value!r} as an int-or-string")
        if isinstance(value, int):
            return _key(1, 0) + _put_varint(0) + _key(2, 0) + _put_varint(value) + _len(3, b"")
        return _key(1, 0) + _put_varint(1) + _key(2, 0) + _put_varint(0) + _len(3, value.encode())
    schema = "apiextensions/v1.JSONSchemaProps"
    if type_ == "@schemaorbool":
        if isinstance(value, bool):
            return _key(1, 0) + _put_varint(int(value))
        return _key(1, 0) + _put_varint(1) + _len(2, encode_message(value, schema))
    if isinstance(value, list):
        if type_ == "@schemaorstrings":
            return b"".join(_len(2, str(v).encode()) for v in value)
        return b"".join(_len(2, encode_message(v, schema)) for v in value)
    return _len(1, encode_message(value, schema))


def _encode_value(number: int, type_: Any, value: Any) -> bytes:
    if isinstance(type_, list):
        if type_[0] == "wrap":
            return _len(number, b"".join(_encode_value(1, type_[1], v) for v in value or []))
        raise ProtobufError("a map value cannot be encoded here")
    if type_ == "s":
        if not isinstance(value, str):
            raise ProtobufError(f"cannot encode {value!r} as a string")
        return _len(number, value.encode())
    if type_ in ("i", "b"):
        if not isinstance(value, (int, float)) or isinstance(value, float) and not value.is_integer():
            raise ProtobufError(f"cannot encode {value!r} as an integer")
        return _key(number, 0) + _put_varint(int(value))
    if type_ == "y":
        return _len(number, base64.b64decode(value or ""))
    if type_ == "d":
        return _key(number, 1) + struct.pack("<d", float(value))
    if type_ == "f":
        return _key(number, 5) + struct.pack("<f", float(value))
    if type_.startswith("@"):
        return _len(number, _encode_special(type_, value))
    if not isinstance(value, dict):
        raise ProtobufError(f"cannot encode {value!r} as {type_}")
    return _len(number, encode_message(value, type_))


def encode_message(obj: Obj, name: str) -> bytes:
    """The protobuf encoding of a JSON object as message `name` (fields it has no number for are dropped)."""
    schema = table()["messages"][name]
    out = bytearray()
    for number_text, (jname, type_, flags) in sorted(schema.items(), key=lambda kv: int(kv[0])):
        number = int(number_text)
        if "n" in flags:
            out += _len(number, encode_message(obj, type_))
            continue
        value = obj.get(jname)
        if value is None:
            continue
        if isinstance(type_, list) and type_[0] == "map":
            if not isinstance(value, dict):
                raise ProtobufError(f"cannot encode {jname} as a map")
            for k in sorted(value):
                entry = _len(1, str(k).encode()) + _encode_value(2, type_[1], value[k])
                out += _len(number, entry)
        elif "r" in flags:
            if not isinstance(value, list):
                raise ProtobufError(f"cannot encode {jname} as a list")
            for item in value:
                out += _encode_value(number, type_, item)
        else:
            out += _encode_value(number, type_, value)
    return bytes(out)


def encode(obj: Obj) -> bytes | None:
    """The `k8s\\0` envelope for a JSON object, or None when its kind has no protobuf message (custom resources)."""
    api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    name = message_for(api_version, kind)
    if name is None:
        return None
    try:
        raw = encode_message(obj, name)
    except (ProtobufError, ValueError, TypeError, KeyError):
        return None
    type_meta = _len(1, api_version.encode()) + _len(2, kind.encode())
    return MAGIC + _len(1, type_meta) + _len(2, raw) + _len(3, b"") + _len(4, b"")
