"""configMapGenerator / secretGenerator: kustomize's ConfigMap and Secret generators (api/kv, api/internal/generators)."""

from __future__ import annotations

import base64
from typing import Any, Protocol

from engine.kustomize.errors import KustomizeError

_BOM = "\ufeff"
_LINE_WIDTH = 70
_BEHAVIORS = ("create", "merge", "replace")
_ARG_FIELDS = frozenset(
    ("name", "namespace", "behavior", "literals", "files", "envs", "env", "options", "type")
)
_OPTION_FIELDS = frozenset(("labels", "annotations", "disableNameSuffixHash", "immutable"))


class FileLoader(Protocol):
    """Reads a generator input file, relative to the kustomization directory, under the load restrictor."""

    def load_bytes(self, path: str) -> bytes:
        """The file's bytes; raises KustomizeError when it is missing or outside the kustomization root."""
        ...


def generate(kind: str, args: dict, loader: FileLoader, generator_options: dict | None = None) -> dict:
    """The ConfigMap or Secret one generator entry produces (name without hash suffix; no behavior handling)."""
    if kind not in ("ConfigMap", "Secret"):
        raise KustomizeError(f"cannot generate a {kind}: generators make ConfigMaps and Secrets")
    field = "configMapGenerator" if kind == "ConfigMap" else "secretGenerator"
    _check_args(field, args)
    name = args["name"]
    options = merge_options(args.get("options"), generator_options, where=f"{field} '{name}'")
    pairs = load_pairs(name, args, loader)
    meta: dict[str, Any] = {"name": name}
    if args.get("namespace"):
        meta["namespace"] = _string(args["namespace"], f"{field} '{name}': namespace")
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": meta}
    if kind == "Secret":
        obj["type"] = _string(args.get("type") or "Opaque", f"{field} '{name}': type")
        obj["data"] = {key: encode_base64(value) for key, value in pairs.items()}
    else:
        if args.get("type"):
            raise KustomizeError(f"{field} '{name}': 'type' is only valid for a secretGenerator")
        data: dict[str, str] = {}
        binary: dict[str, str] = {}
        for key, value in pairs.items():
            if isinstance(value, bytes):
                binary[key] = encode_base64(value)
            else:
                data[key] = value
        if data:
            obj["data"] = data
        if binary:
            obj["binaryData"] = binary
    if options.get("labels"):
        meta["labels"] = dict(options["labels"])
    if options.get("annotations"):
        meta["annotations"] = dict(options["annotations"])
    if options.get("immutable"):
        obj["immutable"] = True
    return obj


def needs_hash_suffix(args: dict, generator_options: dict | None = None) -> bool:
    """Whether the generated name gets the content hash (a global disableNameSuffixHash: true always wins)."""
    local = args.get("options") or {}
    return not (local.get("disableNameSuffixHash") or (generator_options or {}).get("disableNameSuffixHash"))


def merge_options(local: dict | None, global_options: dict | None, *, where: str = "generator") -> dict:
    """Per-generator options over generatorOptions: local labels/annotations win; true flags are sticky."""
    for label, opts in (("options", local), ("generatorOptions", global_options)):
        if opts is None:
            continue
        if not isinstance(opts, dict):
            raise KustomizeError(f"{where}: {label} must be a mapping, got {_kind(opts)}")
        unknown = sorted(set(opts) - _OPTION_FIELDS)
        if unknown:
            raise KustomizeError(
                f'{where}: unknown field "{unknown[0]}" in {label}; '
                "allowed: labels, annotations, disableNameSuffixHash, immutable"
            )
        for field in ("labels", "annotations"):
            value = opts.get(field)
            if value is not None and not (
                isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
            ):
                raise KustomizeError(
                    f"{where}: {label}.{field} must map names to string values (quote numbers)"
                )
    merged: dict[str, Any] = {}
    local = local or {}
    global_options = global_options or {}
    for field in ("labels", "annotations"):
        combined = {**(global_options.get(field) or {}), **(local.get(field) or {})}
        if combined:
            merged[field] = combined
    for flag in ("disableNameSuffixHash", "immutable"):
        if local.get(flag) or global_options.get(flag):
            merged[flag] = True
    return merged


def merge_generated(existing: dict, new: dict, behavior: str) -> dict:
    """`new` merged into or replacing `existing` (same id), as kustomize's generator behaviors do."""
    if behavior == "create":
        raise KustomizeError(f"id {_go_resid(new)} exists; behavior must be merge or replace")
    if behavior not in ("merge", "replace"):
        raise KustomizeError(f"unknown generator behavior '{behavior}': use create, merge or replace")
    old_meta = existing.get("metadata") or {}
    out = {k: v for k, v in new.items() if k != "metadata"}
    meta = {k: v for k, v in (new.get("metadata") or {}).items()}
    for field in ("labels", "annotations"):
        combined = {**(old_meta.get(field) or {}), **(meta.get(field) or {})}
        if combined:
            meta[field] = combined
        else:
            meta.pop(field, None)
    meta["name"] = old_meta.get("name")
    if old_meta.get("namespace"):
        meta["namespace"] = old_meta["namespace"]
    else:
        meta.pop("namespace", None)
    out["metadata"] = meta
    if behavior == "merge":
        for field in ("data", "binaryData"):
            combined = {**(existing.get(field) or {}), **(new.get(field) or {})}
            if combined or field in existing or field in new:
                out[field] = combined
    return out


