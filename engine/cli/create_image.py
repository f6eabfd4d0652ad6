"""`gitops create image repository|policy|update …` with flux's `--export` shapes (image.toolkit.fluxcd.io/v1)."""

from __future__ import annotations

import argparse
import re
from typing import Any

from engine.cli.creating import create_command, create_parser, duration
from engine.cli.output import CLIError
from engine.cli.session import Session
from engine.image.kinds import IMAGE_POLICY, IMAGE_REPOSITORY, IMAGE_UPDATE_AUTOMATION
from engine.image.reference import ImageNameError, parse_image
from engine.jsonobj import Obj

ORDERS = ("asc", "desc")


def completed(s: Session, live: Obj) -> None:
    s.printer.success(f"{live['kind']} reconciliation completed")


def meta(s: Session, args: argparse.Namespace) -> Obj:
    return {"name": args.name, "namespace": s.namespace}


def image_repository(s: Session, args: argparse.Namespace) -> Obj:
    if not args.image:
        raise CLIError("an image repository (--image) is required")
    try:
        parse_image(args.image)
    except ImageNameError as err:
        raise CLIError(f"unable to parse image value: {err}") from None
    spec: Obj = {"image": args.image, "interval": duration(args.interval, "--interval")}
    if args.scan_timeout:
        spec["timeout"] = duration(args.scan_timeout, "--scan-timeout")
    if args.secret_ref:
        spec["secretRef"] = {"name": args.secret_ref}
    if args.cert_ref:
        spec["certSecretRef"] = {"name": args.cert_ref}
    return {"apiVersion": IMAGE_REPOSITORY.api_version, "kind": "ImageRepository", "metadata": meta(s, args),
            "spec": spec}


def choice(args: argparse.Namespace) -> Obj:
    """`spec.policy` from exactly one of --select-semver/--select-alpha/--select-numeric."""
    given = [flag for flag in ("select_semver", "select_alpha", "select_numeric") if getattr(args, flag)]
    if len(given) > 1:
        raise CLIError("only one of --select-semver, --select-alpha or --select-numeric can be specified")
    if not given:
        raise CLIError("a policy must be provided with either --select-semver or --select-alpha")
    if args.select_semver:
        return {"semver": {"range": args.select_semver}}
    flag = given[0].replace("_", "-")
    order = getattr(args, given[0])
    if order not in ORDERS:
        raise CLIError(f'--{flag} must be one of ["asc", "desc"]')
    return {"alphabetical": {"order": order}} if args.select_alpha else {"numerical": {"order": order}}


def tag_filter(args: argparse.Namespace) -> Obj | None:
    if not args.filter_regex:
        if args.filter_extract:
            raise CLIError("cannot specify --filter-extract without specifying --filter-regex")
        return None
    try:
        groups = set(re.compile(re.sub(r"\(\?<(?![=!])", "(?P<", args.filter_regex)).groupindex)
    except re.error:
        raise CLIError("--filter-regex is an invalid regex pattern") from None
    out: Obj = {"pattern": args.filter_regex}
    if args.filter_extract:
        for name in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", args.filter_extract):
            if name not in groups:
                raise CLIError(f"capture group ${name} used in --filter-extract not found in --filter-regex")
        out["extract"] = args.filter_extract
    return out


def image_policy(s: Session, args: argparse.Namespace) -> Obj:
    if not args.image_ref:
        raise CLIError("the name of an ImageRepository in the namespace is required (--image-ref)")
    spec: Obj = {"imageRepositoryRef": {"name": args.image_ref}, "policy": choice(args)}
    tags = tag_filter(args)
    if tags:
        spec["filterTags"] = tags
    return {"apiVersion": IMAGE_POLICY.api_version, "kind": "ImagePolicy", "metadata": meta(s, args), "spec": spec}


def image_update(s: Session, args: argparse.Namespace) -> Obj:
    for value, message in ((args.git_repo_ref, "a reference to a GitRepository is required (--git-repo-ref)"),
                           (args.checkout_branch, "the Git repository branch is required (--checkout-branch)"),
                           (args.author_name, "the author name is required (--author-name)"),
                           (args.author_email, "the author email is required (--author-email)")):
        if not value:
            raise CLIError(message)
    commit: Obj = {"author": {"email": args.author_email, "name": args.author_name}}
    if args.commit_template:
        commit["messageTemplate"] = args.commit_template
    git: Obj = {"checkout": {"ref": {"branch": args.checkout_branch}}, "commit": commit}
    if args.push_branch:
        git["push"] = {"branch": args.push_branch}
    source: Obj = {"kind": "GitRepository", "name": args.git_repo_ref}
    if args.git_repo_namespace:
        source["namespace"] = args.git_repo_namespace
    spec: Obj = {"git": git, "interval": duration(args.interval, "--interval"), "sourceRef": source}
    if args.git_repo_path:
        spec["update"] = {"path": args.git_repo_path, "strategy": "Setters"}
    return {"apiVersion": IMAGE_UPDATE_AUTOMATION.api_version, "kind": "ImageUpdateAutomation",
            "metadata": meta(s, args), "spec": spec}


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    image = sub.add_parser("image", parents=[common], help="create or update image automation objects")
    isub = image.add_subparsers(dest="image_kind", required=True, metavar="{repository,policy,update}")

    def verb(name: str, help_: str, build: Any) -> argparse.ArgumentParser:
        return create_parser(isub, name, common, help_, create_command(build, completed))

    repo = verb("repository", "create or update an ImageRepository", image_repository)
    repo.add_argument("--image", default="", help="the image repository to scan, e.g. registry:5000/team/web")
    repo.add_argument("--interval", default="1m")
    repo.add_argument("--secret-ref", default="", help="a docker-registry secret with the credentials")
    repo.add_argument("--cert-ref", default="", help="a secret with TLS certificates")
    repo.add_argument("--scan-timeout", default="", help="timeout for scanning (default: the interval)")

    pol = verb("policy", "create or update an ImagePolicy", image_policy)
    pol.add_argument("--image-ref", default="", help="the name of an ImageRepository in the namespace")
    pol.add_argument("--select-semver", default="", help="a semver range to apply to tags, e.g. '1.x'")
    pol.add_argument("--select-alpha", default="", help="asc (select the last) or desc (select the first)")
    pol.add_argument("--select-numeric", default="", help="asc (select the last) or desc (select the first)")
    pol.add_argument("--filter-regex", default="", help="regular expression the tags must match")
    pol.add_argument("--filter-extract", default="", help="replacement (capture groups of --filter-regex) to sort")

    upd = verb("update", "create or update an ImageUpdateAutomation", image_update)
    upd.add_argument("--git-repo-ref", default="", help="the GitRepository to update")
    upd.add_argument("--git-repo-namespace", default="", help="its namespace (default: the automation's)")
    upd.add_argument("--git-repo-path", default="", help="the folder with the manifests to update")
    upd.add_argument("--checkout-branch", default="", help="the branch to check out")
    upd.add_argument("--push-branch", default="", help="the branch to push to (default: the checkout branch)")
    upd.add_argument("--commit-template", default="", help="a template for commit messages")
    upd.add_argument("--author-name", default="", help="the commit author's name")
    upd.add_argument("--author-email", default="", help="the commit author's email")
    upd.add_argument("--interval", default="1m")
