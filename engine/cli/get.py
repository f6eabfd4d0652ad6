"""`gitops get sources git`, `gitops get kustomizations`, `gitops get all` — flux's tables."""

from __future__ import annotations

import argparse
from typing import Any

from engine.api import conditions
from engine.api.kinds import kind_info
from engine.cli.output import CLIError, shorten_hex, table
from engine.cli.session import Session
from engine.client import NoMatchError

Obj = dict[str, Any]
# `flux get all` order, restricted to the kinds this kit can serve.
ALL_KINDS = ("GitRepository", "ImageRepository", "ImagePolicy", "ImageUpdateAutomation", "Kustomization")


def revision(obj: Obj) -> str:
    status = obj.get("status") or {}
    if obj.get("kind") == "Kustomization":
        return status.get("lastAppliedRevision", "")
    return ((status.get("artifact") or {}).get("revision")) or status.get("lastAppliedRevision", "")


def row(obj: Obj, *, prefix: bool, all_ns: bool) -> list[str]:
    meta = obj.get("metadata") or {}
    name = f"{obj['kind'].lower()}/{meta.get('name', '')}" if prefix else meta.get("name", "")
    status, _, message = conditions.summary(obj)
    suspended = "True" if (obj.get("spec") or {}).get("suspend") else "False"
    cells = [name, shorten_hex(revision(obj)), suspended, status, shorten_hex(message)]
    return ([meta.get("namespace", "")] if all_ns else []) + cells


def list_kind(s: Session, kind: str) -> list[Obj]:
    info = kind_info(kind)
    items = s.client.list(info.api_version, kind, s.list_namespace)
    for item in items:
        item["kind"] = kind
    return sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))


def where(s: Session) -> str:
    return "any namespace" if s.all_namespaces else f'"{s.namespace}" namespace'


def render(s: Session, objs: list[Obj], *, prefix: bool, no_header: bool) -> str:
    header = (["namespace"] if s.all_namespaces else []) + ["name", "revision", "suspended", "ready", "message"]
    text = table(header, [row(o, prefix=prefix, all_ns=s.all_namespaces) for o in objs])
    return text.split("\n", 1)[1] if no_header else text


def select(objs: list[Obj], selector: str | None) -> list[Obj]:
    """`--status-selector ready=false` / `ready!=true`."""
    if not selector:
        return objs
    key, neg, value = (selector.partition("!=") if "!=" in selector else selector.partition("="))
    if key.strip().lower() != "ready" or not neg:
        raise CLIError(f"invalid status selector '{selector}': use ready=true|false or ready!=true|false")
    want = value.strip().lower()
    out = []
    for obj in objs:
        have = conditions.summary(obj)[0].lower() == want
        if have != (neg == "!="):
            out.append(obj)
    return out


def get_one_kind(s: Session, args: argparse.Namespace, kind: str) -> int:
    try:
        objs = list_kind(s, kind)
    except NoMatchError:
        objs = []
    if args.name:
        objs = [o for o in objs if o["metadata"]["name"] == args.name]
        if not objs:
            raise CLIError(f"{kind} object '{args.name}' not found in \"{s.namespace}\" namespace")
    objs = select(objs, args.status_selector)
    if not objs:
        s.printer.failure(f"no {kind} objects found in {where(s)}")
        return 0
    print(render(s, objs, prefix=False, no_header=args.no_header), end="")
    return 0


def cmd_get_sources_git(s: Session, args: argparse.Namespace) -> int:
    return get_one_kind(s, args, "GitRepository")


def cmd_get_kustomizations(s: Session, args: argparse.Namespace) -> int:
    return get_one_kind(s, args, "Kustomization")


def cmd_get_all(s: Session, args: argparse.Namespace) -> int:
    for kind in ALL_KINDS:
        try:
            objs = select(list_kind(s, kind), args.status_selector)
        except (NoMatchError, KeyError):
            continue
        if objs:
            print(render(s, objs, prefix=True, no_header=args.no_header))
    return 0


def add_parsers(get: Any, common: argparse.ArgumentParser) -> None:
    def flags(p: argparse.ArgumentParser, named: bool = True) -> None:
        if named:
            p.add_argument("name", nargs="?")
        p.add_argument("--no-header", action="store_true")
        p.add_argument("--status-selector", default=None)

    sub = get.add_subparsers(dest="get_kind", required=True, metavar="{sources,kustomizations,all}")
    sources = sub.add_parser("sources", aliases=["source"], parents=[common], help="get sources")
    ssub = sources.add_subparsers(dest="source_kind", required=True, metavar="{git,all}")
    git = ssub.add_parser("git", parents=[common], help="get GitRepository statuses")
    flags(git)
    git.set_defaults(func=cmd_get_sources_git)
    sall = ssub.add_parser("all", parents=[common], help="get all source statuses")
    flags(sall, named=False)
    sall.set_defaults(func=cmd_get_all_sources)
    ks = sub.add_parser("kustomizations", aliases=["kustomization", "ks"], parents=[common],
                        help="get Kustomization statuses")
    flags(ks)
    ks.set_defaults(func=cmd_get_kustomizations)
    everything = sub.add_parser("all", parents=[common], help="get all Flux resources")
    flags(everything, named=False)
    everything.set_defaults(func=cmd_get_all)


def cmd_get_all_sources(s: Session, args: argparse.Namespace) -> int:
    try:
        objs = select(list_kind(s, "GitRepository"), args.status_selector)
    except NoMatchError:
        objs = []
    if objs:
        print(render(s, objs, prefix=True, no_header=args.no_header))
    return 0
