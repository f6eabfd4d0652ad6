"""`gitops create helmrelease|hr NAME` as flux's create_helmrelease.go builds it (`--export` shape included)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from engine.api.crds_helm import HELM_RELEASE
from engine.api.types_helm import HelmRelease
from engine.cli.creating import create_command, create_parser, duration, is_ready
from engine.cli.output import CLIError
from engine.cli.session import Session

SOURCE_KINDS = ("HelmRepository", "GitRepository", "Bucket")
CHART_REF_KINDS = ("OCIRepository", "HelmChart")
CRD_POLICIES = ("Skip", "Create", "CreateReplace")


def _kind_name(text: str, flag: str, kinds: tuple[str, ...]) -> tuple[str, str, str]:
    """`<Kind>/<name>[.<namespace>]` → (kind, name, namespace)."""
    kind, sep, rest = text.partition("/")
    if not sep or not kind or not rest:
        raise CLIError(f"invalid {flag} '{text}', must be in format <kind>/<name>[.<namespace>]")
    matched = next((k for k in kinds if k.lower() == kind.lower()), None)
    if matched is None:
        raise CLIError(f"{flag} kind '{kind}' is not supported, must be one of: {', '.join(kinds)}")
    name, _, namespace = rest.partition(".")
    return matched, name, namespace


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _values(files: list[str]) -> dict[str, Any]:
    """`--values f1,f2 --values f3`: the files deep-merged in order."""
    merged: dict[str, Any] = {}
    for entry in files:
        for path in (p.strip() for p in entry.split(",") if p.strip()):
            try:
                doc = yaml.safe_load(Path(path).read_text()) or {}
            except OSError as err:
                raise CLIError(f"reading values from {path} failed: {err.strerror or err}") from None
            except yaml.YAMLError as err:
                raise CLIError(f"converting values to JSON from {path} failed: {err}") from None
            if not isinstance(doc, dict):
                raise CLIError(f"converting values to JSON from {path} failed: not a YAML map")
            merged = _merge(merged, doc)
    return merged


def helmrelease(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    """The HelmRelease flux would generate from the flags."""
    if not args.chart and not args.chart_ref:
        raise CLIError("chart or chart-ref is required")
    if args.chart and args.chart_ref:
        raise CLIError("cannot use --chart in combination with --chart-ref")
    spec: dict[str, Any] = {"interval": duration(args.interval, "--interval")}
    if args.chart:
        if not args.source:
            raise CLIError("source is required")
        kind, name, namespace = _kind_name(args.source, "source", SOURCE_KINDS)
        ref = {"kind": kind, "name": name, **({"namespace": namespace} if namespace else {})}
        chart_spec: dict[str, Any] = {"chart": args.chart, "reconcileStrategy": args.reconcile_strategy,
                                      "sourceRef": ref}
        if args.chart_version:
            chart_spec["version"] = args.chart_version
        spec["chart"] = {"spec": chart_spec}
    else:
        kind, name, namespace = _kind_name(args.chart_ref, "chart-ref", CHART_REF_KINDS)
        spec["chartRef"] = {"kind": kind, "name": name, **({"namespace": namespace} if namespace else {})}
    if args.release_name:
        spec["releaseName"] = args.release_name
    if args.target_namespace:
        spec["targetNamespace"] = args.target_namespace
        spec["storageNamespace"] = args.target_namespace
    if args.storage_namespace:
        spec["storageNamespace"] = args.storage_namespace
    if args.create_target_namespace:
        spec.setdefault("install", {})["createNamespace"] = True
    if args.crds:
        if args.crds not in CRD_POLICIES:
            raise CLIError(f"invalid argument \"{args.crds}\" for \"--crds\" flag: crds policy '{args.crds}' is "
                           f"not supported, can be: {', '.join(CRD_POLICIES)}")
        spec.setdefault("install", {})["crds"] = "Create"  # flux: install always Create, upgrade as asked
        spec["upgrade"] = {"crds": args.crds}
    deps = []
    for entry in args.depends_on:
        for item in (i.strip() for i in entry.split(",") if i.strip()):
            ns, _, name = item.rpartition("/")
            deps.append({"name": name, **({"namespace": ns} if ns else {})})
    if deps:
        spec["dependsOn"] = deps
    values = _values(args.values)
    if values:
        spec["values"] = values
    refs = []
    for entry in args.values_from:
        for item in (i.strip() for i in entry.split(",") if i.strip()):
            kind, sep, name = item.partition("/")
            if not sep or kind not in ("Secret", "ConfigMap") or not name:
                raise CLIError(f"invalid argument \"{item}\" for \"--values-from\" flag: must be in format "
                               "<kind>/<name>, kind can be Secret or ConfigMap")
            refs.append({"kind": kind, "name": name})
    if refs:
        spec["valuesFrom"] = refs
    metadata: dict[str, Any] = {"name": args.name, "namespace": s.namespace}
    if args.label:
        metadata["labels"] = dict(_label(label) for label in args.label)
    return {"apiVersion": HELM_RELEASE.api_version, "kind": "HelmRelease", "metadata": metadata, "spec": spec}


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise CLIError(f"invalid label format '{text}', must be key=value")
    return key, value


def applied_revision(s: Session, live: dict[str, Any]) -> None:
    is_ready(s, live)
    s.printer.success(f"applied revision {HelmRelease(live).revision}")


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    hr = create_parser(sub, "helmrelease", common, "create or update a HelmRelease resource",
                       create_command(helmrelease, applied_revision), aliases=["hr"])
    hr.add_argument("--source", default="", help="<Kind>/<name>[.<namespace>] of the chart source")
    hr.add_argument("--chart", default="", help="Helm chart name or path")
    hr.add_argument("--chart-version", default="", help="Helm chart version, accepts a semver range")
    hr.add_argument("--chart-ref", default="", help="<HelmChart|OCIRepository>/<name>[.<namespace>]")
    hr.add_argument("--release-name", default="")
    hr.add_argument("--target-namespace", default="")
    hr.add_argument("--storage-namespace", default="")
    hr.add_argument("--create-target-namespace", action="store_true")
    hr.add_argument("--depends-on", action="append", default=[])
    hr.add_argument("--values", action="append", default=[], help="local path to values.yaml files, comma-separated")
    hr.add_argument("--values-from", action="append", default=[], help="Kind/name of Secrets/ConfigMaps")
    hr.add_argument("--reconcile-strategy", default="ChartVersion", choices=["ChartVersion", "Revision"])
    hr.add_argument("--crds", default="")
    hr.add_argument("--interval", default="1m")
    hr.add_argument("--label", action="append", default=[])
