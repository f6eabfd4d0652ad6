"""Builtin plugins configured in `generators:` / `transformers:` / `validators:` (apiVersion: builtin).

Each config object names a builtin kind (ConfigMapGenerator, LabelTransformer, ...) and carries the
fields of kustomize's plugin struct; they are decoded loosely as sigs.k8s.io/yaml does (unknown fields
ignored, names matched case-insensitively). External (exec/Go/KRM function) plugins are disabled, as in
`kubectl kustomize`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import KustomizeError
from .fieldspec import FieldSpec
from .kustfile import canonical_field
from .loader import Loader
from .origin import BUILTIN_API_VERSION
from .resmap import ResMap
from .resource import Resource

GENERATORS = frozenset(
    ("ConfigMapGenerator", "SecretGenerator", "IAMPolicyGenerator", "HelmChartInflationGenerator")
)
TRANSFORMERS = frozenset(
    (
        "AnnotationsTransformer",
        "HashTransformer",
        "ImageTagTransformer",
        "LabelTransformer",
        "NamespaceTransformer",
        "PatchJson6902Transformer",
        "PatchStrategicMergeTransformer",
        "PatchTransformer",
        "PrefixSuffixTransformer",
        "PrefixTransformer",
        "SuffixTransformer",
        "ReplacementTransformer",
        "ReplicaCountTransformer",
        "ValueAddTransformer",
    )
)

Transform = Callable[[ResMap], None]
Generate = Callable[[], list[Resource]]


def _go_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


class PluginConfig:
    """One plugin config object with Go-style, case-insensitive typed field access."""

    def __init__(self, res: Resource, struct: str) -> None:
        self.res = res
        self.obj = res.obj
        self.struct = struct

    @property
    def id_text(self) -> str:
        return str(self.res.cur_id())

    def raw(self, name: str, node: dict[str, Any] | None = None) -> Any:
        """The value of field `name`: keys matching it case-insensitively, the last in sorted order wins."""
        node = self.obj if node is None else node
        hits = sorted(k for k in node if isinstance(k, str) and canonical_field({name: None}, k) == name)
        return node[hits[-1]] if hits else None

    def _mismatch(self, value: Any, path: str, go_type: str) -> KustomizeError:
        return KustomizeError(
            f"json: cannot unmarshal {_go_kind(value)} into Go struct field {self.struct}.{path} of type {go_type}"
        )

    def string(self, name: str, node: dict[str, Any] | None = None, path: str = "") -> str:
        value = self.raw(name, node)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self._mismatch(value, path or name, "string")
        return value

    def boolean(self, name: str) -> bool:
        value = self.raw(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self._mismatch(value, name, "bool")
        return value

    def mapping(self, name: str, node: dict[str, Any] | None = None) -> dict[str, Any] | None:
        value = self.raw(name, node)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._mismatch(value, name, "map[string]string" if node is None else "struct")
        return value

    def string_map(self, name: str) -> dict[str, str]:
        value = self.mapping(name) or {}
        for v in value.values():
            if v is not None and not isinstance(v, str):
                raise self._mismatch(v, name, "string")
        return {str(k): "" if v is None else v for k, v in value.items()}

    def field_specs(self) -> list[FieldSpec] | None:
        value = self.raw("fieldSpecs")
        if value is None:
            return None
        if not isinstance(value, list):
            raise self._mismatch(value, "fieldSpecs", "[]types.FieldSpec")
        where = f"{self.id_text}: fieldSpecs"
        return [FieldSpec.from_dict(_plain_field_spec(f), where=where) for f in value]


def _plain_field_spec(f: Any) -> Any:
    """A field spec map with canonical key names (group/version/kind/path/create), others dropped."""
    if not isinstance(f, dict):
        return f
    fields = {"group": None, "version": None, "kind": None, "path": None, "create": None}
    out = {}
    for k in sorted(f, key=str):  # decoded loosely: unknown keys ignored, the last of equal keys wins
        name = canonical_field(fields, str(k))
        if name is not None:
            out[name] = f[k]
    return out


def _configure_error(cfg: PluginConfig, err: KustomizeError) -> KustomizeError:
    return KustomizeError(f"plugin {cfg.id_text} fails configuration: {err}", path=err.path)


def check_builtin(res: Resource, role: str) -> str:
    """The builtin kind a config names; errors as kubectl's plugin loader words them."""
    gvk = res.gvk
    if not (gvk.group == "" and gvk.version == BUILTIN_API_VERSION):
        raise KustomizeError(f"external plugins disabled; unable to load external plugin '{gvk.kind}'")
    if gvk.kind not in GENERATORS and gvk.kind not in TRANSFORMERS:
        raise KustomizeError(f"unable to load builtin {gvk}")
    if role == "generator" and gvk.kind not in GENERATORS:
        raise KustomizeError(f"plugin {res.cur_id()} not a generator")
    if role == "transformer" and gvk.kind not in TRANSFORMERS:
        raise KustomizeError(f"plugin {res.cur_id()} not a transformer")
    return gvk.kind


