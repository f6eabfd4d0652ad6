"""Reading a kustomization file: kustomize's strict field decoding, legacy fix-ups and deprecation notes."""

from __future__ import annotations

from typing import Any

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
_FIELD_OPTIONS = (
    "struct",
    "FieldOptions",
    {"delimiter": _STR, "index": _INT, "encoding": _STR, "create": _BOOL},
)
_ID_FIELDS = {k: _STR for k in ("group", "version", "kind", "name", "namespace")}
_REPLACEMENT = (
    "struct",
    "ReplacementField",
    {
        "path": _STR,
        "source": (
            "struct",
            "SourceSelector",
            {**_ID_FIELDS, "fieldPath": _STR, "options": _FIELD_OPTIONS},
        ),
        "targets": (
            "list",
            (
                "struct",
                "TargetSelector",
                {
                    "select": _SELECTOR,
                    "reject": ("list", _SELECTOR),
                    "fieldPaths": _STRS,
                    "options": _FIELD_OPTIONS,
                },
            ),
        ),
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
    "replacements": ("list", _REPLACEMENT),
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
            return {
                str(k): self.check(v, t[1], struct, fieldpath, in_container=True) for k, v in value.items()
            }
        if kind != "object":
            self.fail(mismatch)
            return value
        return self.struct(value, t[2], t[1], fieldpath)

    def struct(
        self, value: dict[Any, Any], fields: dict[str, Any], struct: str, prefix: str
    ) -> dict[str, Any]:
        """Decode a JSON object into a Go struct: keys in sorted order, each matched exactly or
        case-insensitively (encoding/json); a later key for the same field replaces a scalar or list
        and merges into a map or struct, as Go's decoder does."""
        out: dict[str, Any] = {}
        for k in sorted(value, key=str):
            ks = str(k)
            name = canonical_field(fields, ks)
            if name is None:
                self.fail(f'json: unknown field "{ks}"')
                continue
            path = f"{prefix}.{name}" if prefix else name
            decoded = self.check(value[k], fields[name], struct, path)
            earlier = out.get(name)
            if isinstance(earlier, dict) and isinstance(decoded, dict):
                decoded = {**earlier, **decoded}
            out[name] = decoded
        return out


def _fold(text: str) -> str:
    return text.lower().replace("\u212a", "k").replace("\u017f", "s")


def canonical_field(fields: dict[str, Any], key: str) -> str | None:
    """The struct field a JSON key sets: an exact match, else a case-insensitive one (Go's encoding/json)."""
    if key in fields:
        return key
    folded = _fold(key)
    for name in fields:
        if _fold(name) == folded:
            return name
    return None


class Kustomization:
    """A decoded kustomization file."""

    __slots__ = ("data", "root", "file_name", "warnings")

    def __init__(
        self, data: dict[str, Any], root: str, file_name: str, warnings: list[str] | None = None
    ) -> None:
        self.data = data
        self.root = root
        self.file_name = file_name
        self.warnings = [] if warnings is None else warnings

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
    out = dec.struct(raw, SCHEMA, "Kustomization", "")
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
    # Types are checked as go-yaml v2 reads the file (yes/no/on/off are booleans); the values used are
    # go-yaml v3's, like the rest of the build.
    typed = load_mapping(text, source=path, yaml11=True)
    try:
        _decode({str(k): v for k, v in typed.items()})
        raw = _decode(raw)
    except KustomizeError as e:
        raise KustomizeError(e.message, path=path) from None
    # Legacy: imageTags is read as images.
    if "imageTags" in raw and "images" not in raw:
        raw["images"] = raw.pop("imageTags")
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


def go_yaml(value: Any) -> str:
    """A config echoed into an error message the way kustomize marshals it (block YAML)."""
    import yaml

    return yaml.safe_dump(value, default_flow_style=False, sort_keys=False, allow_unicode=True)


def to_json(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"), sort_keys=True)
