"""`gitops tree|events|build|diff kustomization …` and `gitops kustomize build DIR`."""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.cli.output import CLIError, table
from engine.cli.session import Session
from engine.cli.wait import get_object
from engine.jsonobj import Obj

KS_GROUP = "kustomize.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"


# -- tree ------------------------------------------------------------------------------------------
def tree_lines(s: Session, name: str, namespace: str, seen: set[tuple[str, str]] | None = None) -> list[str]:
    """Children of a Kustomization as drawn lines (`├── `, `└── `, `│   `), recursing into child Kustomizations."""
    from engine.api.types import Kustomization
    from engine.kustomization.inventory import ObjMeta

    seen = seen if seen is not None else {(namespace, name)}
    obj = s.client.get(f"{KS_GROUP}/v1", "Kustomization", name, namespace) or {}
    metas = [ObjMeta.parse(e) for e in Kustomization(obj).inventory]
    lines: list[str] = []
    for i, meta in enumerate(metas):
        last = i == len(metas) - 1
        lines.append(("└── " if last else "├── ") + meta.subject)
        key = (meta.namespace, meta.name)
        if meta.kind == "Kustomization" and meta.group == KS_GROUP and key not in seen:
            seen.add(key)
            for child in tree_lines(s, meta.name, meta.namespace, seen):
                lines.append(("    " if last else "│   ") + child)
        elif meta.kind == "HelmRelease" and meta.group == HELM_GROUP:
            children = helmrelease_inventory(s, meta.name, meta.namespace)
            for j, child in enumerate(children):
                lines.append(("    " if last else "│   ") + ("└── " if j == len(children) - 1 else "├── ") +
                             child.subject)
    return lines


def helmrelease_inventory(s: Session, name: str, namespace: str) -> list[Any]:
    """The objects of a HelmRelease's current Helm release (its status.inventory), as flux's tree lists them."""
    from engine.api.types_helm import HelmRelease
    from engine.kustomization.inventory import ObjMeta

    obj = s.client.get(f"{HELM_GROUP}/v2", "HelmRelease", name, namespace) or {}
    return [ObjMeta.parse(e) for e in HelmRelease(obj).inventory]


def tree_node(s: Session, group: str, kind: str, name: str, namespace: str,
              seen: set[tuple[str, str]] | None = None) -> Obj:
    """flux's `tree -o json` shape: `{resource: {Namespace, Name, GroupKind: {Group, Kind}}, resources: [...]}`."""
    from engine.api.types import Kustomization
    from engine.kustomization.inventory import ObjMeta

    node: Obj = {"resource": {"Namespace": namespace, "Name": name, "GroupKind": {"Group": group, "Kind": kind}}}
    if kind != "Kustomization" or group != KS_GROUP:
        return node
    seen = seen if seen is not None else {(namespace, name)}
    obj = s.client.get(f"{KS_GROUP}/v1", "Kustomization", name, namespace) or {}
    children = []
    for meta in (ObjMeta.parse(e) for e in Kustomization(obj).inventory):
        key = (meta.namespace, meta.name)
        if meta.kind == "Kustomization" and meta.group == KS_GROUP and key in seen:  # no cycles
            children.append({"resource": {"Namespace": meta.namespace, "Name": meta.name,
                                          "GroupKind": {"Group": meta.group, "Kind": meta.kind}}})
            continue
        if meta.kind == "Kustomization":
            seen.add(key)
        child = tree_node(s, meta.group, meta.kind, meta.name, meta.namespace, seen)
        if meta.kind == "HelmRelease" and meta.group == HELM_GROUP:
            released = [{"resource": {"Namespace": m.namespace, "Name": m.name,
                                      "GroupKind": {"Group": m.group, "Kind": m.kind}}}
                        for m in helmrelease_inventory(s, meta.name, meta.namespace)]
            if released:
                child["resources"] = released
        children.append(child)
    if children:
        node["resources"] = children
    return node


