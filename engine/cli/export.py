"""`gitops export source git|kustomization|alert-provider|alert|receiver|image … NAME|--all` as flux prints it.

Each object: apiVersion, kind, metadata (name, namespace, labels and annotations) and spec; no status, no
server-set metadata. Annotations and labels the tools set themselves (requestedAt, kubectl's last-applied
configuration, a parent Kustomization's owner labels) are left out, so the output can go back into Git as is.
"""

from __future__ import annotations

import argparse
from typing import Any

from engine.cli.output import CLIError, export
from engine.cli.session import Session
from engine.cli.targets import Target, add_target_parsers
from engine.cli.wait import get_object
from engine.jsonobj import Obj

MANAGED_ANNOTATIONS = ("reconcile.fluxcd.io/", "kubectl.kubernetes.io/last-applied-configuration")
MANAGED_LABELS = ("kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace")


def _kept(values: dict[str, str] | None, managed: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in (values or {}).items() if not k.startswith(managed)}


# Flux's CRD defaults (kubebuilder:default) for the kinds whose kit CRDs carry no schema defaults: flux export
# shows them because the API server stored them.
SPEC_DEFAULTS: dict[str, Obj] = {
    "GitRepository": {"timeout": "60s"},
    "HelmRepository": {"provider": "generic"},
    "Receiver": {"interval": "10m"},
    "Alert": {"eventSeverity": "info"},
    "ImageRepository": {"provider": "generic", "exclusionList": ["^.*\\.sig$"]},
    "ImagePolicy": {"digestReflectionPolicy": "Never"},
}
DURATIONS = ("interval", "retryInterval", "timeout")  # metav1.Duration fields of a spec (and of HelmRelease actions)
HELM_ACTIONS = ("install", "upgrade", "test", "rollback", "uninstall")
OMITEMPTY_BOOLS = ("force", "suspend", "wait", "recurseSubmodules", "ignoreMissingComponents", "insecure",
                   "persistentClient")  # Go `bool,omitempty`: false is not printed


def _go_durations(spec: Obj) -> None:
    """metav1.Duration values re-printed as Go does (`5m` → `5m0s`, `60s` → `1m0s`); unparsable ones kept."""
    from engine.api.duration import DurationError, format_duration, parse_duration

    holders = [spec] + [spec[a] for a in HELM_ACTIONS if isinstance(spec.get(a), dict)]
    for holder in holders:
        for key in DURATIONS:
            value = holder.get(key)
            if isinstance(value, str):
                try:
                    holder[key] = format_duration(parse_duration(value))
                except DurationError:
                    pass


def exported_spec(kind: str, spec: Obj) -> Obj:
    """The spec as Flux's typed API prints it: CRD defaults filled in, durations in Go form, false omitempty
    booleans left out."""
    import copy

    out = {**copy.deepcopy(SPEC_DEFAULTS.get(kind, {})), **copy.deepcopy(spec)}
    _go_durations(out)
    for key in OMITEMPTY_BOOLS:
        if out.get(key) is False:
            del out[key]
    return out


def exported(target: Target, obj: Obj) -> Obj:
    """The object as `flux export` shapes it."""
    meta = obj.get("metadata") or {}
    out_meta: Obj = {"name": meta.get("name", ""), "namespace": meta.get("namespace", "")}
    labels = _kept(meta.get("labels"), MANAGED_LABELS)
    annotations = _kept(meta.get("annotations"), MANAGED_ANNOTATIONS)
    if labels:
        out_meta["labels"] = labels
    if annotations:
        out_meta["annotations"] = annotations
    return {"apiVersion": target.info.api_version, "kind": target.kind, "metadata": out_meta,
            "spec": exported_spec(target.kind, obj.get("spec") or {})}


def cmd_export(s: Session, args: argparse.Namespace) -> int:
    target: Target = args.target
    if args.all:
        items = s.client.list(target.info.api_version, target.kind, s.namespace)
        if not items:
            s.printer.failure(f"no objects found in {s.namespace} namespace")
            return 0
        objs = sorted(items, key=lambda o: o["metadata"]["name"])
    elif args.name:
        objs = [get_object(s, target.kind, args.name)]
    else:
        raise CLIError("name is required")
    print(export([exported(target, o) for o in objs]), end="")
    return 0


def _configure(p: argparse.ArgumentParser, target: Target) -> None:
    p.add_argument("name", nargs="?")
    p.add_argument("--all", action="store_true", help=f"export every {target.kind} of the namespace")
    p.set_defaults(func=cmd_export)


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    verb = sub.add_parser("export", parents=[common], help="export resources in YAML format",
                          description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_target_parsers(verb, common, _configure)
