"""What every command needs: global flags, a client for the kubeconfig/context, a manager on demand."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from engine.api.duration import DurationError, parse_duration
from engine.cli.output import CLIError, Printer
from engine.client import Client, load_api_client

DEFAULT_NAMESPACE = "flux-system"


@dataclass
class Session:
    namespace: str = DEFAULT_NAMESPACE
    all_namespaces: bool = False
    kubeconfig: str | None = None
    context: str | None = None
    timeout: float = 300.0
    printer: Printer = field(default_factory=Printer)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Session:
        try:
            timeout = parse_duration(getattr(args, "timeout", None) or "5m")
        except DurationError as err:
            raise CLIError(str(err)) from None
        return cls(namespace=getattr(args, "namespace", None) or DEFAULT_NAMESPACE,
                   all_namespaces=bool(getattr(args, "all_namespaces", False)),
                   kubeconfig=getattr(args, "kubeconfig", None), context=getattr(args, "context", None),
                   timeout=timeout)

    @cached_property
    def client(self) -> Client:
        try:
            api = load_api_client(self.kubeconfig, self.context)
        except Exception as err:  # kubeconfig missing/invalid, unknown context
            hint = ""
            if not self.kubeconfig and not os.environ.get("KUBECONFIG") and not Path("~/.kube/config").expanduser().exists():
                hint = ("; KUBECONFIG is not set and ~/.kube/config does not exist: start a lab cluster with "
                        "`workshop up` and export the KUBECONFIG it prints, or point this shell at a lesson's lab "
                        "with `eval \"$(workshop env NN)\"`")
            raise CLIError(f"unable to load kubeconfig: {err}{hint}") from None
        return Client(api)

    @cached_property
    def manager(self) -> Any:
        """The engine's controllers, run in-process by reconcile/create when no manager is running; they log
        to the cluster's file that `gitops logs` reads."""
        from engine.manager import new_manager
        from engine.paths import log_file

        return new_manager(self.client, log_file=log_file(self.client.api_client.configuration.host))

    @property
    def list_namespace(self) -> str | None:
        return None if self.all_namespaces else self.namespace
