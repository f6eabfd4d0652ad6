"""Is a server-side apply of an object certain to change nothing? Then its dry-run can be skipped.

kustomize-controller dry-runs every object and compares the result with the live object. When the live object
already holds every field of the desired one with the same value, and every field this field manager owns
(its `managedFields` entry) is still in the desired object, applying it again can neither set nor remove
anything: the dry-run would return the live object. This check is deliberately strict: whenever it cannot prove
"no change" (a defaulted list item that differs, a value the server normalises, an unknown field-set key) it
answers False and the normal dry-run decides.
"""

from __future__ import annotations

import json
from typing import Any

from engine.jsonobj import Obj

_IGNORED_META = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink")


def already_applied(desired: Obj, live: Obj | None, field_manager: str) -> bool:
    """True only when applying `desired` as `field_manager` would leave `live` as it is."""
    if not live or (live.get("metadata") or {}).get("deletionTimestamp"):
        return False
    entries = [e for e in (live.get("metadata") or {}).get("managedFields") or []
               if e.get("manager") == field_manager]
    if len(entries) != 1 or entries[0].get("operation") != "Apply" or \
            entries[0].get("apiVersion") != desired.get("apiVersion"):
        return False
    want = {k: v for k, v in desired.items() if k != "status"}
    want["metadata"] = {k: v for k, v in (desired.get("metadata") or {}).items() if k not in _IGNORED_META}
    if not _subset(want, live):
        return False
    return _owned_present(entries[0].get("fieldsV1") or {}, want, live)


def _subset(want: Any, have: Any) -> bool:
    """Every field of `want` is in `have` with the same value (lists: same length, item by item)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and _subset(v, have[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(map(_subset, want, have))
    if isinstance(want, bool) or isinstance(have, bool):
        return want is have
    return type(want) is type(have) and want == have


def _owned_present(fields: Obj, want: Any, have: Any) -> bool:
    """Every field in the manager's field set (FieldsV1) is still in `want` (nothing would be removed)."""
    for key, sub in fields.items():
        if key == ".":
            continue
        prefix, _, name = key.partition(":")
        if prefix == "f":
            if not isinstance(want, dict) or name not in want:
                return False
            if sub and not _owned_present(sub, want[name], (have or {}).get(name) if isinstance(have, dict) else None):
                return False
        elif prefix == "k":
            index = _keyed_index(name, have)
            if index is None or not isinstance(want, list) or index >= len(want):
                return False
            if sub and not _owned_present(sub, want[index], have[index]):
                return False
        elif prefix == "v":
            if not isinstance(want, list) or json.loads(name) not in want:
                return False
        else:  # "i:" and anything newer: not proven
            return False
    return True


def _keyed_index(key_json: str, have: Any) -> int | None:
    """The index of the live list item whose fields match a `k:{…}` key."""
    try:
        keys = json.loads(key_json)
    except ValueError:
        return None
    if not isinstance(have, list) or not isinstance(keys, dict):
        return None
    for i, item in enumerate(have):
        if isinstance(item, dict) and all(item.get(k) == v for k, v in keys.items()):
            return i
    return None
