"""`gitops`: the flux CLI's verbs and output over the engine (console script `gitops = engine.cli:main`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from engine.cli.output import CLIError, Printer
from engine.cli.session import DEFAULT_NAMESPACE, Session
from engine.client import ApiError

__all__ = ["CLIError", "build_parser", "main"]


class Parser(argparse.ArgumentParser):
    """Usage errors become one `✗ …` line and exit 1 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(message)


def common_flags(*, defaults: bool) -> Parser:
    """Global flags, accepted before or after the verb (sub-parsers use SUPPRESS so they don't reset them)."""
    p = Parser(add_help=False)

    def d(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    p.add_argument("-n", "--namespace", default=d(DEFAULT_NAMESPACE), help="namespace (default flux-system)")
    p.add_argument("-A", "--all-namespaces", action="store_true", default=d(False))
    p.add_argument("--kubeconfig", default=d(None), help="path to the kubeconfig file")
    p.add_argument("--context", default=d(None), help="kubeconfig context to use")
    p.add_argument("--timeout", default=d("5m"), help="timeout for operations (default 5m)")
    return p


def build_parser() -> Parser:
    from engine.cli import (
        bootstrap,
        create,
        delete,
        export,
        get,
        inspect,
        install,
        logs,
        migrate,
        reconcile,
        run,
    )

    common = common_flags(defaults=False)
    parser = Parser(prog="gitops", parents=[common_flags(defaults=True)],
                    description="Command line utility for the GitOps workshop's Flux-compatible engine.")
    sub: Any = parser.add_subparsers(dest="verb", required=True, parser_class=Parser)

    v = sub.add_parser("version", parents=[common], help="print the client and engine versions")
    v.add_argument("--client", action="store_true")
    v.set_defaults(func=install.cmd_version)
    i = sub.add_parser("install", parents=[common], help="install the CRDs and the flux-system namespace")
    i.add_argument("--export", action="store_true", help="print the manifests instead of applying them")
    i.add_argument("--components-extra", default="",
                   help="image-reflector-controller,image-automation-controller (comma-separated)")
    i.set_defaults(func=install.cmd_install)
    c = sub.add_parser("check", parents=[common], help="check requirements and installation")
    c.add_argument("--pre", action="store_true", help="only check the prerequisites")
    c.set_defaults(func=install.cmd_check)

    create.add_parsers(sub.add_parser("create", parents=[common], help="create or update sources and resources"),
                       common)
    get.add_parsers(sub.add_parser("get", parents=[common], help="get the status of Flux resources"), common)
    reconcile.add_parsers(sub, common)
    inspect.add_parsers(sub, common)
    bootstrap.add_parsers(sub, common)
    run.add_parsers(sub, common)
    for module in (logs, export, delete, migrate):
        module.add_parsers(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    printer = Printer()
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        session = Session.from_args(args)
        if getattr(args, "all_namespaces", False) is False and not getattr(args, "namespace", None):
            raise CLIError("namespace must not be empty")
        return int(args.func(session, args) or 0)
    except CLIError as err:
        printer.failure(str(err))
        return err.code
    except ApiError as err:
        printer.failure(str(err))
        return 1
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError, RuntimeError) as err:  # files, durations, timeouts: one line, no traceback
        printer.failure(str(err) or type(err).__name__)
        return 1
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0) if isinstance(exit_.code, int) else 1
