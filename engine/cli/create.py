"""`gitops create source git|kustomization|alert-provider|alert|receiver …` (with `--export` shapes as flux prints);
`create image …` lives in create_image.py."""

from __future__ import annotations

import argparse
from typing import Any

from engine.cli.creating import (
    comma_list,
    create_command,
    create_parser,
    duration,
    is_ready,
    kind_names,
)
from engine.cli.output import CLIError
from engine.cli.session import Session
from engine.notify.kinds import ALERT, PROVIDER, RECEIVER

SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"


def git_repository(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    from engine.cli.create_git import source_git_spec

    if not args.url:
        raise CLIError("url is required")
    if not args.url.startswith(("http://", "https://", "ssh://", "file://")):
        raise CLIError(f"git URL scheme '{args.url.split('://')[0] if '://' in args.url else ''}' not supported, "
                       "can be: ssh, http, https, file")
    ref: dict[str, str] = {}
    if args.commit:  # flux's precedence: commit (with its branch), ref name, semver, tag, branch
        ref = {"commit": args.commit, **({"branch": args.branch} if args.branch else {})}
    elif args.ref_name:
        ref["name"] = args.ref_name
    elif args.tag_semver:
        ref["semver"] = args.tag_semver
    elif args.tag:
        ref["tag"] = args.tag
    elif args.branch:
        ref["branch"] = args.branch
    else:
        raise CLIError("a Git ref is required, use one of the following: --branch, --tag, --commit, --ref-name or "
                       "--tag-semver")
    spec: dict[str, Any] = {"interval": duration(args.interval, "--interval"), "ref": ref, "url": args.url}
    if args.secret_ref:
        spec["secretRef"] = {"name": args.secret_ref}
    if args.ignore_paths:  # flux: a string slice joined by newlines (printed as a literal block)
        spec["ignore"] = "\n".join(p for item in args.ignore_paths for p in item.split(","))
    if args.sparse_checkout_paths:
        spec["sparseCheckout"] = [p for item in args.sparse_checkout_paths for p in item.split(",")]
    if args.recurse_submodules:
        spec["recurseSubmodules"] = True
    source_git_spec(args, spec)  # --provider, --proxy-secret-ref, --ca-file's scheme check
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
    if args.health_check and not args.wait:  # flux: --wait checks everything, so --health-check is dropped
        spec["healthChecks"] = [_health_check(item) for item in args.health_check]
    if args.wait or args.health_check:
        spec["timeout"] = duration(args.health_check_timeout, "--health-check-timeout")
    if args.retry_interval:
        spec["retryInterval"] = duration(args.retry_interval, "--retry-interval")
    if args.service_account:
        spec["serviceAccountName"] = args.service_account
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
            "metadata": {"name": args.name, "namespace": s.namespace}, "spec": spec}


HEALTH_CHECK_KINDS = ("Deployment", "DaemonSet", "StatefulSet", "HelmRelease")


def _health_check(item: str) -> dict[str, str]:
    """`Kind/name.namespace` as flux create kustomization parses it (same checks, same messages)."""
    parts = item.split("/")
    if len(parts) != 2:
        raise CLIError(f"invalid health check '{item}' must be in the format 'kind/name.namespace' "
                       f"[{' '.join(parts)}]")
    kind = parts[0]
    if kind not in HEALTH_CHECK_KINDS:
        raise CLIError(f"invalid health check kind '{kind}' can be HelmRelease, Deployment, DaemonSet or StatefulSet")
    name_ns = parts[1].split(".")
    if len(name_ns) != 2:
        raise CLIError(f"invalid health check '{item}' must be in the format 'kind/name.namespace'")
    check = {"kind": kind, "name": name_ns[0], "namespace": name_ns[1]}
    if kind == "HelmRelease":
        check = {"apiVersion": "helm.toolkit.fluxcd.io/v2", **check}
    return check


