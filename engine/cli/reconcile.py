"""`gitops reconcile|suspend|resume kustomization|source git NAME` with flux's progress lines."""

from __future__ import annotations

import argparse
from typing import Any

from engine.api.kinds import kind_info
from engine.cli.output import CLIError
from engine.cli.session import Session
from engine.cli.wait import annotate, get_object, reconcile_and_wait

Obj = dict[str, Any]


def _revision(obj: Obj) -> str:
    status = obj.get("status") or {}
    if obj.get("kind") == "Kustomization":
        return status.get("lastAppliedRevision", "")
    return (status.get("artifact") or {}).get("revision", "")


def _done_line(kind: str, obj: Obj) -> str:
    verb = "applied" if kind == "Kustomization" else "fetched"
    return f"{verb} revision {_revision(obj)}"


def reconcile_one(s: Session, kind: str, name: str) -> Obj:
    p = s.printer
    obj = get_object(s, kind, name)
    if (obj.get("spec") or {}).get("suspend"):
        raise CLIError("resource is suspended")
    p.action(f"annotating {kind} {name} in {s.namespace} namespace")
    requested = annotate(s, kind, name)
    p.success(f"{kind} annotated")
    p.waiting(f"waiting for {kind} reconciliation")
    live = reconcile_and_wait(s, kind, name, requested=requested, quote=kind != "Kustomization")
    p.success(_done_line(kind, live))
    return live


def cmd_reconcile_kustomization(s: Session, args: argparse.Namespace) -> int:
    if args.with_source:
        obj = get_object(s, "Kustomization", args.name)
        if (obj.get("spec") or {}).get("suspend"):
            raise CLIError("resource is suspended")
        ref = (obj.get("spec") or {}).get("sourceRef") or {}
        kind = ref.get("kind", "GitRepository")
        if kind != "GitRepository":
            raise CLIError(f"source kind '{kind}' is not supported by this kit")
        src_session = s if not ref.get("namespace") or ref["namespace"] == s.namespace else _in_ns(s, ref["namespace"])
        reconcile_one(src_session, kind, ref.get("name", ""))
    reconcile_one(s, "Kustomization", args.name)
    return 0


def _in_ns(s: Session, namespace: str) -> Session:
    other = Session(namespace=namespace, kubeconfig=s.kubeconfig, context=s.context, timeout=s.timeout,
                    printer=s.printer)
    other.__dict__["client"] = s.client
    other.__dict__["manager"] = s.manager
    return other


def cmd_reconcile_source_git(s: Session, args: argparse.Namespace) -> int:
    reconcile_one(s, "GitRepository", args.name)
    return 0


def _set_suspend(s: Session, kind: str, name: str, value: bool) -> None:
    info = kind_info(kind)
    get_object(s, kind, name)
    s.client.merge_patch(info.api_version, kind, name, s.namespace, {"spec": {"suspend": value}})


def _label(kind: str) -> str:
    return "kustomization" if kind == "Kustomization" else "source git"


def cmd_suspend(s: Session, args: argparse.Namespace) -> int:
    label = _label(args.kind)
    s.printer.action(f"suspending {label} {args.name} in {s.namespace} namespace")
    _set_suspend(s, args.kind, args.name, True)
    s.printer.success(f"{label} suspended")
    return 0


def cmd_resume(s: Session, args: argparse.Namespace) -> int:
    label, p = _label(args.kind), s.printer
    p.action(f"resuming {label} {args.name} in {s.namespace} namespace")
    _set_suspend(s, args.kind, args.name, False)
    requested = annotate(s, args.kind, args.name)
    p.success(f"{label} resumed")
    p.waiting(f"waiting for {args.kind} reconciliation")
    live = reconcile_and_wait(s, args.kind, args.name, requested=requested, quote=args.kind != "Kustomization")
    p.success(f"{args.kind} {args.name} reconciliation completed")
    p.success(_done_line(args.kind, live))
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    rec = sub.add_parser("reconcile", parents=[common], help="reconcile sources and resources")
    rsub = rec.add_subparsers(dest="rec_kind", required=True, metavar="{kustomization,source}")
    ks = rsub.add_parser("kustomization", aliases=["ks"], parents=[common], help="reconcile a Kustomization")
    ks.add_argument("name")
    ks.add_argument("--with-source", action="store_true")
    ks.set_defaults(func=cmd_reconcile_kustomization)
    src = rsub.add_parser("source", parents=[common], help="reconcile a source")
    ssub = src.add_subparsers(dest="src_kind", required=True, metavar="{git}")
    git = ssub.add_parser("git", parents=[common], help="reconcile a GitRepository")
    git.add_argument("name")
    git.set_defaults(func=cmd_reconcile_source_git)

    for verb, func in (("suspend", cmd_suspend), ("resume", cmd_resume)):
        top = sub.add_parser(verb, parents=[common], help=f"{verb} reconciliation of a resource")
        tsub = top.add_subparsers(dest=f"{verb}_kind", required=True, metavar="{kustomization,source}")
        k = tsub.add_parser("kustomization", aliases=["ks"], parents=[common])
        k.add_argument("name")
        k.set_defaults(func=func, kind="Kustomization")
        s_ = tsub.add_parser("source", parents=[common])
        s_sub = s_.add_subparsers(dest=f"{verb}_src", required=True, metavar="{git}")
        g = s_sub.add_parser("git", parents=[common])
        g.add_argument("name")
        g.set_defaults(func=func, kind="GitRepository")
