"""A HelmRelease's values: `valuesFrom` ConfigMaps/Secrets merged in order, then inline `spec.values` (Flux's ChartValuesFromReferences).

Plain entries are YAML documents deep-merged (maps recursively, anything else replaced); an entry with
`targetPath` first merges the inline values into the result, then sets its raw value at the dotted path with
Helm's `--set` rules. Inline values are merged last, so they beat plain `valuesFrom` entries.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import yaml

from engine.client import ApiError, Client
from engine.helm import sdk

Values = dict[str, Any]
DEFAULT_KEY = "values.yaml"


class ValuesError(Exception):
    """A values reference could not be resolved; the message is Flux's."""


def merge(base: Values, override: Values) -> Values:
    """Helm's MergeMaps: maps merged recursively, every other value replaced by the override's."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _describe(ref: Values, namespace: str) -> str:
    optional = "optional " if ref.get("optional") else ""
    return (f"could not resolve {optional}{ref.get('kind', '')} chart values reference "
            f"'{namespace}/{ref.get('name', '')}' with key '{ref.get('valuesKey') or DEFAULT_KEY}'")


def _read(client: Client, ref: Values, namespace: str) -> str | None:
    """The raw text under the reference's key; None when optional and missing; ValuesError otherwise."""
    kind, name, key = ref.get("kind", ""), ref.get("name", ""), ref.get("valuesKey") or DEFAULT_KEY
    if kind not in ("ConfigMap", "Secret"):
        raise ValuesError(f"{_describe(ref, namespace)}: unsupported values reference kind")
    try:
        obj = client.get("v1", kind, name, namespace)
    except ApiError as err:
        raise ValuesError(f"{_describe(ref, namespace)}: {err}") from None
    if obj is None:
        if ref.get("optional"):
            return None
        raise ValuesError(f'{_describe(ref, namespace)}: {kind.lower()}s "{name}" not found')
    if kind == "ConfigMap":
        data = obj.get("data") or {}
        if key in data:
            return str(data[key])
        binary = obj.get("binaryData") or {}
        if key in binary:
            return base64.b64decode(binary[key]).decode(errors="replace")
    else:
        data = obj.get("data") or {}
        if key in data:
            return base64.b64decode(data[key]).decode(errors="replace")
        if key in (obj.get("stringData") or {}):
            return str(obj["stringData"][key])
    if ref.get("optional"):
        return None
    raise ValuesError(f"{_describe(ref, namespace)}: key not found")


def compose(client: Client, namespace: str, values_from: list[Values], inline: Values | None) -> Values:
    """The values a release gets (Flux's chartutil.ChartValuesFromReferences)."""
    result: Values = {}
    inline = inline or {}
    for ref in values_from:
        text = _read(client, ref, namespace)
        if text is None:
            continue
        path = ref.get("targetPath")
        if path:
            result = merge(result, inline)
            try:
                result = merge(result, sdk.set_value(path, text.strip("\n") if not ref.get("literal") else text,
                                                     literal=bool(ref.get("literal"))))
            except sdk.HelmSdkError as err:
                raise ValuesError(f"{_describe(ref, namespace)}: failed to set value at '{path}': {err}") from None
            continue
        try:
            doc = yaml.safe_load(text) if text.strip() else {}
        except yaml.YAMLError as err:
            raise ValuesError(f"{_describe(ref, namespace)}: {err}") from None
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise ValuesError(f"{_describe(ref, namespace)}: failed to merge value: not a YAML map")
        result = merge(result, doc)
    return merge(result, inline)