def cmd_tree(s: Session, args: argparse.Namespace) -> int:
    get_object(s, "Kustomization", args.name)
    if args.output in ("json", "yaml"):
        import json

        from engine.cli.output import to_yaml

        node = tree_node(s, KS_GROUP, "Kustomization", args.name, s.namespace)
        print(json.dumps(node, indent=2) if args.output == "json" else to_yaml(node), end="\n" if args.output == "json" else "")
        return 0
    lines = [f"Kustomization/{s.namespace}/{args.name}"] + tree_lines(s, args.name, s.namespace)
    if args.compact:
        lines = [lines[0]] + [ln for ln in lines[1:] if _is_flux(ln)]
    print("\n".join(lines))
    return 0


def _is_flux(line: str) -> bool:
    kind = line.replace("│", " ").replace("├──", " ").replace("└──", " ").strip().split("/")[0]
    return kind in ("Kustomization", "GitRepository", "OCIRepository", "Bucket", "HelmRelease", "HelmRepository",
                    "ImageRepository", "ImagePolicy", "ImageUpdateAutomation", "Alert", "Provider", "Receiver")


# -- events ----------------------------------------------------------------------------------------
def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery's HumanDuration: `19s`, `2m53s`, `8m`, `3h12m`, `5h`, `3d4h`, `12d`, `2y`."""
    s = int(max(seconds, 0))
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = s // 3600
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    d = h // 24
    if h < 192:
        return f"{d}d{h % 24}h" if h % 24 else f"{d}d"
    if d < 730:
        return f"{d}d"
    return f"{d // 365}y"


def _age(ts: str | None, now: dt.datetime) -> float:
    if not ts:
        return 0.0
    return (now - dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))).total_seconds()


def last_seen(event: Obj, now: dt.datetime) -> str:
    last = event.get("lastTimestamp") or event.get("eventTime") or event["metadata"].get("creationTimestamp")
    text = human_duration(_age(last, now))
    count = int(event.get("count") or 1)
    if count > 1:
        text += f" (x{count} over {human_duration(_age(event.get('firstTimestamp') or last, now))})"
    return text


def _event_filter(s: Session, selector: str) -> list[tuple[str, str | None]]:
    """`--for Kind[/name]` as (kind, name or None) pairs; a named Kustomization brings its source's events too."""
    kind, _, name = selector.partition("/")
    if not kind:
        raise CLIError("--for selector must be of format <kind>[/<name>]")
    wanted: list[tuple[str, str | None]] = [(kind.lower(), name or None)]
    if name and kind.lower() == "kustomization":
        ref = (get_object(s, "Kustomization", name).get("spec") or {}).get("sourceRef") or {}
        wanted.append((str(ref.get("kind", "")).lower(), str(ref.get("name", ""))))
    return wanted


def event_rows(s: Session, args: argparse.Namespace, now: dt.datetime) -> list[tuple[Obj, list[str]]]:
    """The Flux objects' events (filtered by --for and --types), oldest first, with their table rows."""
    from engine.events import list_events

    wanted = _event_filter(s, args.for_) if args.for_ else None
    types = {t.strip().lower() for t in args.types.split(",") if t.strip()} if args.types else None
    out = []
    for e in list_events(s.client, s.list_namespace):
        inv = e.get("involvedObject") or {}
        if not str(inv.get("apiVersion", "")).split("/")[0].endswith("toolkit.fluxcd.io"):
            continue
        kind, name = str(inv.get("kind", "")), str(inv.get("name", ""))
        if wanted is not None and not any(k == kind.lower() and n in (None, name) for k, n in wanted):
            continue
        if types is not None and str(e.get("type", "")).lower() not in types:
            continue
        cells = [last_seen(e, now), e.get("type", ""), e.get("reason", ""), f"{kind}/{name}",
                 " ".join(line.strip() for line in (e.get("message") or "").splitlines() if line.strip())]  # one row each
        out.append((e, ([e["metadata"].get("namespace", "")] if s.all_namespaces else []) + cells))
    return out


