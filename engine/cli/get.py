"""`gitops get sources git|all`, `get kustomizations`, `get images …`, `get alert-providers|alerts|receivers`,
`get all` — flux's tables, each kind with its own columns."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.api import conditions
from engine.api.crds import GIT_REPOSITORY, KUSTOMIZATION
from engine.api.crds_helm import HELM_CHART, HELM_RELEASE, HELM_REPOSITORY
from engine.api.kinds import KindInfo
from engine.api.types_helm import HelmRelease
from engine.cli.helm_sources import artifact_revision, static_ready
from engine.cli.output import CLIError, shorten_hex, table
from engine.cli.session import Session
from engine.client import NoMatchError
from engine.image.kinds import IMAGE_POLICY, IMAGE_REPOSITORY, IMAGE_UPDATE_AUTOMATION
from engine.jsonobj import Obj
from engine.notify.kinds import ALERT, PROVIDER, RECEIVER


@dataclass(frozen=True)
class Columns:
    """The columns between NAME and READY/MESSAGE, and how an object fills them."""

    header: tuple[str, ...]
    cells: Callable[[Obj], list[str]]
    short_hex: bool = False  # flux truncates hex runs in the MESSAGE of sources and Kustomizations only


def spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def suspended(obj: Obj) -> str:
    return "True" if spec(obj).get("suspend") else "False"


def revision(obj: Obj) -> str:
    if obj.get("kind") == "Kustomization":
        return status(obj).get("lastAppliedRevision", "")
    return (status(obj).get("artifact") or {}).get("revision") or status(obj).get("lastAppliedRevision", "")


def rfc3339(text: str) -> str:
    """A stored timestamp the way Go's time.RFC3339 prints it (seconds; kept in UTC, `Z`, where flux uses the
    local zone)."""
    if not text:
        return ""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def latest_image(obj: Obj) -> str:
    """ImagePolicy `status.latestRef` as `name:tag[@digest]`."""
    ref = status(obj).get("latestRef") or {}
    if not ref.get("name"):
        return ""
    return f"{ref['name']}:{ref.get('tag', '')}" + (f"@{ref['digest']}" if ref.get("digest") else "")


COLUMNS: dict[str, Columns] = {
    "GitRepository": Columns(("revision", "suspended"), lambda o: [shorten_hex(revision(o)), suspended(o)], True),
    "HelmRepository": Columns(("revision", "suspended"), lambda o: [shorten_hex(revision(o)), suspended(o)], True),
    "HelmChart": Columns(("revision", "suspended"), lambda o: [artifact_revision(o), suspended(o)], True),
    "Kustomization": Columns(("revision", "suspended"), lambda o: [shorten_hex(revision(o)), suspended(o)], True),
    "ImageRepository": Columns(("last scan", "suspended"), lambda o: [
        rfc3339((status(o).get("lastScanResult") or {}).get("scanTime", "")), suspended(o)]),
    "ImagePolicy": Columns(("latest image",), lambda o: [latest_image(o)]),
    "ImageUpdateAutomation": Columns(("last run", "suspended"), lambda o: [
        rfc3339(status(o).get("lastAutomationRunTime", "")), suspended(o)]),
    "HelmRelease": Columns(("revision", "suspended"), lambda o: [HelmRelease(o).revision, suspended(o)]),
    "Receiver": Columns(("suspended",), lambda o: [suspended(o)]),
    "Provider": Columns((), lambda o: []),
    "Alert": Columns(("suspended",), lambda o: [suspended(o)]),
}
def helmrelease_source(obj: Obj) -> str:
    """`flux get hr --show-source`: the chart's source as `<Kind>/<namespace>/<name>`."""
    view = HelmRelease(obj)
    ref = view.chart_ref or ((view.chart_template or {}).get("spec") or {}).get("sourceRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('namespace') or view.namespace}/{ref.get('name', '')}"


HR_WITH_SOURCE = Columns(("source", "revision", "suspended"),
                         lambda o: [helmrelease_source(o), HelmRelease(o).revision, suspended(o)])
SOURCE_KINDS = ("GitRepository", "HelmRepository", "HelmChart")
IMAGE_KINDS = ("ImageRepository", "ImagePolicy", "ImageUpdateAutomation")
# `flux get all` order (sources, images, HelmRelease, Kustomization, notification), restricted to this kit's kinds.
ALL_KINDS = (*SOURCE_KINDS, *IMAGE_KINDS, "HelmRelease", "Kustomization", "Receiver", "Provider", "Alert")
STATIC_KINDS = ("Provider", "Alert")
INFO: dict[str, KindInfo] = {i.kind: i for i in (GIT_REPOSITORY, KUSTOMIZATION, IMAGE_REPOSITORY, IMAGE_POLICY,
                                                  IMAGE_UPDATE_AUTOMATION, RECEIVER, PROVIDER, ALERT, HELM_RELEASE,
                                                  HELM_REPOSITORY, HELM_CHART)}


def ready(obj: Obj) -> tuple[str, str]:
    """READY and MESSAGE. v1beta3 Providers/Alerts have no status in flux (`True`, `<Kind> is Ready`); this kit's
    controller still reports a failed validation, which is shown instead."""
    static = static_ready(obj)
    if static is not None:
        return static
    cond = conditions.get_condition(obj, conditions.READY)
    if obj.get("kind") in STATIC_KINDS and (cond is None or cond.get("status") != conditions.FALSE):
        return conditions.TRUE, f"{obj['kind']} is Ready"
    state, _, message = conditions.summary(obj)
    return state, message


def row(obj: Obj, *, prefix: bool, all_ns: bool, columns: Columns | None = None) -> list[str]:
    meta = obj.get("metadata") or {}
    name = f"{obj['kind'].lower()}/{meta.get('name', '')}" if prefix else meta.get("name", "")
    columns = columns or COLUMNS[obj["kind"]]
    state, message = ready(obj)
    cells = [name, *columns.cells(obj), state, shorten_hex(message) if columns.short_hex else message]
    return ([meta.get("namespace", "")] if all_ns else []) + cells


def list_kind(s: Session, kind: str, label_selector: str | None = None) -> list[Obj]:
    items = s.client.list(INFO[kind].api_version, kind, s.list_namespace, label_selector=label_selector or None)
    for item in items:
        item["kind"] = kind
    return sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))


