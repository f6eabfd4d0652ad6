"""`gitops reconcile|suspend|resume` for Kustomizations, GitRepositories, the image and notification kinds,
with flux's progress lines.

`reconcile` follows flux's generic command (annotate, wait, judge Ready, print the kind's success line); the
notification kinds print the lines of flux's own Receiver/Alert/Provider commands and fail with the bare Ready
message. flux ≥ 2.2 dropped `reconcile alert|alert-provider` (v1beta3 objects are status-less there); this
kit's Alert and Provider report Ready, so the kit keeps the earlier flux commands.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.api.kinds import kind_info
from engine.api.types_helm import FORCE_AT, RESET_AT, HelmRelease
from engine.cli.helm_sources import fetched_revision, is_static
from engine.cli.output import CLIError
from engine.cli.session import Session
from engine.cli.targets import TARGETS, Target, add_target_parsers
from engine.cli.wait import annotate, get_object, reconcile_and_wait
from engine.jsonobj import Obj


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _ready_message(obj: Obj) -> str:
    return next((c.get("message", "") for c in _status(obj).get("conditions") or [] if c.get("type") == "Ready"), "")


def _automation_done(obj: Obj) -> str:
    if any(c.get("type") == "Ready" for c in _status(obj).get("conditions") or []):
        return _ready_message(obj)
    last_run = _status(obj).get("lastAutomationRunTime")
    return f"last run {last_run}" if last_run else "automation not yet run"


@dataclass(frozen=True)
class Flavour:
    """How flux's command for one kind talks: the line after a good reconcile, and how failures read."""

    done: Callable[[Obj], str]
    notification: bool = False

    def waiting(self, kind: str, verb: str) -> str:
        """flux's Alert/Provider reconcile commands wait without naming the kind."""
        if verb == "reconcile" and self.notification and kind != "Receiver":
            return "waiting for reconciliation"
        return f"waiting for {kind} reconciliation"


FLAVOURS: dict[str, Flavour] = {
    "Kustomization": Flavour(lambda o: f"applied revision {_status(o).get('lastAppliedRevision', '')}"),
    "HelmRelease": Flavour(lambda o: f"applied revision {HelmRelease(o).revision}"),
    "GitRepository": Flavour(lambda o: f"fetched revision {(_status(o).get('artifact') or {}).get('revision', '')}"),
    "HelmRepository": Flavour(fetched_revision),
    "HelmChart": Flavour(fetched_revision),
    "ImageRepository": Flavour(lambda o: f"scan fetched {(_status(o).get('lastScanResult') or {}).get('tagCount', 0)} "
                                         "tags"),
    "ImageUpdateAutomation": Flavour(_automation_done),
    "Receiver": Flavour(lambda o: "Receiver reconciliation completed", notification=True),
    "Alert": Flavour(lambda o: "Alert reconciliation completed", notification=True),
    "Provider": Flavour(lambda o: "Provider reconciliation completed", notification=True),
}
VERB_TARGETS = tuple(t for t in TARGETS if t.kind in FLAVOURS)


def _wait(s: Session, kind: str, name: str, requested: str | None) -> Obj:
    return reconcile_and_wait(s, kind, name, requested=requested, quote=kind not in ("Kustomization", "HelmRelease", "HelmChart"),
                              bare=FLAVOURS[kind].notification)


def reconcile_one(s: Session, kind: str, name: str, *, also: tuple[str, ...] = ()) -> Obj:
    """Annotate requestedAt (and `also`: forceAt/resetAt with the same token), wait, print flux's lines."""
    p, flavour = s.printer, FLAVOURS[kind]
    obj = get_object(s, kind, name)
    if is_static(obj):
        p.success("reconciliation not supported by the object")
        return obj
    if (obj.get("spec") or {}).get("suspend"):
        raise CLIError("resource is suspended")
    p.action(f"annotating {kind} {name} in {s.namespace} namespace")
    requested = annotate(s, kind, name, also=also)
    p.success(f"{kind} annotated")
    p.waiting(flavour.waiting(kind, "reconcile"))
    live = _wait(s, kind, name, requested)
    p.success(flavour.done(live))
    return live


def cmd_reconcile(s: Session, args: argparse.Namespace) -> int:
    kind = args.target.kind
    if kind == "Kustomization" and args.with_source:
        _reconcile_source_of(s, args.name)
    if kind == "HelmChart" and args.with_source:
        _reconcile_chart_source(s, args.name)
    if kind == "HelmRelease":
        return _reconcile_helmrelease(s, args)
    reconcile_one(s, kind, args.name)
    return 0


def _reconcile_helmrelease(s: Session, args: argparse.Namespace) -> int:
    """`flux reconcile hr NAME [--with-source] [--force|--reset]`: the HelmChart first (which reconciles its own
    source), then the release with forceAt/resetAt carrying the requestedAt token."""
    if args.force and args.reset:
        raise CLIError("--force and --reset cannot be used together")
    if args.with_source:
        obj = get_object(s, "HelmRelease", args.name)
        if (obj.get("spec") or {}).get("suspend"):
            raise CLIError("resource is suspended")
        hr = HelmRelease(obj)
        ref = hr.chart_ref or {"kind": "HelmChart", "name": hr.helm_chart_name, "namespace": hr.helm_chart_namespace}
        if ref.get("kind") != "HelmChart" or "HelmChart" not in FLAVOURS:
            raise CLIError(f"source kind '{ref.get('kind')}' is not supported by this kit")
        chart_session = s if ref.get("namespace", s.namespace) == s.namespace else _in_ns(s, ref["namespace"])
        _reconcile_chart_source(chart_session, ref.get("name", ""))
        reconcile_one(chart_session, "HelmChart", ref.get("name", ""))
    also = (FORCE_AT,) if args.force else (RESET_AT,) if args.reset else ()
    reconcile_one(s, "HelmRelease", args.name, also=also)
    return 0


