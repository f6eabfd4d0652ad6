"""`gitops run`: the engine's controllers in the foreground, announcing themselves with a Lease.

While the Lease is renewed, `gitops reconcile/create/resume/delete` only annotate and wait (as flux's CLI does);
without it they run the reconcilers in-process. The notification and image controllers run when their CRDs are
installed; `--receiver-port` also serves Receivers' webhooks on 127.0.0.1. Logs go where `gitops logs` reads them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import threading
import time
from typing import Any

from engine.cli.output import CLIError
from engine.cli.session import Session
from engine.client import ApiError
from engine.kustomization.apply import DEFAULT_CONCURRENT_SSA
from engine.manager import DEFAULT_CONCURRENT

LEASE_API = "coordination.k8s.io/v1"
LEASE_NAME = "gitops-manager"
LEASE_SECONDS = 15


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _micro(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def renew_lease(s: Session, holder: str) -> None:
    s.client.apply({"apiVersion": LEASE_API, "kind": "Lease",
                    "metadata": {"name": LEASE_NAME, "namespace": s.namespace},
                    "spec": {"holderIdentity": holder, "leaseDurationSeconds": LEASE_SECONDS,
                             "renewTime": _micro(_now())}}, field_manager="gitops-run")


def release_lease(s: Session) -> None:
    try:
        s.client.delete(LEASE_API, "Lease", LEASE_NAME, s.namespace)
    except ApiError:
        pass


def lease_is_fresh(s: Session) -> bool:
    try:
        lease = s.client.get(LEASE_API, "Lease", LEASE_NAME, s.namespace)
    except ApiError:
        return False
    spec = (lease or {}).get("spec") or {}
    renewed = spec.get("renewTime")
    if not renewed or not spec.get("holderIdentity"):
        return False
    try:
        when = dt.datetime.fromisoformat(renewed.replace("Z", "+00:00"))
    except ValueError:
        return False
    return (_now() - when).total_seconds() < int(spec.get("leaseDurationSeconds") or LEASE_SECONDS)


def cmd_run(s: Session, args: argparse.Namespace) -> int:
    p = s.printer
    holder = f"{socket.gethostname()}_{os.getpid()}"
    from engine.cli.controllers import register_installed

    manager = register_installed(s)
    manager.concurrent = args.concurrent
    if "Kustomization" in manager.reconcilers:
        manager.reconciler("Kustomization").concurrent_ssa = args.concurrent_ssa  # type: ignore[attr-defined]
    if not args.watch_all_namespaces:
        manager.watch_namespace = s.namespace
    p.action(f"starting controllers: {', '.join(manager.reconcilers)}")
    if not args.watch_all_namespaces:
        p.action(f'watching the "{s.namespace}" namespace only')
    receiver = start_receiver(s, manager, args.receiver_port)
    try:
        renew_lease(s, holder)
    except ApiError as err:
        p.warning(f"unable to acquire lease {s.namespace}/{LEASE_NAME}: {err}")
    stop = threading.Event()
    _stop_on_sigterm(stop)
    end = time.monotonic() + args.exit_after if args.exit_after else None
    try:
        manager.start()
        p.success("controllers started (Ctrl-C to stop)")
        while not stop.is_set() and (end is None or time.monotonic() < end):
            left = (end - time.monotonic()) if end is not None else LEASE_SECONDS / 3
            stop.wait(min(LEASE_SECONDS / 3, max(0.05, left)))
            if not manager.alive:  # the loop itself failed: stop holding the lease, say why, exit 1
                break
            try:
                renew_lease(s, holder)
            except ApiError:
                pass
    except KeyboardInterrupt:
        pass
    finally:
        manager.stop()
        if receiver is not None:
            receiver.stop()
        release_lease(s)
    if manager.failure:
        p.failure(manager.failure)
        return 1
    p.success("controllers stopped")
    return 0


def start_receiver(s: Session, manager: Any, port: int | None) -> Any:
    """The Receivers' webhook server on 127.0.0.1:`port` (0: a free port), or None without `--receiver-port`."""
    if port is None:
        return None
    from engine.notify import RECEIVER, ReceiverServer

    if RECEIVER.kind not in manager.reconcilers:
        raise CLIError(f"--receiver-port needs the Receiver CRD ({RECEIVER.crd_name}): run `gitops install` first")
    try:
        server = ReceiverServer(manager.client, manager.logger, port=port).start()
    except OSError as err:
        raise CLIError(f"unable to serve webhooks on 127.0.0.1:{port}: {err.strerror or err}; "
                       "choose another --receiver-port") from None
    s.printer.success(f"webhook receiver listening on {server.url}")
    return server


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("run", parents=[common], help="run the engine's controllers in the foreground",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("--receiver-port", type=int, default=None, metavar="PORT",
                   help="serve Receiver webhooks on 127.0.0.1:PORT (0 picks a free port)")
    r.add_argument("--watch-all-namespaces", type=_flag, default=True, metavar="true|false",
                   help="reconcile objects in every namespace (default true); false: only in --namespace")
    r.add_argument("--concurrent", type=_positive, default=DEFAULT_CONCURRENT, metavar="N",
                   help=f"the number of concurrent reconciles per controller (default {DEFAULT_CONCURRENT})")
    r.add_argument("--concurrent-ssa", type=_positive, default=DEFAULT_CONCURRENT_SSA, metavar="N",
                   help="the number of concurrent server-side apply operations of a Kustomization "
                        f"(default {DEFAULT_CONCURRENT_SSA})")
    r.add_argument("--exit-after", type=float, default=None, help=argparse.SUPPRESS)
    r.set_defaults(func=cmd_run)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"invalid value '{value}': use a whole number of at least 1")
    return int(value)


def _flag(value: str) -> bool:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise argparse.ArgumentTypeError(f"invalid value '{value}': use true or false")


def _stop_on_sigterm(stop: threading.Event) -> None:
    """`kill <pid>` stops `gitops run` as cleanly as Ctrl-C (lease released); main thread only."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