def cmd_events(s: Session, args: argparse.Namespace) -> int:
    header = (["namespace"] if s.all_namespaces else []) + ["last seen", "type", "reason", "object", "message"]
    if args.watch:
        from engine.cli.watch import watch_rows

        def poll() -> list[tuple[tuple[str, ...], str, list[str]]]:
            return [((e["metadata"].get("namespace", ""), e["metadata"]["name"]),
                     str(e["metadata"].get("resourceVersion", "")), r)
                    for e, r in event_rows(s, args, dt.datetime.now(dt.UTC))]

        return watch_rows(poll, header, s.timeout)
    rows = [r for _, r in event_rows(s, args, dt.datetime.now(dt.UTC))]
    if not rows:
        s.printer.failure(f"No events found in {s.namespace} namespace." if not s.all_namespaces
                          else "No events found.")
        return 0
    print(table(header, rows), end="")
    return 0


# -- build / diff ----------------------------------------------------------------------------------
@dataclass
class BuildOptions:
    """The flags `build` and `diff kustomization` share (flux2 internal/build's Builder options)."""

    ignore_paths: list[str] = field(default_factory=list)
    kustomization_file: str = ""
    strict_substitute: bool = False
    dry_run: bool = False  # build --dry-run: no cluster at all, substituteFrom skipped
    ignore_not_found: bool = False  # diff --ignore-not-found: the file's Kustomization when the cluster has none
    sources: dict[str, str] = field(default_factory=dict)  # --local-sources


def _resolve_kustomization(s: Session, name: str, namespace: str, opts: BuildOptions,
                           fallback: Obj | None) -> Obj:
    """flux's Builder.build + resolveKustomization: the live object (a child's built one, or with
    --ignore-not-found nothing, when the cluster has none), overridden by --kustomization-file, which keeps the
    live status (the inventory diff prunes against). --dry-run never asks the cluster."""
    from engine.cli.buildflags import read_kustomization_file

    live = fallback
    if not opts.dry_run:
        found = s.client.get(f"{KS_GROUP}/v1", "Kustomization", name, namespace)
        if found is None and fallback is None and not opts.ignore_not_found:
            raise CLIError(f'failed to get kustomization object: kustomizations.{KS_GROUP} "{name}" not found')
        live = found or fallback
    if opts.kustomization_file and fallback is None:
        ks = read_kustomization_file(opts.kustomization_file, name, namespace)
        if not opts.dry_run and live is not None and ((live.get("status") or {}).get("inventory")) is not None:
            ks = {**ks, "status": copy.deepcopy(live["status"])}
        return ks
    assert live is not None  # the flag checks make sure of it
    return live


def _without_substitute_from(spec: Obj) -> Obj:
    """--dry-run: flux skips postBuild.substituteFrom (ConfigMaps/Secrets are in the cluster); inline
    `substitute` still applies."""
    post = spec.get("postBuild")
    if not isinstance(post, dict) or "substituteFrom" not in post:
        return spec
    return {**spec, "postBuild": {k: v for k, v in post.items() if k != "substituteFrom"}}


def build_objects(s: Session, name: str, path: str, opts: BuildOptions, *, fallback: Obj | None = None,
                  namespace: str | None = None) -> tuple[Obj, list[Obj]]:
    """A Kustomization's build over a local directory: the reconciler's own pipeline
    (engine.kustomization.build), SOPS-encrypted Secret values masked as `flux build` does. `fallback`: the built
    Kustomization object of a child of -r/--recursive (used when the cluster has none, and by --dry-run)."""
    from engine.cli.buildflags import remove_ignored
    from engine.kustomization.build import BuildError, build_kustomization, mask_sops

    local = Path(path)
    if not local.is_dir():
        raise CLIError(f"invalid resource path '{path}'")
    ks = _resolve_kustomization(s, name, namespace or s.namespace, opts, fallback)
    meta = ks.get("metadata") or {}
    spec = ks.get("spec") or {}
    if opts.dry_run and isinstance(spec, dict):
        spec = _without_substitute_from(spec)
    work = Path(tempfile.mkdtemp(prefix="gitops-build-"))
    try:
        target = work / "src"
        shutil.copytree(local, target, symlinks=True)
        remove_ignored(target, opts.ignore_paths)
        build = build_kustomization(spec, name, meta.get("namespace") or namespace or s.namespace, target, target,
                                    None if opts.dry_run else s.client,
                                    reorder="none",  # flux build/diff: kustomize input order
                                    strict=opts.strict_substitute)
    except BuildError as err:
        raise CLIError(err.message) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mask_sops(build.objects)
    return ks, build.objects


