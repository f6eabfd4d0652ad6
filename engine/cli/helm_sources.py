"""The Helm source kinds in the CLI: `gitops create source helm|chart`, and what `get`, `reconcile`,
`suspend|resume` and `export` need to know about HelmRepository and HelmChart (flux's lines and columns).

    gitops create source helm lab --url=http://127.0.0.1:8879/ --interval=10m
    gitops create source helm lab-oci --url=oci://127.0.0.1:5000/charts      (type: oci)
    gitops create source chart web --source=HelmRepository/lab --chart=web --chart-version='0.1.x'
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import urlsplit

from engine.api.crds_helm import HELM_CHART, HELM_REPOSITORY
from engine.api.types_helm import HelmRepository
from engine.cli.output import CLIError, export
from engine.cli.session import Session
from engine.cli.wait import apply_object, manager_running, reconcile_and_wait
from engine.client import NoMatchError
from engine.jsonobj import Obj

CHART_SOURCE_KINDS = ("HelmRepository", "GitRepository", "Bucket")
STATIC_MESSAGE = "Helm repository is Ready"


# -- what the shared commands ask ----------------------------------------------------------------------------
def is_static(obj: Obj) -> bool:
    """An OCI HelmRepository has no reconciler in Flux: `flux reconcile` says so, `flux get` shows it Ready."""
    return obj.get("kind") == "HelmRepository" and HelmRepository(obj).is_oci


def static_ready(obj: Obj) -> tuple[str, str] | None:
    """READY and MESSAGE of a static (OCI) HelmRepository for `get`, None for any other object."""
    return ("True", STATIC_MESSAGE) if is_static(obj) else None


def artifact_revision(obj: Obj) -> str:
    return ((obj.get("status") or {}).get("artifact") or {}).get("revision", "")


def fetched_revision(obj: Obj) -> str:
    """The last line of `flux reconcile|resume source helm|chart`."""
    return f"fetched revision {artifact_revision(obj)}"


# -- create source helm ---------------------------------------------------------------------------------------
def _duration(text: str, flag: str) -> str:
    from engine.cli.creating import duration

    return duration(text, flag)


def helm_repository(s: Session, args: argparse.Namespace) -> Obj:
    """The HelmRepository `flux create source helm` generates (oci:// URLs give `type: oci`)."""
    if not args.url:
        raise CLIError("url is required")
    parts = urlsplit(args.url)
    if parts.scheme not in ("http", "https", "oci"):
        raise CLIError(f"url scheme '{parts.scheme}' not supported, can be: http, https and oci")
    if not parts.netloc:
        raise CLIError("url host is required")
    spec: Obj = {"interval": _duration(args.interval, "--interval"), "url": args.url}
    if parts.scheme == "oci":
        spec["type"] = "oci"
        if args.oci_provider:
            spec["provider"] = args.oci_provider
    if args.fetch_timeout:
        spec["timeout"] = _duration(args.fetch_timeout, "--fetch-timeout")
    if args.secret_ref:
        spec["secretRef"] = {"name": args.secret_ref}
        if args.pass_credentials:
            spec["passCredentials"] = True
    return {"apiVersion": HELM_REPOSITORY.api_version, "kind": "HelmRepository",
            "metadata": {"name": args.name, "namespace": s.namespace}, "spec": spec}


def cmd_create_source_helm(s: Session, args: argparse.Namespace) -> int:
    obj = helm_repository(s, args)
    if args.export:
        print(export([obj]), end="")
        return 0
    p = s.printer
    p.generate("generating HelmRepository source")
    if not args.secret_ref and (args.username or args.password):
        # flux stores -u/-p in a Secret `helm-<name>` and points secretRef at it
        secret_name = f"helm-{args.name}"
        secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                  "metadata": {"name": secret_name, "namespace": s.namespace},
                  "stringData": {"username": args.username, "password": args.password}}
        p.action("applying secret with repository credentials")
        apply_object(s, secret)
        obj["spec"]["secretRef"] = {"name": secret_name}
        if args.pass_credentials:
            obj["spec"]["passCredentials"] = True
        p.success("authentication configured")
    _apply_source(s, obj)
    if obj["spec"].get("type") == "oci":
        _reconcile_static(s)
        p.success("HelmRepository source reconciliation completed")
        return 0
    return _fetched(s, "HelmRepository", args.name, quote=True)


def _apply_source(s: Session, obj: Obj) -> None:
    """Apply a Helm source as flux's create commands do, saying whether it was created or updated."""
    p, kind = s.printer, obj["kind"]
    p.action(f"applying {kind} source")
    try:
        created = apply_object(s, obj)
    except NoMatchError as err:
        raise CLIError(f"{err}: the {kind} CRD is not installed, run `gitops install`") from None
    p.success(f"source {'created' if created else 'updated'}")
    p.waiting(f"waiting for {kind} source reconciliation")