# -- generators ---------------------------------------------------------------------------------------


def make_generator(res: Resource, ldr: Loader) -> Generate:
    """A builtin generator configured from `res`; its call returns the generated resources."""
    kind = check_builtin(res, "generator")
    cfg = PluginConfig(res, f"{kind}Plugin")
    try:
        if kind in ("ConfigMapGenerator", "SecretGenerator"):
            return _configure_kv(cfg, kind[: -len("Generator")], ldr)
        if kind == "IAMPolicyGenerator":
            return _configure_iam(cfg)
        raise KustomizeError("must specify --enable-helm")
    except KustomizeError as e:
        raise _configure_error(cfg, e) from None


_KV_FIELDS = ("name", "namespace", "behavior", "literals", "files", "envs", "env", "options", "type")


def _configure_kv(cfg: PluginConfig, kind: str, ldr: Loader) -> Generate:
    from .generators import generate, needs_hash_suffix

    meta = cfg.mapping("metadata", cfg.obj) or {}
    args: dict[str, Any] = {}
    for name in _KV_FIELDS:
        if name == "type" and kind != "Secret":
            continue
        value = cfg.raw(name)
        if value is not None:
            args[name] = value
    options = args.get("options")
    if isinstance(options, dict):
        fields = {"labels": None, "annotations": None, "disableNameSuffixHash": None, "immutable": None}
        args["options"] = {canonical_field(fields, str(k)) or str(k): v for k, v in options.items()}
    for name in ("name", "namespace"):
        if not args.get(name) and isinstance(meta.get(name), str) and meta[name]:
            args[name] = meta[name]
    behavior = args.get("behavior") or "create"

    def run() -> list[Resource]:
        obj = generate(kind, args, ldr, None)
        res = Resource(obj)
        res.behavior = behavior
        res.needs_hash = needs_hash_suffix(args, None)
        return [res]

    return run


def _configure_iam(cfg: PluginConfig) -> Generate:
    cloud = cfg.string("cloud")
    service = cfg.mapping("kubernetesService", cfg.obj) or {}
    account = cfg.mapping("serviceAccount", cfg.obj) or {}
    ks_name = cfg.string("name", service, "kubernetesService.name")
    ks_namespace = cfg.string("namespace", service, "kubernetesService.namespace")
    sa_name = cfg.string("name", account, "serviceAccount.name")
    project = cfg.string("projectId", account, "serviceAccount.projectId")

    def run() -> list[Resource]:
        if cloud != "gke":
            raise KustomizeError(f"cloud provider {cloud} not supported yet")
        meta: dict[str, Any] = {
            "annotations": {"iam.gke.io/gcp-service-account": f"{sa_name}@{project}.iam.gserviceaccount.com"},
            "name": ks_name,
        }
        if ks_namespace:
            meta["namespace"] = ks_namespace
        return [Resource({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta})]

    return run


# -- transformers -------------------------------------------------------------------------------------


