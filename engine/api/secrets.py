"""A Secret's values as text: `data` base64-decoded, plus any `stringData` the server has not merged yet."""

from __future__ import annotations

import base64
import binascii

from engine.jsonobj import Obj


def decode_secret(secret: Obj) -> dict[str, str]:
    """Key → text; a value that is not valid base64 reads as empty, undecodable bytes as U+FFFD."""
    out: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            out[key] = base64.b64decode(str(value or "")).decode(errors="replace")
        except (binascii.Error, ValueError):
            out[key] = ""
    out.update({k: str(v) for k, v in (secret.get("stringData") or {}).items()})
    return out