def _fetched(s: Session, kind: str, name: str, *, quote: bool = False) -> int:
    """Wait for the source's artifact and print its revision (an error when it has none)."""
    live = reconcile_and_wait(s, kind, name, quote=quote)
    s.printer.success(f"{kind} source reconciliation completed")
    revision = artifact_revision(live)
    if not revision:
        raise CLIError(f"{kind} source reconciliation completed but no artifact was found")
    s.printer.success(f"fetched revision: {revision}")
    return 0


def _reconcile_static(s: Session) -> None:
    """A static object has nothing to wait for; the in-process engine still takes it in (finalizer, status)."""
    if not manager_running(s):
        from engine.cli.controllers import register_installed

        register_installed(s)
        s.manager.sync(timeout=s.timeout, sources=False)


# -- create source chart --------------------------------------------------------------------------------------
def chart_source(text: str) -> tuple[str, str]:
    """`--source=<Kind>/<name>` (kind case-insensitive), as flux's HelmChartSource flag parses it."""
    if not text:
        return "", ""
    kind, sep, name = text.partition("/")
    if not sep:
        raise CLIError(f'invalid argument "{text}" for "--source" flag: invalid source reference, must be in the '
                       "format <kind>/<name>")
    match = next((k for k in CHART_SOURCE_KINDS if k.lower() == kind.lower()), None)
    if match is None:
        raise CLIError(f'invalid argument "{text}" for "--source" flag: source kind \'{kind}\' is not supported, '
                       f"must be one of: {', '.join(CHART_SOURCE_KINDS)}")
    return match, name


def helm_chart(s: Session, args: argparse.Namespace) -> Obj:
    """The HelmChart `flux create source chart` generates."""
    kind, name = chart_source(args.source)
    if not kind or not name:
        raise CLIError("chart source is required")
    if not args.chart:
        raise CLIError("chart name or path is required")
    if args.reconcile_strategy not in ("ChartVersion", "Revision"):
        raise CLIError(f'invalid argument "{args.reconcile_strategy}" for "--reconcile-strategy" flag: '
                       "reconcile strategy must be one of: ChartVersion, Revision")
    spec: Obj = {"chart": args.chart, "interval": _duration(args.interval, "--interval"),
                 "reconcileStrategy": args.reconcile_strategy, "sourceRef": {"kind": kind, "name": name}}
    if args.chart_version:
        spec["version"] = args.chart_version
    return {"apiVersion": HELM_CHART.api_version, "kind": "HelmChart",
            "metadata": {"name": args.name, "namespace": s.namespace}, "spec": spec}


def cmd_create_source_chart(s: Session, args: argparse.Namespace) -> int:
    kind, name = chart_source(args.source)
    if not kind or not name:
        raise CLIError("chart source is required")
    if not args.chart:
        raise CLIError("chart name or path is required")
    p = s.printer
    p.generate("generating HelmChart source")  # flux prints it before --export too
    obj = helm_chart(s, args)
    if args.export:
        print(export([obj]), end="")
        return 0
    _apply_source(s, obj)
    return _fetched(s, "HelmChart", args.name)


def add_create_parsers(ssub: Any, common: argparse.ArgumentParser) -> None:
    """`create source helm` and `create source chart` under `create source`."""
    helm = ssub.add_parser("helm", parents=[common], help="create or update a HelmRepository source")
    helm.add_argument("name")
    helm.add_argument("--export", action="store_true")
    helm.add_argument("--url", default="", help="Helm repository address (http, https or oci)")
    helm.add_argument("-u", "--username", default="", help="basic authentication username")
    helm.add_argument("-p", "--password", default="", help="basic authentication password")
    helm.add_argument("--secret-ref", default="",
                      help="the name of an existing secret containing basic auth or docker-config credentials")
    helm.add_argument("--pass-credentials", action="store_true", help="pass credentials to all domains")
    helm.add_argument("--oci-provider", default="", help="OCI provider for authentication")
    helm.add_argument("--interval", default="1m", help="source sync interval")
    helm.add_argument("--fetch-timeout", default="", help="timeout for fetch operations (e.g. 'helm repo update')")
    helm.set_defaults(func=cmd_create_source_helm)

    chart = ssub.add_parser("chart", parents=[common], help="create or update a HelmChart source")
    chart.add_argument("name")
    chart.add_argument("--export", action="store_true")
    chart.add_argument("--source", default="", help="source that contains the chart: <kind>/<name> "
                                                    "(HelmRepository, GitRepository, Bucket)")
    chart.add_argument("--chart", default="", help="Helm chart name or path")
    chart.add_argument("--chart-version", default="", help="Helm chart version, accepts a semver range "
                                                           "(ignored for charts from GitRepository sources)")
    chart.add_argument("--reconcile-strategy", default="ChartVersion",
                       help="the reconcile strategy for helm chart (ChartVersion or Revision)")
    chart.add_argument("--interval", default="1m", help="source sync interval")
    chart.set_defaults(func=cmd_create_source_chart)