def make_transformer(res: Resource, ldr: Loader) -> Transform:
    """A builtin transformer configured from `res`."""
    kind = check_builtin(res, "transformer")
    cfg = PluginConfig(res, f"{kind}Plugin")
    try:
        return _CONFIGURE[kind](cfg, ldr)
    except KustomizeError as e:
        raise _configure_error(cfg, e) from None


def _pairs(cfg: PluginConfig, name: str, what: str) -> Transform:
    from .transformers.labels import add_pairs

    pairs = cfg.string_map(name)
    specs = cfg.field_specs() or []
    return lambda rm: add_pairs(rm, pairs, specs, what=what)


def _namespace(cfg: PluginConfig, _: Loader) -> Transform:
    from .transformers.namespace import SUBJECT_MODES, set_namespace

    meta = cfg.mapping("metadata", cfg.obj) or {}
    namespace = cfg.string("namespace", meta, "metadata.namespace")
    specs = cfg.field_specs() or []
    unset_only = cfg.boolean("unsetOnly")
    mode = cfg.string("setRoleBindingSubjects") or "defaultOnly"
    if mode not in SUBJECT_MODES:
        raise KustomizeError(
            f'invalid value "{mode}" for setRoleBindingSubjects: must be one of "defaultOnly", "none" or '
            '"allServiceAccounts"'
        )
    return lambda rm: set_namespace(rm, namespace, specs, unset_only=unset_only, subjects=mode)


def _affix(which: str) -> Callable[[PluginConfig, Loader], Transform]:
    def configure(cfg: PluginConfig, _: Loader) -> Transform:
        from .transformers.names import add_affix

        names = ("prefix", "suffix") if which == "both" else (which,)
        affixes = {n: cfg.string(n) for n in names}
        specs = cfg.field_specs()
        if specs is None:
            raise KustomizeError("fieldSpecs is not expected to be nil")

        def run(rm: ResMap) -> None:
            for n in names:
                add_affix(rm, affixes[n], specs, suffix=n == "suffix")

        return run

    return configure


def _image_tag(cfg: PluginConfig, _: Loader) -> Transform:
    from .transformers.images import ImageUpdater, update_images

    raw = cfg.mapping("imageTag", cfg.obj) or {}
    fields = {k: None for k in ("name", "newName", "newTag", "digest", "tagSuffix")}
    entry = {canonical_field(fields, str(k)) or str(k): v for k, v in raw.items()}
    for k in fields:
        cfg.string(k, entry, f"imageTag.{k}")
    specs = cfg.field_specs() or []
    updater = ImageUpdater(entry)
    return lambda rm: update_images(rm, [updater], specs)


def _replica_count(cfg: PluginConfig, _: Loader) -> Transform:
    from .transformers.replicas import set_replicas

    raw = cfg.mapping("replica", cfg.obj) or {}
    name = cfg.string("name", raw, "replica.name")
    count = cfg.raw("count", raw) or 0
    if isinstance(count, bool) or not isinstance(count, int):
        raise cfg._mismatch(count, "replica.count", "int64")
    specs = cfg.field_specs() or []
    return lambda rm: set_replicas(rm, [{"name": name, "count": count}], specs)


def _hash(cfg: PluginConfig, _: Loader) -> Transform:
    from .hashing import hash_names

    return hash_names


def _target(cfg: PluginConfig) -> dict[str, Any] | None:
    raw = cfg.mapping("target", cfg.obj)
    if raw is None:
        return None
    fields = {
        k: None
        for k in ("group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector")
    }
    target = {canonical_field(fields, str(k)) or str(k): v for k, v in raw.items()}
    for k in fields:
        cfg.string(k, target, f"target.{k}")
    return target


def _patch(cfg: PluginConfig, ldr: Loader) -> Transform:
    from .transformers.patches import apply_patch, load_patch

    options = cfg.mapping("options", cfg.obj) or {}
    entry = {
        "path": cfg.string("path"),
        "patch": cfg.string("patch"),
        "target": _target(cfg),
        "options": {str(k): bool(v) for k, v in options.items()},
    }
    p = load_patch(ldr, entry)
    return lambda rm: apply_patch(rm, p)