def alert_provider(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    if not args.type:
        raise CLIError("Provider type is required")
    spec: dict[str, Any] = {"type": args.type}
    for key in ("address", "channel", "username"):
        if getattr(args, key):
            spec[key] = getattr(args, key)
    if args.secret_ref:
        spec["secretRef"] = {"name": args.secret_ref}
    return {"apiVersion": PROVIDER.api_version, "kind": "Provider",
            "metadata": {"name": args.name, "namespace": s.namespace}, "spec": spec}


def alert(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    if not args.provider_ref:
        raise CLIError("provider ref is required")
    sources = []
    for kind, name in kind_names(args.event_source):
        name, _, namespace = name.partition(".")
        sources.append({"kind": kind, "name": name, **({"namespace": namespace} if namespace else {})})
    if not sources:
        raise CLIError("at least one event source is required")
    spec: dict[str, Any] = {"eventSources": sources, "providerRef": {"name": args.provider_ref}}
    if args.event_severity:
        spec["eventSeverity"] = args.event_severity
    return {"apiVersion": ALERT.api_version, "kind": "Alert",
            "metadata": {"name": args.name, "namespace": s.namespace}, "spec": spec}


def receiver(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    if not args.type:
        raise CLIError("Receiver type is required")
    if not args.secret_ref:
        raise CLIError("secret ref is required")
    resources = [{"kind": kind, "name": name} for kind, name in kind_names(args.resource)]
    if not resources:
        raise CLIError("atleast one resource is required")
    spec: dict[str, Any] = {"resources": resources, "secretRef": {"name": args.secret_ref}, "type": args.type}
    events = comma_list(args.event)
    if events:
        spec["events"] = events
    return {"apiVersion": RECEIVER.api_version, "kind": "Receiver",
            "metadata": {"name": args.name, "namespace": s.namespace}, "spec": spec}


def git_credentials(s: Session, args: argparse.Namespace, obj: dict[str, Any]) -> None:
    """flux create source git without --secret-ref: store -u/-p or --private-key-file in a Secret named after the
    source and reference it."""
    from engine.cli.create_git import git_secret, upsert_secret

    if args.secret_ref or not (args.username or args.password or args.private_key_file or args.ca_file):
        return
    secret = git_secret(s, args.name, args.url, username=args.username, password=args.password,
                        private_key_file=args.private_key_file, strict=False,
                        ca_file=args.ca_file if args.url.startswith("https://") else "")  # flux: https only
    if secret is None:
        return
    s.printer.action("applying secret with repository credentials")
    upsert_secret(s, secret)
    obj["spec"]["secretRef"] = {"name": args.name}
    s.printer.success("authentication configured")


def webhook_url(s: Session, live: dict[str, Any]) -> None:
    is_ready(s, live)
    s.printer.success(f"generated webhook URL {(live.get('status') or {}).get('webhookPath', '')}")


def fetched_revision(s: Session, live: dict[str, Any]) -> None:
    s.printer.success("GitRepository source reconciliation completed")
    s.printer.success(f"fetched revision: {live.get('status', {}).get('artifact', {}).get('revision', '')}")


def applied_revision(s: Session, live: dict[str, Any]) -> None:
    is_ready(s, live)
    s.printer.success(f"applied revision {live.get('status', {}).get('lastAppliedRevision', '')}")


def add_parsers(create: Any, common: argparse.ArgumentParser) -> None:
    sub = create.add_subparsers(dest="create_kind", required=True, metavar="{source,kustomization,helmrelease,alert-provider,alert,receiver,image}")
    source = sub.add_parser("source", parents=[common], help="create or update a source")
    ssub = source.add_subparsers(dest="source_kind", required=True, metavar="{git,helm,chart}")
    git = create_parser(ssub, "git", common, "create or update a GitRepository source",
                        create_command(git_repository, fetched_revision, "GitRepository source", quote=True,
                                       prepare=git_credentials))
    git.add_argument("--url", default="")
    git.add_argument("--branch", default="")
    git.add_argument("--tag", default="")
    git.add_argument("--tag-semver", default="")
    git.add_argument("--secret-ref", default="")
    git.add_argument("--ignore-paths", action="append", default=[],
                     help="paths to ignore in the git resource (comma-separated or repeated)")
    git.add_argument("--interval", default="1m")
    git.add_argument("--commit", default="", help="git commit")
    git.add_argument("--ref-name", default="", help="git reference name")
    git.add_argument("--sparse-checkout-paths", action="append", default=[],
                     help="paths to sparse checkout in the git resource (comma-separated or repeated)")
    git.add_argument("--recurse-submodules", action="store_true", help="check out submodules too")
    git.add_argument("-u", "--username", default="", help="basic authentication username")
    git.add_argument("-p", "--password", default="", help="basic authentication password")
    git.add_argument("--private-key-file", default="",
                     help="path to a passwordless private key file used for authenticating to the Git SSH server")
    from engine.cli import create_git, helm_sources

    create_git.add_source_git_flags(git)

    helm_sources.add_create_parsers(ssub, common)

    ks = create_parser(sub, "kustomization", common, "create or update a Kustomization",
                       create_command(kustomization, applied_revision), aliases=["ks"])
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

    ap = create_parser(sub, "alert-provider", common, "create or update a Provider resource",
                       create_command(alert_provider))
    ap.add_argument("--type", default="", help="type of provider (generic, generic-hmac, slack, …)")
    ap.add_argument("--address", default="", help="path to either the git repository, chat provider or webhook")
    ap.add_argument("--channel", default="", help="channel to send messages to in the case of a chat provider")
    ap.add_argument("--username", default="", help="bot username used by the provider")
    ap.add_argument("--secret-ref", default="", help="name of secret containing authentication token")

    al = create_parser(sub, "alert", common, "create or update an Alert resource", create_command(alert))
    al.add_argument("--provider-ref", default="", help="reference to provider")
    al.add_argument("--event-severity", default="", help="severity of events to send alerts for (info, error)")
    al.add_argument("--event-source", action="append", default=[],
                    help="Kind/name[.namespace] that should generate alerts ('*' for all names), repeatable")

    rc = create_parser(sub, "receiver", common, "create or update a Receiver resource",
                       create_command(receiver, webhook_url))
    rc.add_argument("--type", default="", help="generic, generic-hmac, github, gitlab, …")
    rc.add_argument("--event", action="append", default=[], help="event type to handle (e.g. push), repeatable")
    rc.add_argument("--resource", action="append", default=[], help="Kind/name to reconcile, repeatable")
    rc.add_argument("--secret-ref", default="", help="name of the secret holding the webhook token")

    from engine.cli import create_git, create_helmrelease, create_image

    create_git.add_secret_parsers(sub, common)
    create_helmrelease.add_parsers(sub, common)
    create_image.add_parsers(sub, common)


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("true", "1", "t", "yes"):
        return True
    if low in ("false", "0", "f", "no"):
        return False
    raise argparse.ArgumentTypeError(f'invalid boolean "{text}"')
