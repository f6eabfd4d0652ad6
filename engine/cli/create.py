"""`gitops create source git …` and `gitops create kustomization …` (with `--export` shapes as flux prints)."""

from __future__ import annotations

import argparse
from typing import Any

from engine.api.duration import DurationError, format_duration, parse_duration
from engine.cli.output import CLIError, export
from engine.cli.session import Session
from engine.cli.wait import apply_object, reconcile_and_wait

SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"


def duration(text: str, flag: str) -> str:
    try:
        return format_duration(parse_duration(text))
    except DurationError:
        raise CLIError(f'invalid argument "{text}" for "{flag}" flag: time: invalid duration "{text}"') from None


def git_repository(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    if not args.url:
        raise CLIError("url is required")
    if not args.url.startswith(("http://", "https://", "ssh://", "file://")):
        raise CLIError(f"git URL scheme '{args.url.split('://')[0] if '://' in args.url else ''}' not supported, "
                       "can be: ssh, http, https, file")
    ref: dict[str, str] = {}
    if args.tag_semver:
        ref["semver"] = args.tag_semver
    elif args.tag:
        ref["tag"] = args.tag
    elif args.branch:
        ref["branch"] = args.branch
    else:
        raise CLIError("a Git ref is required, use one of the following: --branch, --tag or --tag-semver")
    spec: dict[str, Any] = {"interval": duration(args.interval, "--interval"), "ref": ref, "url": args.url}
    if args.secret_ref:
        spec["secretRef"] = {"name": args.secret_ref}
    if args.ignore_paths:
        spec["ignore"] = "\n".join(p.strip() for p in args.ignore_paths.split(",") if p.strip())
    return {"apiVersion": SOURCE_API, "kind": "GitRepository",
            "metadata": {"name": args.name, "namespace": s.namespace}, "spec": spec}


def kustomization(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    kind, _, name = args.source.rpartition("/")
    kind = kind or "GitRepository"
    if kind not in ("GitRepository", "OCIRepository", "Bucket"):
        raise CLIError(f"source kind '{kind}' not supported, can be: GitRepository, OCIRepository, Bucket")
    source_ns = ""
    if "." in name:
        name, _, source_ns = name.partition(".")
    if not name:
        raise CLIError("source is required")
    path = args.path or "./"
    if not path.startswith("./"):
        raise CLIError("path must begin with ./")
    ref: dict[str, str] = {"kind": kind, "name": name}
    if source_ns:
        ref["namespace"] = source_ns
    spec: dict[str, Any] = {"interval": duration(args.interval, "--interval"), "path": path,
                            "prune": args.prune, "sourceRef": ref}
    if args.depends_on:
        deps = []
        for dep in args.depends_on:
            for item in dep.split(","):
                if not item.strip():
                    continue
                ns, _, dname = item.strip().rpartition("/")
                deps.append({"name": dname, **({"namespace": ns} if ns else {})})
        spec["dependsOn"] = deps
    if args.target_namespace:
        spec["targetNamespace"] = args.target_namespace
    if args.wait:
        spec["wait"] = True
    if args.health_check:
        checks = []
        for item in args.health_check:
            hkind, _, rest = item.partition("/")
            hname, _, hns = rest.partition(".")
            if not hkind or not hname:
                raise CLIError(f"invalid health check '{item}', must be in format Kind/name.namespace")
            checks.append({"kind": hkind, "name": hname, "namespace": hns or s.namespace})
        spec["healthChecks"] = checks
    if args.wait or args.health_check:
        spec["timeout"] = duration(args.health_check_timeout, "--health-check-timeout")
    if args.retry_interval:
        spec["retryInterval"] = duration(args.retry_interval, "--retry-interval")
    if args.service_account:
        spec["serviceAccountName"] = args.service_account
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
            "metadata": {"name": args.name, "namespace": s.namespace}, "spec": spec}


def cmd_create_source_git(s: Session, args: argparse.Namespace) -> int:
    obj = git_repository(s, args)
    if args.export:
        print(export([obj]), end="")
        return 0
    p = s.printer
    p.generate("generating GitRepository source")
    p.action("applying GitRepository source")
    created = apply_object(s, obj)
    p.success(f"GitRepository source {'created' if created else 'updated'}")
    p.waiting("waiting for GitRepository source reconciliation")
    live = reconcile_and_wait(s, "GitRepository", args.name, quote=True)
    p.success("GitRepository source reconciliation completed")
    p.success(f"fetched revision: {live.get('status', {}).get('artifact', {}).get('revision', '')}")
    return 0


def cmd_create_kustomization(s: Session, args: argparse.Namespace) -> int:
    obj = kustomization(s, args)
    if args.export:
        print(export([obj]), end="")
        return 0
    p = s.printer
    p.generate("generating Kustomization")
    p.action("applying Kustomization")
    created = apply_object(s, obj)
    p.success(f"Kustomization {'created' if created else 'updated'}")
    p.waiting("waiting for Kustomization reconciliation")
    live = reconcile_and_wait(s, "Kustomization", args.name)
    p.success(f"Kustomization {args.name} is ready")
    p.success(f"applied revision {live.get('status', {}).get('lastAppliedRevision', '')}")
    return 0


def add_parsers(create: Any, common: argparse.ArgumentParser) -> None:
    sub = create.add_subparsers(dest="create_kind", required=True, metavar="{source,kustomization}")
    source = sub.add_parser("source", parents=[common], help="create or update a source")
    ssub = source.add_subparsers(dest="source_kind", required=True, metavar="{git}")
    git = ssub.add_parser("git", parents=[common], help="create or update a GitRepository source")
    git.add_argument("name")
    git.add_argument("--url", default="")
    git.add_argument("--branch", default="")
    git.add_argument("--tag", default="")
    git.add_argument("--tag-semver", default="")
    git.add_argument("--secret-ref", default="")
    git.add_argument("--ignore-paths", default="")
    git.add_argument("--interval", default="1m")
    git.add_argument("--export", action="store_true")
    git.set_defaults(func=cmd_create_source_git)

    ks = sub.add_parser("kustomization", aliases=["ks"], parents=[common], help="create or update a Kustomization")
    ks.add_argument("name")
    ks.add_argument("--source", required=True, help="Kind/name[.namespace] of the source (Kind defaults to GitRepository)")
    ks.add_argument("--path", default="./")
    ks.add_argument("--prune", type=_bool, nargs="?", const=True, default=False)
    ks.add_argument("--interval", default="1m")
    ks.add_argument("--depends-on", action="append", default=[])
    ks.add_argument("--target-namespace", default="")
    ks.add_argument("--wait", type=_bool, nargs="?", const=True, default=False)
    ks.add_argument("--health-check", action="append", default=[])
    ks.add_argument("--health-check-timeout", default="2m")
    ks.add_argument("--retry-interval", default="")
    ks.add_argument("--service-account", default="")
    ks.add_argument("--export", action="store_true")
    ks.set_defaults(func=cmd_create_kustomization)


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("true", "1", "t", "yes"):
        return True
    if low in ("false", "0", "f", "no"):
        return False
    raise argparse.ArgumentTypeError(f'invalid boolean "{text}"')
