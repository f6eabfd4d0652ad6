"""Reading a kustomization file: kustomize's strict field decoding, legacy fix-ups and deprecation notes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import KustomizeError
from .loader import Loader
from .yamlio import load_mapping

KUSTOMIZATION_VERSION = "kustomize.config.k8s.io/v1beta1"
COMPONENT_VERSION = "kustomize.config.k8s.io/v1alpha1"

# Go types of the Kustomization struct, as kustomize v5.5 decodes it (json tags, DisallowUnknownFields).
_STR, _BOOL, _INT, _ANY = "string", "bool", "int64", "any"
_STRS = ("list", _STR)
_STRMAP = ("map", _STR)
_FIELDSPEC = (
    "struct",
    "FieldSpec",
    {"group": _STR, "version": _STR, "kind": _STR, "path": _STR, "create": _BOOL},
)
_SELECTOR = (
    "struct",
    "Selector",
    {
        k: _STR
        for k in ("group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector")
    },
)
_PATCH = ("struct", "Patch", {"path": _STR, "patch": _STR, "target": _SELECTOR, "options": ("map", _BOOL)})
_GEN_OPTIONS = (
    "struct",
    "GeneratorOptions",
    {"labels": _STRMAP, "annotations": _STRMAP, "disableNameSuffixHash": _BOOL, "immutable": _BOOL},
)
_GEN_ARGS = {
    "namespace": _STR,
    "name": _STR,
    "behavior": _STR,
    "literals": _STRS,
    "files": _STRS,
    "envs": _STRS,
    "env": _STR,
    "options": _GEN_OPTIONS,
}
_IMAGE = (
    "struct",
    "Image",
    {"name": _STR, "newName": _STR, "newTag": _STR, "digest": _STR, "tagSuffix": _STR},
)
_LABEL = (
    "struct",
    "Label",
    {"pairs": _STRMAP, "includeSelectors": _BOOL, "includeTemplates": _BOOL, "fields": ("list", _FIELDSPEC)},
)
_VAR = (
    "struct",
    "Var",
    {
        "name": _STR,
        "objref": (
            "struct",
            "Target",
            {
                "group": _STR,
                "version": _STR,
                "kind": _STR,
                "name": _STR,
                "namespace": _STR,
                "apiVersion": _STR,
            },
        ),
        "fieldref": ("struct", "FieldSelector", {"fieldpath": _STR}),
    },
)
SCHEMA: dict[str, Any] = {
    "apiVersion": _STR,
    "kind": _STR,
    "metadata": _ANY,
    "openapi": _STRMAP,
    "namePrefix": _STR,
    "nameSuffix": _STR,
    "namespace": _STR,
    "commonLabels": _STRMAP,
    "labels": ("list", _LABEL),
    "commonAnnotations": _STRMAP,
    "patchesStrategicMerge": _STRS,
    "patchesJson6902": ("list", _PATCH),
    "patches": ("list", _PATCH),
    "images": ("list", _IMAGE),
    "imageTags": ("list", _IMAGE),
    "replacements": ("list", _ANY),
    "replicas": ("list", ("struct", "Replica", {"name": _STR, "count": _INT})),
    "vars": ("list", _VAR),
    "sortOptions": (
        "struct",
        "SortOptions",
        {
            "order": _STR,
            "legacySortOptions": ("struct", "LegacySortOptions", {"orderFirst": _STRS, "orderLast": _STRS}),
        },
    ),
    "resources": _STRS,
    "components": _STRS,
    "crds": _STRS,
    "bases": _STRS,
    "configMapGenerator": ("list", ("struct", "ConfigMapArgs", _GEN_ARGS)),
    "secretGenerator": ("list", ("struct", "SecretArgs", {**_GEN_ARGS, "type": _STR})),
    "helmGlobals": _ANY,
    "helmCharts": ("list", _ANY),
    "helmChartInflationGenerator": ("list", _ANY),
    "generatorOptions": _GEN_OPTIONS,
    "configurations": _STRS,
    "generators": _STRS,
    "transformers": _STRS,
    "validators": _STRS,
    "buildMetadata": _STRS,
}

_DEPRECATED = (
    ("bases", "resources"),
    ("commonLabels", "labels"),
    ("imageTags", "images"),
    ("patchesJson6902", "patches"),
    ("patchesStrategicMerge", "patches"),
    ("vars", "replacements"),
)
BUILTIN_OPENAPI_VERSIONS = ("v1.21.2",)


class _Yaml11Loader(yaml.SafeLoader):
    """YAML 1.1 scalar typing (y/n/yes/no/on/off are booleans), as sigs.k8s.io/yaml reads a kustomization."""

    bool_values = {**yaml.SafeLoader.bool_values, "y": True, "n": False}


_Yaml11Loader.yaml_implicit_resolvers = {
    k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml11Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
    list("yYnNtTfFoO"),
)


def _yaml11(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Yaml11Loader)
    except (yaml.YAMLError, ValueError, TypeError):
        return None


def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null" if v is None else "string"


def _go_type(t: Any) -> str:
    if isinstance(t, str):
        return {"any": "interface {}"}.get(t, t)
    if t[0] == "list":
        return "[]" + _go_type(t[1])
    if t[0] == "map":
        return "map[string]" + _go_type(t[1])
    return "types." + t[1]


class _Decoder:
    """Mimics encoding/json with DisallowUnknownFields on the YAML->JSON form: the first error wins."""

    def __init__(self) -> None:
        self.error: str | None = None

    def fail(self, msg: str) -> None:
        if self.error is None:
            self.error = msg

    def check(self, value: Any, t: Any, struct: str, fieldpath: str, *, in_container: bool = False) -> Any:
        """Report type errors; returns the value with nulls inside lists/maps turned into Go zero values."""
        if value is None:
            if not in_container:
                return None
            if isinstance(t, str):
                return {_STR: "", _BOOL: False, _INT: 0}.get(t)
            return {} if t[0] == "struct" else None
        if t == _ANY:
            return value
        kind = _json_kind(value)
        mismatch = (
            f"json: cannot unmarshal {kind} into Go struct field {struct}.{fieldpath} of type {_go_type(t)}"
        )
        if t == _STR:
            if kind != "string":
                self.fail(mismatch)
            return value
        if t == _BOOL:
            if kind != "bool":
                self.fail(mismatch)
            return value
        if t == _INT:
            if kind != "number" or isinstance(value, float) and not value.is_integer():
                self.fail(mismatch)
            return value
        if t[0] == "list":
            if kind != "array":
                self.fail(mismatch)
                return value
            return [self.check(v, t[1], struct, fieldpath, in_container=True) for v in value]
        if t[0] == "map":
            if kind != "object":
                self.fail(mismatch)
                return value
            return {str(k): self.check(v, t[1], struct, fieldpath, in_container=True) for k, v in value.items()}
        if kind != "object":
            self.fail(mismatch)
            return value
        fields = t[2]
        out: dict[str, Any] = {}
        for k in sorted(value, key=str):
            ks = str(k)
            if ks not in fields:
                self.fail(f'json: unknown field "{ks}"')
                continue
            out[ks] = self.check(value[k], fields[ks], t[1], f"{fieldpath}.{ks}")
        return {k: out[str(k)] if str(k) in out else v for k, v in value.items()}


@dataclass
class Kustomization:
    """A decoded kustomization file."""

    data: dict[str, Any]
    root: str
    file_name: str
    warnings: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.data.get("kind") or "Kustomization"

    @property
    def path(self) -> str:
        return f"{self.root}/{self.file_name}"

    def get(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key)
        return default if value is None else value


def _decode(raw: dict[str, Any]) -> dict[str, Any]:
    dec = _Decoder()
    out: dict[str, Any] = {}
    for key in sorted(raw, key=str):
        ks = str(key)
        if ks not in SCHEMA:
            dec.fail(f'json: unknown field "{ks}"')
            continue
        out[ks] = dec.check(raw[key], SCHEMA[ks], "Kustomization", ks)
    if dec.error:
        raise KustomizeError(f"invalid Kustomization: {dec.error}")
    return out


def load_kustomization(ldr: Loader) -> Kustomization:
    """Find, parse and validate the kustomization file in `ldr.root`."""
    name = ldr.kustomization_file()
    path = f"{ldr.root}/{name}"
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise KustomizeError(f"cannot read kustomization file {path}: {e}", path=path) from None
    raw = load_mapping(text, source=path)
    raw = {str(k): v for k, v in raw.items()}
    # Legacy: imageTags is read as images; a `patches` list of plain strings means patchesStrategicMerge.
    if "imageTags" in raw and "images" not in raw:
        raw["images"] = raw.pop("imageTags")
    patches = raw.get("patches")
    if isinstance(patches, list) and patches and all(isinstance(p, str) for p in patches):
        raw["patchesStrategicMerge"] = raw.pop("patches")
    typed = _yaml11(text)
    if isinstance(typed, dict):
        typed = {str(k): v for k, v in typed.items()}
        if "imageTags" in typed and "images" not in typed:
            typed["images"] = typed.pop("imageTags")
        if "patchesStrategicMerge" in raw and "patches" in typed and "patchesStrategicMerge" not in typed:
            typed["patchesStrategicMerge"] = typed.pop("patches")
    try:
        _decode(typed if isinstance(typed, dict) else raw)
        raw = _decode(raw)
    except KustomizeError as e:
        raise KustomizeError(e.message, path=path) from None
    warnings = [
        f"# Warning: '{old}' is deprecated. Please use '{new}' instead."
        + (" [EXPERIMENTAL]" if old == "vars" else "")
        + " Run 'kustomize edit fix' to update your Kustomization automatically."
        for old, new in _DEPRECATED
        if raw.get(old) is not None
    ]
    if all(raw.get(k) is None for k in SCHEMA if k not in ("apiVersion", "kind")):
        raise KustomizeError("kustomization.yaml is empty", path=path)
    errs = []
    kind = raw.get("kind") or ""
    if kind and kind not in ("Kustomization", "Component"):
        errs.append("kind should be Kustomization or Component")
    required = COMPONENT_VERSION if kind == "Component" else KUSTOMIZATION_VERSION
    api_version = raw.get("apiVersion") or ""
    if api_version and api_version != required:
        errs.append(f"apiVersion for {kind or 'Kustomization'} should be {required}")
    if errs:
        raise KustomizeError(
            f"Failed to read kustomization file under {ldr.root}:\n" + "\n".join(errs), path=path
        )
    return Kustomization(data=raw, root=ldr.root, file_name=name, warnings=warnings)


def check_openapi(k: Kustomization, ldr: Loader) -> None:
    """The `openapi` field: a builtin schema version, or a schema file inside the root."""
    openapi = k.get("openapi", {})
    version = openapi.get("version")
    if version and version not in BUILTIN_OPENAPI_VERSIONS:
        raise KustomizeError("the specified OpenAPI version is not built in", path=k.path)
    if openapi.get("path"):
        ldr.resolve_file(openapi["path"])


def go_yaml(value: Any) -> str:
    """A config echoed into an error message the way kustomize marshals it (block YAML)."""
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=False, allow_unicode=True)


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
