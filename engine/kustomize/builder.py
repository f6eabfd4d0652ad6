"""kustomize's builder: load -> accumulate (resources, generators, components) -> transform -> emit."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from .config import TransformerConfig
from .errors import KustomizeError
from .fieldspec import FieldSpec, merge_specs
from .kustfile import Kustomization, load_kustomization
from .loader import Loader, is_remote
from .openapi import OpenApiState
from .ordering import ORDER_FIRST, ORDER_LAST, legacy_sort
from .origin import builtin_origin, origin_of, origin_text
from .resid import Gvk
from .resmap import ResMap
from .resource import Resource
from .transformers.images import ImageUpdater, update_images
from .transformers.labels import add_pairs
from .transformers.namereference import fix_name_references
from .transformers.names import add_affix
from .transformers.namespace import set_namespace
from .transformers.patches import (
    Patch,
    apply_json_to,
    apply_legacy_sm,
    apply_patch,
    config_yaml,
    load_legacy_sm,
    load_patch,
)
from .transformers.replicas import set_replicas
from .yamlio import load_documents

if TYPE_CHECKING:
    from pathlib import Path

    from .plugins import Transform
    from .selector import Selector

GO_POINTER = "0xc000000000"
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
TRANSFORMATIONS_ANNOTATION = "alpha.config.kubernetes.io/transformations"
LOCAL_CONFIG_ANNOTATION = "config.kubernetes.io/local-config"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"


class Accumulator:
    """Resources gathered so far plus the transformer configuration they carry."""

    __slots__ = ("resmap", "config", "variables")

    def __init__(self, openapi: OpenApiState) -> None:
        self.resmap = ResMap()
        self.resmap.openapi = openapi
        self.config = TransformerConfig.empty()
        self.variables: list[dict[str, Any]] = []


class BuildResult:
    """What `kustomize build` prints (objects, in order) and the deprecation warnings it writes."""

    __slots__ = ("objects", "warnings")

    def __init__(self, objects: list[dict[str, Any]], warnings: list[str]) -> None:
        self.objects = objects
        self.warnings = warnings

    def __repr__(self) -> str:
        return f"BuildResult({len(self.objects)} objects, {len(self.warnings)} warnings)"


def _go_map(d: Any) -> str:
    if not isinstance(d, dict):
        return "map[]"
    return "map[" + " ".join(f"{k}:{d[k]}" for k in sorted(d, key=str)) + "]"


def _check_object(obj: dict[str, Any]) -> None:
    """kustomize's checks on a loaded resource: a kind, then a metadata.name."""
    meta: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    missing = "kind" if not obj.get("kind") else "metadata.name" if not meta.get("name") else None
    if missing:
        av, kind = obj.get("apiVersion") or "", obj.get("kind") or ""
        name, ns = meta.get("name") or "", meta.get("namespace") or ""
        raise KustomizeError(
            f"missing {missing} in object {{{{{av} {kind}}} {{{{{name} {ns}}} "
            f"{_go_map(meta.get('labels'))} {_go_map(meta.get('annotations'))}}}}}"
        )