def _reconcile_chart_source(s: Session, chart: str) -> None:
    """The HelmChart's own source (HelmRepository or GitRepository), as `flux reconcile hr --with-source` does."""
    obj = get_object(s, "HelmChart", chart)
    kind = ((obj.get("spec") or {}).get("sourceRef") or {}).get("kind", "")
    name = ((obj.get("spec") or {}).get("sourceRef") or {}).get("name", "")
    if kind in FLAVOURS:
        reconcile_one(s, kind, name)


def _reconcile_source_of(s: Session, name: str) -> None:
    obj = get_object(s, "Kustomization", name)
    if (obj.get("spec") or {}).get("suspend"):
        raise CLIError("resource is suspended")
    ref = (obj.get("spec") or {}).get("sourceRef") or {}
    kind = ref.get("kind", "GitRepository")
    if kind != "GitRepository":
        raise CLIError(f"source kind '{kind}' is not supported by this kit")
    src_session = s if not ref.get("namespace") or ref["namespace"] == s.namespace else _in_ns(s, ref["namespace"])
    reconcile_one(src_session, kind, ref.get("name", ""))


def _in_ns(s: Session, namespace: str) -> Session:
    other = Session(namespace=namespace, kubeconfig=s.kubeconfig, context=s.context, timeout=s.timeout,
                    printer=s.printer)
    other.__dict__["client"] = s.client
    other.__dict__["manager"] = s.manager
    return other


def _names(s: Session, target: Target, args: argparse.Namespace) -> list[str]:
    """The names asked for, once each in order; with `--all`, every object of the kind in the namespace."""
    if args.all and not args.names:
        info = target.info
        return sorted(o["metadata"]["name"] for o in s.client.list(info.api_version, info.kind, s.namespace))
    if not args.names:
        raise CLIError(f"{target.human} name is required")
    return list(dict.fromkeys(args.names))


def _set_suspend(s: Session, kind: str, name: str, value: bool) -> None:
    info = kind_info(kind)
    s.client.merge_patch(info.api_version, kind, name, s.namespace, {"spec": {"suspend": value}})


def cmd_suspend(s: Session, args: argparse.Namespace) -> int:
    """flux reports a missing name with a ✗ line and goes on (exit 0); `--all` over nothing is an error."""
    target, p = args.target, s.printer
    names = _names(s, target, args)
    if args.all and not args.names and not names:
        raise CLIError("no objects found")
    for name in names:
        if s.client.get(target.info.api_version, target.kind, name, s.namespace) is None:
            p.failure(f"{target.kind} {name} not found in {s.namespace} namespace")
            continue
        p.action(f"suspending {target.human} {name} in {s.namespace} namespace")
        _set_suspend(s, target.kind, name, True)
        p.success(f"{target.human} suspended")
    return 0


def cmd_resume(s: Session, args: argparse.Namespace) -> int:
    """Unsuspend (and request a reconcile), then wait when one name was given or `--wait` was: flux's rule."""
    target, p, kind = args.target, s.printer, args.target.kind
    resumed: dict[str, str] = {}
    names = _names(s, target, args)
    if not names:
        p.failure(f"no {kind} objects found in {s.namespace} namespace")
    for name in names:
        if s.client.get(target.info.api_version, kind, name, s.namespace) is None:
            p.failure(f"{kind} object '{name}' not found in {s.namespace} namespace")  # flux's resume wording
            continue
        p.action(f"resuming {target.human} {name} in {s.namespace} namespace")
        _set_suspend(s, kind, name, False)
        resumed[name] = annotate(s, kind, name)
        p.success(f"{target.human} resumed")
    if not (args.wait or (args.wait is None and len(args.names) == 1)):
        return 0
    for _ in resumed:
        p.waiting(FLAVOURS[kind].waiting(kind, "resume"))
    failed = False
    for name in sorted(resumed):
        try:
            live = _wait(s, kind, name, resumed[name])
        except CLIError as err:
            if len(resumed) == 1:
                raise
            p.failure(str(err))
            failed = True
            continue
        p.success(f"{kind} {name} reconciliation completed")
        p.success(FLAVOURS[kind].done(live))
    return 1 if failed else 0


def _configure_reconcile(p: argparse.ArgumentParser, target: Target) -> None:
    p.add_argument("name")
    if target.kind in ("Kustomization", "HelmRelease", "HelmChart"):
        p.add_argument("--with-source", action="store_true", help="reconcile the source first")
    if target.kind == "HelmRelease":
        p.add_argument("--force", action="store_true", help="force a one-off install or upgrade")
        p.add_argument("--reset", action="store_true", help="reset the install and upgrade failure counts")
    p.set_defaults(func=cmd_reconcile)


def _configure(func: Callable[[Session, argparse.Namespace], int], verb: str) -> Callable[..., None]:
    def configure(p: argparse.ArgumentParser, target: Target) -> None:
        p.add_argument("names", nargs="*", metavar="name")
        p.add_argument("--all", action="store_true", help=f"{verb} all resources in that namespace")
        if verb == "resume":
            p.add_argument("--wait", action="store_true", default=None,
                           help="wait for each resource to reconcile (default when one name is given)")
        p.set_defaults(func=func)
    return configure


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    rec = sub.add_parser("reconcile", parents=[common], help="reconcile sources and resources")
    add_target_parsers(rec, common, _configure_reconcile, VERB_TARGETS)
    for verb, func in (("suspend", cmd_suspend), ("resume", cmd_resume)):
        top = sub.add_parser(verb, parents=[common], help=f"{verb} reconciliation of resources")
        add_target_parsers(top, common, _configure(func, verb), VERB_TARGETS)