def build_recursive(s: Session, ks: Obj, objects: list[Obj], opts: BuildOptions,
                    seen: set[tuple[str, str]] | None = None) -> list[Obj]:
    """flux build -r: the build, then each child Kustomization's build (and theirs), from --local-sources."""
    from engine.cli.buildflags import child_path, is_kustomization

    meta = ks.get("metadata") or {}
    seen = seen if seen is not None else {(str(meta.get("namespace") or s.namespace), str(meta.get("name")))}
    out = list(objects)
    for obj in objects:
        if not is_kustomization(obj):
            continue
        child = obj.get("metadata") or {}
        key = (str(child.get("namespace") or s.namespace), str(child.get("name", "")))
        if key in seen:  # the parent itself (flux skips it), or a cycle (flux would never end)
            continue
        seen.add(key)
        child_ks, child_objects = build_objects(s, key[1], child_path(obj, opts.sources), opts, fallback=obj,
                                                namespace=key[0])
        out += build_recursive(s, child_ks, child_objects, opts, seen)
    return out


def _check_flags(args: argparse.Namespace, *, build: bool) -> BuildOptions:
    """flux's checks before building: --path (build: made absolute), --dry-run/--ignore-not-found need
    --kustomization-file, which must be a file."""
    from engine.cli.buildflags import check_kustomization_file, go_quote, parse_local_sources

    code = 1 if build else 2  # diff: flux's RequestError{StatusCode: 2}
    if not args.path:
        raise CLIError('invalid resource path ""', code=code)
    path = os.path.abspath(args.path) if build else args.path
    if not os.path.isdir(path):
        raise CLIError(f"invalid resource path {go_quote(path)}", code=code)
    args.path = path
    dry_run = bool(getattr(args, "dry_run", False))
    if dry_run and not args.kustomization_file:
        raise CLIError("dry-run mode requires a kustomization file")
    check_kustomization_file(args.kustomization_file)
    ignore_not_found = bool(getattr(args, "ignore_not_found", False))
    if ignore_not_found and not args.kustomization_file:
        raise CLIError("kustomization file is required when assuming new kustomizations", code=code)
    return BuildOptions(ignore_paths=args.ignore_paths, kustomization_file=args.kustomization_file,
                        strict_substitute=args.strict_substitute, dry_run=dry_run, ignore_not_found=ignore_not_found,
                        sources=parse_local_sources(args.local_sources))


def cmd_build(s: Session, args: argparse.Namespace) -> int:
    from engine import kustomize

    opts = _check_flags(args, build=True)
    try:
        ks, objects = build_objects(s, args.name, args.path, opts)
        if args.recursive:
            objects = build_recursive(s, ks, objects, opts)
    except KeyboardInterrupt:
        print(CANCELLED)
        return 0
    print(kustomize.render(objects) + ("---\n" if objects else ""), end="")  # ssautil.ObjectsToYAML: `---` after each
    return 0


CANCELLED = "Build cancelled... exiting."  # flux build/diff on Ctrl-C (exit status 0)


def cmd_diff(s: Session, args: argparse.Namespace) -> int:
    from engine.cli.diff import diff_objects
    from engine.cli.spinner import diff_spinner

    opts = _check_flags(args, build=False)
    progress = diff_spinner(args.progress_bar)
    try:
        if progress is not None:
            progress.start()
        ks, objects = build_objects(s, args.name, args.path, opts)
        child_opts = BuildOptions(ignore_paths=opts.ignore_paths, strict_substitute=opts.strict_substitute,
                                  sources=opts.sources)

        def child(obj: Obj, child_path: str) -> tuple[Obj, list[Obj]]:
            meta = obj.get("metadata") or {}
            return build_objects(s, str(meta.get("name", "")), child_path, child_opts, fallback=obj,
                                 namespace=meta.get("namespace"))

        lines = diff_objects(s, ks, objects, recursive=args.recursive, sources=opts.sources, build_child=child,
                             progress=progress)
    except KeyboardInterrupt:
        if progress is not None:
            progress.stop()
        print(CANCELLED)
        return 0
    except Exception as err:  # CLIError, API and build errors: flux's RequestError{StatusCode: 2}
        raise CLIError(str(err), code=2) from None
    finally:
        if progress is not None:  # erased before anything else is printed
            progress.stop()
    if lines:
        print("\n".join(lines))
        raise CLIError("identified at least one change, exiting with non-zero exit code", code=1)
    return 0