def encode_base64(value: str | bytes) -> str:
    """Standard base64, cut into 70-character lines each ending in a newline once it reaches 70 characters."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    text = base64.b64encode(raw).decode("ascii")
    if len(text) < _LINE_WIDTH:
        return text
    return "".join(text[i : i + _LINE_WIDTH] + "\n" for i in range(0, len(text), _LINE_WIDTH))


def load_pairs(name: str, args: dict, loader: FileLoader) -> dict[str, str | bytes]:
    """Key/value pairs from env files, then literals, then files; bytes for file content that is not UTF-8."""
    pairs: list[tuple[str, str | bytes]] = []
    envs = _string_list(args.get("envs"), f"generator '{name}': envs")
    if args.get("env"):
        envs = [*envs, _string(args["env"], f"generator '{name}': env")]
    for env in envs:
        try:
            pairs.extend(parse_env_file(loader.load_bytes(env), source=env))
        except KustomizeError as err:
            raise KustomizeError(
                f"loading KV pairs: env source files: {_go_list(envs)}: {err.message}", path=err.path or env
            ) from None
    literals = _string_list(args.get("literals"), f"generator '{name}': literals")
    for literal in literals:
        try:
            pairs.append(parse_literal(literal))
        except KustomizeError as err:
            raise KustomizeError(
                f"loading KV pairs: literal sources {_go_list(literals)}: {err.message}"
            ) from None
    files = _string_list(args.get("files"), f"generator '{name}': files")
    for source in files:
        try:
            key, path = parse_file_source(source)
            content = loader.load_bytes(path)
        except KustomizeError as err:
            raise KustomizeError(
                f"loading KV pairs: file sources: {_go_list(files)}: {err.message}", path=err.path
            ) from None
        try:
            pairs.append((key, content.decode("utf-8")))
        except UnicodeDecodeError:
            pairs.append((key, content))
    known: dict[str, str | bytes] = {}
    for key, value in pairs:
        if key in known:
            raise KustomizeError(f"configmap {name} illegally repeats the key `{key}`")
        known[key] = value
    return known


def parse_literal(source: str) -> tuple[str, str]:
    """`key=value` split at the first '=', one pair of matching surrounding quotes removed from the value."""
    if source.startswith("=") or "=" not in source:
        raise KustomizeError(f"invalid literal source {source}, expected key=value")
    key, value = source.split("=", 1)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return key, value


def parse_file_source(source: str) -> tuple[str, str]:
    """A files entry: `path` (key = the file's base name) or `key=path`."""
    count = source.count("=")
    if count == 0:
        return source.rstrip("/").rsplit("/", 1)[-1] or source, source
    if count == 1 and source.startswith("="):
        raise KustomizeError(f"key name for file path {source[1:]} missing")
    if count == 1 and source.endswith("="):
        raise KustomizeError(f"file path for key name {source[:-1]} missing")
    if count > 1:
        raise KustomizeError("key names or file paths cannot contain '='")
    key, path = source.split("=", 1)
    return key, path


def parse_env_file(content: bytes, *, source: str) -> list[tuple[str, str]]:
    """KEY=value lines of an env file; blank and '#' lines skipped, leading whitespace dropped, the rest verbatim."""
    pairs: list[tuple[str, str]] = []
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise KustomizeError(f"{source}: line {number} has invalid utf8 bytes", path=source) from None
        if number == 1 and line.startswith(_BOM):
            line = line[1:]
        line = line.lstrip(" \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                           "\u200a\u2028\u2029\u202f\u205f\u3000")  # fmt: skip
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise KustomizeError(
                f"{source}: line {number}: '{line}' has no '=': kustomize would take the value from the "
                "environment of the process running the build, which a GitOps build must not depend on; "
                f"write '{line}=<value>'",
                path=source,
            )
        key, value = line.split("=", 1)
        if key:
            pairs.append((key, value))
    return pairs


def _check_args(field: str, args: Any) -> None:
    if not isinstance(args, dict):
        raise KustomizeError(f"{field} entries must be mappings with at least a name, got {_kind(args)}")
    name = args.get("name")
    if not isinstance(name, str) or not name:
        raise KustomizeError(f"{field} entry without a name: every generator needs 'name'")
    unknown = sorted(set(args) - _ARG_FIELDS)
    if unknown:
        raise KustomizeError(f"{field} '{name}': unknown field \"{unknown[0]}\"")
    behavior = args.get("behavior") or "create"
    if behavior not in _BEHAVIORS:
        raise KustomizeError(f"{field} '{name}': unknown behavior '{behavior}'; use create, merge or replace")


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise KustomizeError(f"{where} must be a string, got {_kind(value)}")
    return value


def _string_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KustomizeError(f"{where} must be a list of strings (quote values such as yes, 1 or 1.5)")
    return value


def _go_resid(obj: dict) -> str:
    """An object's id as kustomize prints a resid.ResId with %#v."""
    meta = obj.get("metadata") or {}
    return (
        f'resid.ResId{{Gvk:resid.Gvk{{Group:"", Version:"v1", Kind:"{obj.get("kind")}", isClusterScoped:false}}, '
        f'Name:"{meta.get("name", "")}", Namespace:"{meta.get("namespace", "")}"}}'
    )


def _go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"


def _kind(value: Any) -> str:
    return type(value).__name__
