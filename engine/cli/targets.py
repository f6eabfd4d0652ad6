"""The resource sub-commands shared by `gitops export` and `gitops delete`, with flux's words for each kind."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import engine.api.crds_helm  # noqa: F401  (registers the Helm kinds)
import engine.image.kinds  # noqa: F401  (registers the image kinds)
import engine.notify.kinds  # noqa: F401  (registers the notification kinds)
from engine.api.kinds import KindInfo, kind_info


@dataclass(frozen=True)
class Target:
    """`words` as typed after the verb (`source git`), the kind, and flux's human name for messages."""

    words: tuple[str, ...]
    kind: str
    human: str
    aliases: tuple[str, ...] = ()

    @property
    def info(self) -> KindInfo:
        return kind_info(self.kind)


TARGETS = (
    Target(("source", "git"), "GitRepository", "source git"),
    Target(("source", "helm"), "HelmRepository", "source helm"),
    Target(("source", "chart"), "HelmChart", "source chart"),
    Target(("kustomization",), "Kustomization", "kustomization", ("ks",)),
    Target(("helmrelease",), "HelmRelease", "helmrelease", ("hr",)),
    Target(("alert-provider",), "Provider", "alert provider"),
    Target(("alert",), "Alert", "alert"),
    Target(("receiver",), "Receiver", "receiver"),
    Target(("image", "repository"), "ImageRepository", "image repository"),
    Target(("image", "policy"), "ImagePolicy", "image policy"),
    Target(("image", "update"), "ImageUpdateAutomation", "image update automation"),
)


def add_target_parsers(verb: Any, common: argparse.ArgumentParser,
                       configure: Callable[[argparse.ArgumentParser, Target], None],
                       targets: Sequence[Target] = TARGETS) -> None:
    """One sub-command per target under `verb` (`source` and `image` group their kinds); `configure` adds
    the arguments and defaults of each."""
    dest = f"{verb.prog.split()[-1]}_target"
    sub = verb.add_subparsers(dest=dest, required=True)
    groups: dict[str, Any] = {}
    for target in targets:
        parent = sub
        if len(target.words) == 2:
            group = target.words[0]
            if group not in groups:
                g = sub.add_parser(group, parents=[common], help=f"{group} kinds")
                groups[group] = g.add_subparsers(dest=f"{dest}_{group}", required=True)
            parent = groups[group]
        p = parent.add_parser(target.words[-1], aliases=list(target.aliases), parents=[common],
                              help=f"{target.info.kind} resources")
        configure(p, target)
        p.set_defaults(target=target)