def where(s: Session) -> str:
    return "any namespace" if s.all_namespaces else f'"{s.namespace}" namespace'


def render(s: Session, kind: str, objs: list[Obj], *, prefix: bool, no_header: bool,
           columns: Columns | None = None) -> str:
    columns = columns or COLUMNS[kind]
    header = (["namespace"] if s.all_namespaces else []) + ["name", *columns.header, "ready", "message"]
    rows = [row(o, prefix=prefix, all_ns=s.all_namespaces, columns=columns) for o in objs]
    if no_header:  # columns as wide as the cells, not the header
        return table([""] * len(header), rows).split("\n", 1)[1]
    return table(header, rows)


def select(objs: list[Obj], selector: str | None) -> list[Obj]:
    """`--status-selector ready=false` / `ready!=true`."""
    if not selector:
        return objs
    key, neg, value = (selector.partition("!=") if "!=" in selector else selector.partition("="))
    if key.strip().lower() != "ready" or not neg:
        raise CLIError(f"invalid status selector '{selector}': use ready=true|false or ready!=true|false")
    want = value.strip().lower()
    return [obj for obj in objs if (ready(obj)[0].lower() == want) != (neg == "!=")]


def watch_kind(s: Session, args: argparse.Namespace, kind: str) -> int:
    """`--watch`: a row per object at the start and whenever it changes (engine.cli.watch)."""
    from engine.cli.watch import watch_rows

    header = None if args.no_header else \
        (["namespace"] if s.all_namespaces else []) + ["name", *COLUMNS[kind].header, "ready", "message"]

    def poll() -> list[tuple[tuple[str, ...], str, list[str]]]:
        objs = select([o for o in list_kind(s, kind, args.label_selector)
                       if not args.name or o["metadata"]["name"] == args.name], args.status_selector)
        return [((o["metadata"].get("namespace", ""), o["metadata"]["name"]),
                 str(o["metadata"].get("resourceVersion", "")), row(o, prefix=False, all_ns=s.all_namespaces))
                for o in objs]

    return watch_rows(poll, header, s.timeout)