def _patch_sm(cfg: PluginConfig, ldr: Loader) -> Transform:
    from .transformers.patches import apply_legacy_sm, load_legacy_sm

    paths = cfg.raw("paths") or []
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise cfg._mismatch(paths, "paths", "[]types.PatchStrategicMerge")
    inline = cfg.string("patches")
    if not paths and not inline:
        raise KustomizeError("empty file path and empty patch content")
    loaded: list[dict[str, Any]] = []
    for path in paths:
        loaded.extend(load_legacy_sm(ldr, path))
    if inline:
        from .yamlio import load_documents

        loaded.extend(load_documents(inline, source="patches"))
    if not loaded:
        raise KustomizeError(f"patch appears to be empty; files={paths}, Patch={inline}")
    return lambda rm: apply_legacy_sm(rm, loaded)


def _patch_json(cfg: PluginConfig, ldr: Loader) -> Transform:
    from .selector import Selector
    from .transformers.patches import apply_json_to, parse_json_ops

    target = _target(cfg)
    if not target or not target.get("name"):
        raise KustomizeError("must specify the target name")
    path, op_text = cfg.string("path"), cfg.string("jsonOp")
    if not path and not op_text:
        raise KustomizeError("empty file path and empty jsonOp")
    if path:
        if op_text:
            raise KustomizeError("must specify a file path or jsonOp, not both")
        op_text = ldr.load_bytes(path).decode("utf-8", "replace")
        if not op_text:
            raise KustomizeError(f"patch file '{path}' empty seems to be empty")
    ops = parse_json_ops(op_text)
    if ops is None:
        raise KustomizeError(f"decoding {op_text}: not a list of JSON patch operations")
    if not ops:
        raise KustomizeError(f"patch appears to be empty; file={path}, JsonOp={op_text}")
    selector = Selector(target)
    return lambda rm: apply_json_to(selector.select(rm.resources()), ops, keep_id=True)


def _replacement(cfg: PluginConfig, ldr: Loader) -> Transform:
    from .replacements import apply_replacements

    entries = cfg.raw("replacements") or []
    if not isinstance(entries, list):
        raise cfg._mismatch(entries, "replacements", "[]types.ReplacementField")
    for entry in entries:
        if isinstance(entry, dict) and entry.get("path") and (entry.get("source") or entry.get("targets")):
            raise KustomizeError("cannot specify both path and inline replacement")

    def run(rm: ResMap) -> None:
        by_obj = {id(r.obj): r for r in rm.resources()}
        apply_replacements(
            [r.obj for r in rm.resources()], entries, loader=ldr, ids_of=lambda o: by_obj[id(o)].all_ids()
        )

    return run


def _value_add(cfg: PluginConfig, ldr: Loader) -> Transform:
    """kustomize's ValueAddTransformer: write `value` (default: the kustomization directory's name) at
    each target's fieldPath, or insert it as a path segment at filePathPosition."""
    import os

    from .selector import Selector

    value = cfg.string("value").strip() or os.path.basename(ldr.root)
    targets = cfg.raw("targets") or []
    if cfg.string("targetFilePath"):
        from .yamlio import load_values

        path = cfg.string("targetFilePath")
        docs = load_values(ldr.load_bytes(path).decode("utf-8", "replace"), source=path)
        extra = docs[0].get("targets") if docs and isinstance(docs[0], dict) else None
        targets = [*targets, *(extra if isinstance(extra, list) else [])]
    if not isinstance(targets, list) or not targets:
        raise KustomizeError("must specify at least one target")
    plan: list[tuple[Selector | None, str, int]] = []
    for target in targets:
        if not isinstance(target, dict):
            raise cfg._mismatch(target, "targets", "builtins.Target")
        field_path = cfg.string("fieldPath", target, "targets.fieldPath")
        position = cfg.raw("filePathPosition", target) or 0
        if isinstance(position, bool) or not isinstance(position, int):
            raise cfg._mismatch(position, "targets.filePathPosition", "int")
        if not field_path:
            raise KustomizeError("fieldPath cannot be empty")
        if position < 0:
            raise KustomizeError(f"value of FilePathPosition ({position}) cannot be negative")
        selector = cfg.mapping("selector", target)
        plan.append((Selector(selector) if selector is not None else None, field_path, position))

    def run(rm: ResMap) -> None:
        for selector, field_path, position in plan:
            chosen = rm.resources() if selector is None else selector.select(rm.resources())
            for res in chosen:
                if field_path == "metadata/namespace":
                    _namespace_filter(res, value)
                else:
                    _add_value(res, field_path, value, position)

    return run