def cmd_kustomize(s: Session, args: argparse.Namespace) -> int:
    from engine.kustomize.cli import main as kustomize_main

    return kustomize_main(["build", args.dir])


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    from engine.cli.buildflags import go_bool

    def ks_parser(verb: str, help_: str) -> argparse.ArgumentParser:
        top = sub.add_parser(verb, parents=[common], help=help_)
        tsub = top.add_subparsers(dest=f"{verb}_kind", required=True, metavar="{kustomization}")
        k = tsub.add_parser("kustomization", aliases=["ks"], parents=[common])
        k.add_argument("name")
        return k

    tree = ks_parser("tree", "print the resources reconciled by a Kustomization")
    tree.add_argument("--compact", action="store_true")
    tree.add_argument("-o", "--output", choices=["", "json", "yaml"], default="")
    tree.set_defaults(func=cmd_tree)
    build = ks_parser("build", "build a Kustomization locally")
    diff = ks_parser("diff", "diff a locally built Kustomization against the cluster")
    for p, func, verb in ((build, cmd_build, "build"), (diff, cmd_diff, "diff")):
        p.add_argument("--path", default="", help="path to the manifests location")
        p.add_argument("--ignore-paths", action="append", default=[],
                       help="paths to ignore in .gitignore format (comma-separated or repeated)")
        p.add_argument("--kustomization-file", default="",
                       help="path to the Flux Kustomization YAML file (instead of the one in the cluster)")
        p.add_argument("--strict-substitute", action="store_true",
                       help="fail when a variable without a default value is missing from the input vars")
        p.add_argument("-r", "--recursive", action="store_true",
                       help=f"recursively {verb} the Kustomizations the build contains (needs --local-sources)")
        p.add_argument("--local-sources", action="append", default=[],
                       help="local paths of the sources of child Kustomizations: Kind/namespace/name=path "
                            "(comma-separated or repeated)")
        p.add_argument("--in-memory-build", type=go_bool("--in-memory-build"), nargs="?", const=True, default=False,
                       help="use in-memory filesystem during build (the kit always builds on a temporary copy and "
                            "never writes to --path, so this changes nothing)")
        p.set_defaults(func=func)
    build.add_argument("--dry-run", action="store_true",
                       help="build without the cluster (needs --kustomization-file; substituteFrom is skipped)")
    diff.add_argument("--progress-bar", type=go_bool("--progress-bar"), nargs="?", const=True, default=True,
                      help="show a progress bar while dry-running (only on a terminal; default true)")
    diff.add_argument("--ignore-not-found", action="store_true",
                      help="diff against an empty cluster when it has no such Kustomization (needs "
                           "--kustomization-file)")

    ev = sub.add_parser("events", parents=[common], help="display Kubernetes events for Flux resources")
    ev.add_argument("--for", dest="for_", default="", help="Kind[/name] of the objects whose events to show")
    ev.add_argument("--types", default="", help="filter events for certain types (Normal, Warning)")
    ev.add_argument("-w", "--watch", action="store_true", help="indicate if the events should be streamed")
    ev.set_defaults(func=cmd_events)
    kz = sub.add_parser("kustomize", parents=[common], help="kustomize build in pure Python")
    kzsub = kz.add_subparsers(dest="kz_cmd", required=True, metavar="{build}")
    kb = kzsub.add_parser("build", parents=[common])
    kb.add_argument("dir", nargs="?", default=".")
    kb.set_defaults(func=cmd_kustomize)