def expand_lists(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replace `kind: *List` objects by their items, recursively."""
    out: list[dict[str, Any]] = []
    for d in docs:
        kind = d.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(d.get("items"), list):
            out.extend(expand_lists([i for i in d["items"] if isinstance(i, dict)]))
        else:
            out.append(d)
    return out


def _resource(obj: dict[str, Any], origin: str, deferred_error: str | None) -> Resource:
    res = Resource(obj, origin=origin)
    res.deferred_error = deferred_error
    return res


def _yaml_dump(value: Any, **options: Any) -> str:
    import yaml

    return str(yaml.safe_dump(value, **options))


def _inline_objects(entry: str) -> list[dict[str, Any]] | None:
    """The objects an inline `generators:`/`transformers:` entry holds, or None when it is a path."""
    try:
        objs = expand_lists(load_documents(entry, source="inline"))
        for obj in objs:
            _check_object(obj)
    except KustomizeError:
        return None
    return objs or None


def _apply_json(resmap: ResMap, target: Selector, ops: list[Any]) -> None:
    apply_json_to(target.select(resmap.resources()), ops, keep_id=True)


def _replace(resmap: ResMap, ldr: Loader, entries: list[dict[str, Any]]) -> None:
    from .replacements import apply_replacements

    by_obj = {id(r.obj): r for r in resmap.resources()}
    apply_replacements(
        [r.obj for r in resmap.resources()],
        entries,
        loader=ldr,
        ids_of=lambda obj: by_obj[id(obj)].all_ids(),
    )


def _validating(fn: Transform) -> Transform:
    """A transformer run as a validator: it must leave the resources as they were."""

    def run(resmap: ResMap) -> None:
        before = [copy.deepcopy(r.obj) for r in resmap.resources()]
        fn(resmap)
        if [r.obj for r in resmap.resources()] != before:
            raise KustomizeError("validator shouldn't modify the resource map")

    return run


def _join_origin(base: str, rel: str) -> str:
    return os.path.normpath(os.path.join(base, rel)) if base else os.path.normpath(rel)


class KustTarget:
    """One kustomization directory being built (kustomize's KustTarget)."""

    def __init__(
        self,
        ldr: Loader,
        *,
        origin_dir: str = "",
        warn: Callable[[str], None],
        track: bool = False,
        openapi: OpenApiState | None = None,
    ) -> None:
        self.ldr = ldr
        self.openapi = OpenApiState() if openapi is None else openapi
        self.origin_dir = origin_dir
        self.warn = warn
        # The top kustomization's buildMetadata is non-empty: transformers record what they did.
        self.track = track
        self.kust: Kustomization

    def load(self) -> None:
        self.kust = load_kustomization(self.ldr)
        for w in self.kust.warnings:
            self.warn(w)

    # -- accumulation ---------------------------------------------------------------------------------
    def accumulate_target(self, ra: Accumulator) -> Accumulator:
        k = self.kust
        resources = list(k.get("resources", [])) + list(k.get("bases", []))
        try:
            for path in resources:
                self._accumulate_resource(ra, path)
        except KustomizeError as e:
            raise KustomizeError(f"accumulating resources: {e}", path=e.path) from None
        # This kustomization's configuration (builtin specs plus its `configurations:` files) is merged after
        # its bases' (kustomize's MergeConfig order matters: a spec covered by an earlier one is dropped).
        configs = [
            TransformerConfig.from_yaml(self.ldr.load_text(cfg_path), source=cfg_path)
            for cfg_path in k.get("configurations", [])
        ]
        ra.config.merge(TransformerConfig.for_kustomization(configs))
        if k.get("crds"):
            from .crds import config_from_crds

            crds = k.get("crds")
            try:
                ra.config.merge(config_from_crds(self.ldr, crds))
            except KustomizeError as e:
                raise KustomizeError(f"loading CRDs [{' '.join(crds)}]: {e}", path=e.path or k.path) from None
        self._run_generators(ra)
        try:
            for path in k.get("components", []):
                self._accumulate_component(ra, path)
        except KustomizeError as e:
            raise KustomizeError(f"accumulating components: {e}", path=e.path) from None
        self._run_transformers(ra)
        ra.resmap.invalidate()
        if k.get("vars") or ra.variables:
            from .vars import merge_vars

            merge_vars(ra.variables, k.get("vars", []), ra.resmap)
        return ra

    def _accumulate_resource(self, ra: Accumulator, path: str) -> None:
        if is_remote(path):
            raise KustomizeError(
                f"remote resource '{path}' is not supported: this build runs offline; "
                "vendor it into the repository and list it by relative path",
                path=path,
            )
        try:
            self._accumulate_file(ra, path)
            return
        except KustomizeError as err_file:
            err_f = err_file
        malformed = "MalformedYAMLError" in err_f.message
        try:
            sub = self.ldr.new(path)
        except KustomizeError as e:
            if malformed:
                raise err_f from None
            raise KustomizeError(f"accumulation err='{err_f}': {e}", path=e.path or err_f.path) from None
        try:
            self._accumulate_directory(ra, sub, _join_origin(self.origin_dir, path), component=False)
        except KustomizeError as e:
            if malformed:
                raise err_f from None
            raise KustomizeError(f"accumulation err='{err_f}': {e}", path=e.path or err_f.path) from None

    def _accumulate_file(self, ra: Accumulator, path: str) -> None:
        try:
            data = self.ldr.load_bytes(path)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise KustomizeError(f"'{path}' is not UTF-8 text") from None
            duplicates: dict[int, str] = {}
            objs = expand_lists(load_documents(text, source=path, duplicates=duplicates))
            for obj in objs:
                _check_object(obj)
            self.openapi.note_objects(objs)
        except KustomizeError as e:
            raise KustomizeError(f"accumulating resources from '{path}': {e}", path=e.path or path) from None
        origin = _join_origin(self.origin_dir, path)
        try:
            ra.resmap.append_all(_resource(o, f"path: {origin}\n", duplicates.get(id(o))) for o in objs)
        except KustomizeError as e:
            raise KustomizeError(f"merging resources from '{path}': {e}", path=path) from None

    def _accumulate_directory(
        self, ra: Accumulator, ldr: Loader, origin_dir: str, *, component: bool
    ) -> None:
        sub = KustTarget(ldr, origin_dir=origin_dir, warn=self.warn, track=self.track, openapi=self.openapi)
        try:
            sub.load()
        except KustomizeError as e:
            raise KustomizeError(f"couldn't make target for path '{ldr.root}': {e}", path=e.path) from None
        self.openapi.configure(sub.kust, ldr, top=False)
        if component and sub.kust.kind != "Component":
            raise KustomizeError(
                f"expected kind 'Component' for path '{ldr.root}' but got '{sub.kust.kind}'", path=ldr.root
            )
        if not component and sub.kust.kind == "Component":
            raise KustomizeError(f"expected kind != 'Component' for path '{ldr.root}'", path=ldr.root)
        if component:
            try:
                sub.accumulate_target(ra)
            except KustomizeError as e:
                raise KustomizeError(
                    f"recursed accumulation of path '{ldr.root}': {e}", path=e.path
                ) from None
            return
        try:
            sub_ra = sub.accumulate_target(Accumulator(self.openapi))
        except KustomizeError as e:
            raise KustomizeError(f"recursed accumulation of path '{ldr.root}': {e}", path=e.path) from None
        try:
            ra.resmap.append_all(sub_ra.resmap.resources())
        except KustomizeError as e:
            raise KustomizeError(f"recursed merging from path '{ldr.root}': {e}", path=ldr.root) from None
        ra.config.merge(sub_ra.config)
        try:
            if sub_ra.variables:
                from .vars import merge_vars

                merge_vars(ra.variables, sub_ra.variables, ra.resmap, from_kustomization=False)
        except KustomizeError as e:
            raise KustomizeError(f"recursed merging from path '{ldr.root}': {e}", path=ldr.root) from None

    def _accumulate_component(self, ra: Accumulator, path: str) -> None:
        try:
            sub = self.ldr.new(path)
        except KustomizeError as e:
            raise KustomizeError(f'loader.New "{e}"', path=e.path) from None
        try:
            self._accumulate_directory(ra, sub, _join_origin(self.origin_dir, path), component=True)
        except KustomizeError as e:
            raise KustomizeError(f'accumulateDirectory: "{e}"', path=e.path) from None

    # -- generators -----------------------------------------------------------------------------------
    def _run_generators(self, ra: Accumulator) -> None:
        k = self.kust
        if k.get("helmCharts") or k.get("helmChartInflationGenerator"):
            charts = k.get("helmCharts") or k.get("helmChartInflationGenerator")
            chart = dict(sorted(charts[0].items())) if isinstance(charts[0], dict) else charts[0]
            raise KustomizeError(
                "trouble configuring builtin HelmChartInflationGenerator with config: `\n"
                + _yaml_dump(chart, default_flow_style=False, sort_keys=True, allow_unicode=True)
                + "`: must specify --enable-helm",
                path=k.path,
            )
        options = k.get("generatorOptions")
        configured_in = _join_origin(self.origin_dir, k.file_name)
        for kind, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
            for args in k.get(key, []):
                from .generators import generate, needs_hash_suffix

                obj = generate(kind, args, self.ldr, options)
                res = Resource(obj, origin=origin_text(builtin_origin(configured_in, f"{kind}Generator")))
                res.behavior = args.get("behavior") or "create"
                res.needs_hash = needs_hash_suffix(args, options)
                self._absorb_generated(ra, res)
        if k.get("generators"):
            try:
                configs = self._plugin_configs(k.get("generators"), "generator")
            except KustomizeError as e:
                raise KustomizeError(f"loading generator plugins: {e}", path=e.path or k.path) from None
            from .plugins import make_generator

            try:
                generators = [(make_generator(c, self.ldr), origin_of(c)) for c in configs]
            except KustomizeError as e:
                raise KustomizeError(
                    f"loading generator plugins: failed to load generator: {e}", path=e.path or k.path
                ) from None
            for generate_all, origin in generators:
                for res in generate_all():
                    res.origin = origin_text(origin) if origin else None
                    self._absorb_generated(ra, res)

    def _absorb_generated(self, ra: Accumulator, res: Resource) -> None:
        try:
            self._absorb(ra.resmap, res)
        except KustomizeError as e:
            raise KustomizeError(
                f"merging from generator &{{{GO_POINTER} <nil>}}: {e}", path=self.kust.path
            ) from None

    def _plugin_configs(self, entries: list[str], what: str) -> list[Resource]:
        """Config objects of `generators:`/`transformers:`: inline YAML, files, or kustomization directories."""
        ra = Accumulator(self.openapi)
        paths: list[str] = []
        inline_origin = f"path: {_join_origin(self.origin_dir, self.kust.file_name)}\n"
        for entry in entries:
            objs = _inline_objects(entry)
            if objs is None:
                paths.append(entry)
                continue
            try:
                ra.resmap.append_all(Resource(o, origin=inline_origin) for o in objs)
            except KustomizeError as e:
                raise KustomizeError(f"configuring external {what}: {e}", path=self.kust.path) from None
        for path in paths:
            self._accumulate_resource(ra, path)
        return ra.resmap.resources()

    @staticmethod
    def _absorb(resmap: ResMap, res: Resource) -> None:
        """Add a generated object, or merge/replace it into the one it names (kustomize's appendReplaceOrMerge)."""
        rid = res.cur_id()
        matches = resmap.by_any_id(rid.equals)
        if not matches:
            if res.behavior in ("merge", "replace"):
                raise KustomizeError(f"id {rid.go_repr()} does not exist; cannot merge or replace")
            if res.behavior != "create":
                raise KustomizeError(
                    f"unknown generator behavior '{res.behavior}': use create, merge or replace"
                )
            resmap.append(res)
            return
        if len(matches) > 1:
            raise KustomizeError(
                f"found multiple objects {[str(m.cur_id()) for m in matches]} that could accept merge of {rid}"
            )
        old = matches[0]
        if res.behavior not in ("merge", "replace"):
            raise KustomizeError(f"id {rid.go_repr()} exists; behavior must be merge or replace")
        from .generators import merge_generated

        res.obj = merge_generated(old.obj, res.obj, res.behavior)
        res.ref_vars = list(old.ref_vars)
        res.prev_ids, res.prefixes, res.suffixes = list(old.prev_ids), list(old.prefixes), list(old.suffixes)
        res.needs_hash = res.needs_hash and old.needs_hash
        if res.behavior == "merge":
            res.origin = old.origin
            res.transformations = list(old.transformations)
        resmap.replace(old, res)

    # -- transformers ---------------------------------------------------------------------------------
    def _configure(self, name: str, entry: Any, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except KustomizeError as e:
            shown = (
                _yaml_dump(entry, default_flow_style=False, sort_keys=False, width=1 << 20)
                if isinstance(entry, dict) and "paths" in entry
                else config_yaml(entry)
                if isinstance(entry, dict)
                else f"{entry}\n"
            )
            raise KustomizeError(
                f"trouble configuring builtin {name} with config: `\n{shown}`: {e}",
                path=e.path or self.kust.path,
            ) from None

    def _builtin_steps(self, ra: Accumulator) -> list[tuple[str, Transform]]:
        """kustomize's builtin transformers for this kustomization's fields, configured, in its order."""
        k, cfg = self.kust, ra.config
        steps: list[tuple[str, Transform]] = []
        psm_entries = k.get("patchesStrategicMerge", [])
        legacy_sm: list[dict[str, Any]] = []
        for entry in psm_entries:
            legacy_sm.extend(
                self._configure(
                    "PatchStrategicMergeTransformer",
                    {"paths": psm_entries},
                    partial(load_legacy_sm, self.ldr, entry),
                )
            )
        if legacy_sm:
            steps.append(("PatchStrategicMergeTransformer", partial(apply_legacy_sm, patches=legacy_sm)))
        for entry in k.get("patches", []):
            p = self._configure("PatchTransformer", entry, partial(load_patch, self.ldr, entry))
            steps.append(("PatchTransformer", partial(apply_patch, p=p)))
        namespace = k.get("namespace", "")
        if namespace:
            steps.append(
                (
                    "NamespaceTransformer",
                    partial(set_namespace, namespace=namespace, specs=cfg.get("namespace")),
                )
            )
        for key, spec_key, suffix in (
            ("namePrefix", "namePrefix", False),
            ("nameSuffix", "nameSuffix", True),
        ):
            affix = k.get(key, "")
            name = "SuffixTransformer" if suffix else "PrefixTransformer"
            # An empty affix still records the (empty) layer that name references compare.
            steps.append(
                (
                    name if affix else "",
                    partial(add_affix, affix=affix, specs=cfg.get(spec_key), suffix=suffix),
                )
            )
        labels, common = k.get("labels", []), k.get("commonLabels", {})
        for label in labels:
            steps.append(
                (
                    "LabelTransformer",
                    partial(add_pairs, pairs=label.get("pairs") or {}, specs=self._label_specs(label, cfg)),
                )
            )
        if labels or common:
            steps.append(
                ("LabelTransformer", partial(add_pairs, pairs=common, specs=cfg.get("commonLabels")))
            )
        annotations = k.get("commonAnnotations", {})
        if annotations:
            steps.append(
                (
                    "AnnotationsTransformer",
                    partial(
                        add_pairs, pairs=annotations, specs=cfg.get("commonAnnotations"), what="annotations"
                    ),
                )
            )
        for entry in k.get("patchesJson6902", []):
            p = self._configure("PatchJson6902Transformer", entry, partial(self._legacy_json, entry))
            assert p.target is not None
            steps.append(("PatchJson6902Transformer", partial(_apply_json, target=p.target, ops=p.ops or [])))
        # One transformer per entry, as kustomize records them; applied together when nothing records them
        # (each pass walks every resource).
        replicas, images = k.get("replicas", []), k.get("images", [])
        for group in [[e] for e in replicas] if self.track else [replicas] if replicas else []:
            steps.append(
                ("ReplicaCountTransformer", partial(set_replicas, entries=group, specs=cfg.get("replicas")))
            )
        for group in [[e] for e in images] if self.track else [images] if images else []:
            updaters = [ImageUpdater(e) for e in group]
            steps.append(
                ("ImageTagTransformer", partial(update_images, updaters=updaters, specs=cfg.get("images")))
            )
        replacements = k.get("replacements", [])
        if replacements:
            steps.append(("ReplacementTransformer", partial(_replace, ldr=self.ldr, entries=replacements)))
        return steps

    def _label_specs(self, label: dict[str, Any], cfg: TransformerConfig) -> list[FieldSpec]:
        """Where one `labels` entry writes: its own fields, the configurations' labels specs, then
        selectors (includeSelectors) or templates (includeTemplates) and metadata.labels."""
        own = [
            FieldSpec.from_dict(f, where=f"{self.kust.path}: labels.fields")
            for f in label.get("fields") or []
        ]
        try:
            specs = merge_specs(own, cfg.get("labels"))
            if label.get("includeSelectors"):
                return merge_specs(specs, cfg.get("commonLabels"))
            if label.get("includeTemplates"):
                try:
                    specs = merge_specs(specs, cfg.get("templateLabels"))
                except KustomizeError as e:
                    raise KustomizeError(f"failed to merge template fieldSpec: {e}") from None
            return merge_specs(specs, [FieldSpec(Gvk("", "", ""), "metadata/labels", True)])
        except KustomizeError as e:
            if e.message.startswith("failed to merge template"):
                raise
            raise KustomizeError(f"failed to merge labels: {e}", path=self.kust.path) from None

    def _run_transformers(self, ra: Accumulator) -> None:
        k, rm = self.kust, ra.resmap
        configured_in = _join_origin(self.origin_dir, k.file_name)
        steps: list[tuple[dict[str, str] | None, Transform]] = [
            (builtin_origin(configured_in, name) if name else None, fn)
            for name, fn in self._builtin_steps(ra)
        ]
        for entries, role in ((k.get("transformers"), "transformer"), (k.get("validators"), "validator")):
            if entries:
                from .plugins import make_transformer

                configs = self._plugin_configs(entries, "transformer")
                made = [(origin_of(c), make_transformer(c, self.ldr)) for c in configs]
                steps.extend(made if role == "transformer" else [(None, _validating(fn)) for _, fn in made])
        for origin, fn in steps:
            fn(rm)
            if self.track and origin is not None:
                text = origin_text(origin)
                for r in rm.resources():
                    if r.origin is None:
                        r.origin = text
                    else:
                        r.transformations.append(text)

    def _legacy_json(self, entry: dict[str, Any]) -> Patch:
        p = load_patch(
            self.ldr, {"path": entry.get("path"), "patch": entry.get("patch"), "target": entry.get("target")}
        )
        if p.target is None:
            raise KustomizeError(f"must specify a target for patch {p.text}")
        if p.ops is None:
            raise KustomizeError(
                f"patchesJson6902 entry is not a JSON 6902 patch (a list of operations): {p.text}"
            )
        return p


def _sort(target: KustTarget, resources: list[Resource], reorder: str = "unspecified") -> list[Resource]:
    """The top kustomization's sortOptions (kustomize's SortOrderTransformer); none means legacy order, unless
    the caller asked for krusty's `reorder="none"` (input order, as fluxcd/pkg/kustomize builds)."""
    opts = target.kust.data.get("sortOptions")
    if opts is None:
        if reorder == "none":
            return resources
        return legacy_sort(resources, ORDER_FIRST, ORDER_LAST)
    order = opts.get("order") or ""
    legacy = opts.get("legacySortOptions")
    if order not in ("fifo", "legacy"):
        raise KustomizeError(
            "the field 'sortOptions.order' must be one of [fifo, legacy]", path=target.kust.path
        )
    if order == "fifo":
        if legacy is not None:
            raise KustomizeError(
                "the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', "
                "not 'legacy'",
                path=target.kust.path,
            )
        return resources
    if legacy is None:
        return legacy_sort(resources, ORDER_FIRST, ORDER_LAST)
    return legacy_sort(resources, legacy.get("orderFirst") or [], legacy.get("orderLast") or [])


def build_result(
    path: str | Path, *, warn: Callable[[str], None] | None = None, reorder: str = "unspecified"
) -> BuildResult:
    """Build the kustomization in directory `path`; deprecation warnings go to `warn` and the result.
    `reorder`: krusty's option — "unspecified"/"legacy" (kustomize build's default) or "none" (Flux's builds)."""
    warnings: list[str] = []

    def _warn(msg: str) -> None:
        warnings.append(msg)
        if warn is not None:
            warn(msg)

    ldr = Loader.at(path)
    target = KustTarget(ldr, warn=_warn)
    target.load()
    target.track = bool(target.kust.get("buildMetadata"))
    target.openapi.configure(target.kust, ldr, top=True)
    ra = target.accumulate_target(Accumulator(target.openapi))
    if any(r.needs_hash for r in ra.resmap.resources()):
        from .hashing import hash_names

        hash_names(ra.resmap)
    fix_name_references(ra.resmap, ra.config.name_reference)
    if ra.variables:
        from .vars import resolve_vars

        resolve_vars(ra.resmap, ra.variables, ra.config.get("varReference"))
    for r in ra.resmap.resources():
        if r.deferred_error:  # kustomize fails when it turns this object into a map for output
            raise KustomizeError(r.deferred_error)
    resources = [
        r
        for r in ra.resmap.resources()
        if str(r.annotations().get(LOCAL_CONFIG_ANNOTATION, "")).lower() != "true"
    ]
    resources = _sort(target, resources, reorder)
    metadata = target.kust.get("buildMetadata", [])
    for r in resources:
        if "originAnnotations" in metadata and r.origin:
            r.meta.setdefault("annotations", {})
            if r.meta["annotations"] is None:
                r.meta["annotations"] = {}
            r.meta["annotations"][ORIGIN_ANNOTATION] = r.origin
        if "transformerAnnotations" in metadata and r.transformations:
            annotations = r.meta.get("annotations") or {}
            annotations[TRANSFORMATIONS_ANNOTATION] = "".join(
                "- " + text.replace("\n", "\n  ").rstrip(" ") for text in r.transformations
            )
            r.meta["annotations"] = annotations
        if "managedByLabel" in metadata:
            labels = r.meta.get("labels") or {}
            labels[MANAGED_BY_LABEL] = "kustomize-(devel)"
            r.meta["labels"] = labels
    return BuildResult([r.obj for r in resources], warnings)


def build(path: str | Path, *, reorder: str = "unspecified") -> list[dict[str, Any]]:
    """The objects `kustomize build path` prints, in its output order (`reorder` as in build_result)."""
    return build_result(path, reorder=reorder).objects