def _namespace_filter(res: Resource, namespace: str) -> None:
    """kustomize's namespace.Filter with no field specs: metadata.namespace and `default` binding subjects."""
    if not res.cur_id().cluster_scoped:
        res.meta["namespace"] = namespace
    if res.kind in ("RoleBinding", "ClusterRoleBinding"):
        subjects = res.obj.get("subjects")
        for subject in subjects if isinstance(subjects, list) else []:
            if isinstance(subject, dict) and subject.get("name") == "default":
                subject["namespace"] = namespace


def _add_value(res: Resource, field_path: str, value: str, position: int) -> None:
    fields: list[str] = []
    for part in field_path.split("/"):
        if fields and fields[-1].endswith("\\"):
            fields[-1] = fields[-1][:-1] + "/" + part
        else:
            fields.append(part)
    node: Any = res.obj
    for name in fields[:-1]:
        child = node.get(name)
        if child is None:
            child = node[name] = {}
        if not isinstance(child, dict):
            raise KustomizeError(f"wrong node kind: expected MappingNode but got {_node_kind(child)}")
        node = child
    current = node.get(fields[-1])
    if isinstance(current, (dict, list)):
        raise KustomizeError(f"wrong node kind: expected ScalarNode but got {_node_kind(current)}")
    new = value
    if position > 0:
        new = _insert_path_part("" if current is None else str(current), position - 1, value)
    node[fields[-1]] = new


def _node_kind(value: Any) -> str:
    return (
        "MappingNode"
        if isinstance(value, dict)
        else "SequenceNode"
        if isinstance(value, list)
        else "ScalarNode"
    )


def _path_split(path: str) -> list[str]:
    """Go kyaml's filesys.PathSplit ("/a/b" -> ["", "a", "b"])."""
    if not path:
        return []
    cut = path.rfind("/") + 1
    head, tail = path[:cut], path[cut:]
    if head == "/":
        return [""] if tail == "" else ["", tail]
    head = head[:-1] if head.endswith("/") else head
    return [tail] if head == "" else [*_path_split(head), tail]


def _insert_path_part(path: str, pos: int, part: str) -> str:
    """Go kyaml's filesys.InsertPathPart: `part` becomes segment `pos` of the path."""
    import posixpath

    parts = _path_split(path)
    pos = max(0, min(pos, len(parts)))
    if parts and parts[0] == "" and pos < len(parts):
        pos += 1
    joined = [*parts[:pos], part, *parts[pos:]]

    def go_join(elems: list[str]) -> str:
        kept = [e for e in elems if e]
        return posixpath.normpath("/".join(kept)) if kept else ""

    return "/" + go_join(joined[1:]) if joined[0] == "" else go_join(joined)


_CONFIGURE: dict[str, Callable[[PluginConfig, Loader], Transform]] = {
    "AnnotationsTransformer": lambda cfg, _: _pairs(cfg, "annotations", "annotations"),
    "LabelTransformer": lambda cfg, _: _pairs(cfg, "labels", "labels"),
    "NamespaceTransformer": _namespace,
    "PrefixTransformer": _affix("prefix"),
    "SuffixTransformer": _affix("suffix"),
    "PrefixSuffixTransformer": _affix("both"),
    "ImageTagTransformer": _image_tag,
    "ReplicaCountTransformer": _replica_count,
    "HashTransformer": _hash,
    "PatchTransformer": _patch,
    "PatchStrategicMergeTransformer": _patch_sm,
    "PatchJson6902Transformer": _patch_json,
    "ReplacementTransformer": _replacement,
    "ValueAddTransformer": _value_add,
}