def get_one_kind(s: Session, args: argparse.Namespace, kind: str) -> int:
    if getattr(args, "watch", False):
        return watch_kind(s, args, kind)
    try:
        objs = list_kind(s, kind, getattr(args, "label_selector", None))
    except NoMatchError:
        objs = []
    if args.name:
        objs = [o for o in objs if o["metadata"]["name"] == args.name]
        if not objs:
            raise CLIError(f"{kind} object '{args.name}' not found in \"{s.namespace}\" namespace")
    objs = select(objs, args.status_selector)
    if not objs:  # flux get returns an error (exit 1); `get all` and the source/image groups stay silent
        raise CLIError(f"no {kind} objects found in {where(s)}")
    columns = HR_WITH_SOURCE if kind == "HelmRelease" and getattr(args, "show_source", False) else None
    print(render(s, kind, objs, prefix=False, no_header=args.no_header, columns=columns), end="")
    return 0


def print_kinds(s: Session, args: argparse.Namespace, kinds: tuple[str, ...]) -> int:
    """One table per non-empty kind, names prefixed `<kind>/`, a blank line after each; missing CRDs skipped."""
    if getattr(args, "watch", False):
        raise CLIError("expected a single resource type, but found all")
    for kind in kinds:
        try:
            objs = select(list_kind(s, kind, getattr(args, "label_selector", None)), args.status_selector)
        except NoMatchError:
            continue
        if objs:
            print(render(s, kind, objs, prefix=True, no_header=args.no_header))
    return 0


def one_kind(kind: str) -> Callable[[Session, argparse.Namespace], int]:
    return lambda s, args: get_one_kind(s, args, kind)


def many_kinds(kinds: tuple[str, ...]) -> Callable[[Session, argparse.Namespace], int]:
    return lambda s, args: print_kinds(s, args, kinds)


def add_parsers(get: Any, common: argparse.ArgumentParser) -> None:
    def add(sub: Any, name: str, aliases: list[str], help_: str, func: Callable[..., int],
            named: bool = True) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, aliases=aliases, parents=[common], help=help_)
        if named:
            p.add_argument("name", nargs="?")
        p.add_argument("--no-header", action="store_true")
        p.add_argument("--status-selector", default=None)
        p.add_argument("-w", "--watch", action="store_true",
                       help="after listing/getting the requested object, watch for changes")
        p.add_argument("-l", "--label-selector", default="",
                       help="filter objects by label selector (e.g. -l team=web)")
        p.set_defaults(func=func)
        return p

    sub = get.add_subparsers(dest="get_kind", required=True,
                             metavar="{sources,kustomizations,helmreleases,images,alert-providers,alerts,receivers,all}")
    sources = sub.add_parser("sources", aliases=["source"], parents=[common], help="get sources")
    ssub = sources.add_subparsers(dest="source_kind", required=True, metavar="{git,helm,chart,all}")
    add(ssub, "git", [], "get GitRepository statuses", one_kind("GitRepository"))
    add(ssub, "helm", [], "get HelmRepository statuses", one_kind("HelmRepository"))
    add(ssub, "chart", [], "get HelmChart statuses", one_kind("HelmChart"))
    add(ssub, "all", [], "get all source statuses", many_kinds(SOURCE_KINDS), named=False)
    add(sub, "kustomizations", ["kustomization", "ks"], "get Kustomization statuses", one_kind("Kustomization"))
    hr = add(sub, "helmreleases", ["helmrelease", "hr"], "get HelmRelease statuses", one_kind("HelmRelease"))
    hr.add_argument("--show-source", action="store_true", help="show the chart source (<Kind>/<namespace>/<name>)")

    images = sub.add_parser("images", aliases=["image"], parents=[common], help="get image automation statuses")
    isub = images.add_subparsers(dest="image_kind", required=True, metavar="{all,repository,policy,update}")
    add(isub, "all", [], "get all image statuses", many_kinds(IMAGE_KINDS), named=False)
    add(isub, "repository", [], "get ImageRepository statuses", one_kind("ImageRepository"))
    add(isub, "policy", [], "get ImagePolicy statuses", one_kind("ImagePolicy"))
    add(isub, "update", [], "get ImageUpdateAutomation statuses", one_kind("ImageUpdateAutomation"))

    add(sub, "alert-providers", ["alert-provider"], "get Provider statuses", one_kind("Provider"))
    add(sub, "alerts", ["alert"], "get Alert statuses", one_kind("Alert"))
    add(sub, "receivers", ["receiver"], "get Receiver statuses", one_kind("Receiver"))
    add(sub, "all", [], "get all Flux resources", many_kinds(ALL_KINDS), named=False)
