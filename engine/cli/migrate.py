"""`gitops migrate [-f PATH]`: Flux custom resources to their latest API version, as `flux migrate` does.

- `-f PATH` (file system mode): rewrites the `apiVersion:` lines of Flux kinds in the YAML files under PATH
  (`--extensions`, `--version` of Flux to target, `--dry-run`, `--yes` to skip the confirmation prompt).
- no `-f` (cluster mode): for each Flux CRD (`app.kubernetes.io/part-of: flux`) re-writes every object through
  the CRD's storage version and trims `status.storedVersions` to it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from engine.cli.output import CLIError
from engine.cli.session import Session
from engine.migrate import DEFAULT_EXTENSIONS, MigrateError, plan, rewrite

CRD_API = "apiextensions.k8s.io/v1"


def _confirm(s: Session) -> None:
    print("? Are you sure you want to proceed with the above upgrades? [y/N] ", end="", file=s.printer.stream,
          flush=True)
    answer = sys.stdin.readline().strip().lower() if sys.stdin else ""
    if answer not in ("y", "yes"):
        raise CLIError("migration aborted")


def migrate_file_system(s: Session, args: argparse.Namespace) -> int:
    extensions = tuple(e.strip() for e in ",".join(args.extensions or DEFAULT_EXTENSIONS).split(",") if e.strip())
    s.printer.action("starting migration of custom resources")
    try:
        found = plan(args.path, extensions=extensions, flux_version=args.version or "2.9")
    except MigrateError as err:
        raise CLIError(str(err)) from None
    for kind, text in found.messages:
        (s.printer.warning if kind == "warning" else s.printer.generate)(text)
    if not found.files:
        s.printer.success("no custom resources found that require migration")
        return 0
    if args.dry_run:
        s.printer.success("dry-run mode enabled, no changes will be made")
        return 0
    if not args.yes:
        _confirm(s)
    for file_upgrades in found.files:
        try:
            rewrite(file_upgrades)
        except OSError as err:
            raise CLIError(f"failed to write file {file_upgrades.file}: {err}") from None
        s.printer.success(f"file {file_upgrades.file} migrated successfully")
    s.printer.success("custom resources migrated successfully")
    return 0


def migrate_cluster(s: Session) -> int:
    s.printer.action("starting migration of custom resources")
    crds = s.client.list(CRD_API, "CustomResourceDefinition", label_selector="app.kubernetes.io/part-of=flux")
    for crd in sorted(crds, key=lambda c: c["metadata"]["name"]):
        spec = crd.get("spec") or {}
        name = crd["metadata"]["name"]
        storage = next((v.get("name") for v in spec.get("versions") or [] if v.get("storage")), None)
        if not storage:
            raise CLIError(f"no storage version found for CRD {name}")
        api_version = f"{spec.get('group')}/{storage}"
        kind = (spec.get("names") or {}).get("kind", "")
        for item in s.client.list(api_version, kind):
            meta = item["metadata"]
            s.client.merge_patch(api_version, kind, meta["name"], meta.get("namespace"), {})
            s.printer.success(f"{kind}/{meta.get('namespace', '')}/{meta['name']} migrated to version {storage}")
        stored = (crd.get("status") or {}).get("storedVersions") or [storage]
        if stored != [storage]:
            crd.setdefault("status", {})["storedVersions"] = [storage]
            s.client.replace(crd, subresource="status")
            s.printer.success(f"{name} migrated to storage version {storage}")
    s.printer.success("custom resources migrated successfully")
    return 0


def cmd_migrate(s: Session, args: argparse.Namespace) -> int:
    if not args.path:
        return migrate_cluster(s)
    return migrate_file_system(s, args)


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("migrate", parents=[common], help="migrate the Flux custom resources to their latest API version",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-f", "--path", default="", help="the path to the directory containing the manifests to migrate")
    p.add_argument("-e", "--extensions", action="append", default=None,
                   help="the file extensions to consider when migrating manifests (default .yaml,.yml)")
    p.add_argument("-v", "--version", default="", help="the target Flux minor version (default: 2.9)")
    p.add_argument("-y", "--yes", action="store_true", help="skip confirmation prompts")
    p.add_argument("--dry-run", action="store_true", help="simulate the migration without making any changes")
    p.set_defaults(func=cmd_migrate)
