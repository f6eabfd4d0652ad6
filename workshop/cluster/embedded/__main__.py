"""`python -m workshop.cluster.embedded`: run an embedded lab cluster in the foreground until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from workshop.cluster.base import ClusterError

from .cluster import EmbeddedCluster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop.cluster.embedded",
                                     description="Serve an embedded Kubernetes API on 127.0.0.1.")
    parser.add_argument("--name", default="lab", help="cluster/context/user name in the kubeconfig")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 = a free one)")
    parser.add_argument("--state", type=Path, default=None, help="directory that keeps the state across restarts")
    parser.add_argument("--kubeconfig", type=Path, default=None, help="where to write the kubeconfig")
    parser.add_argument("--tls", action=argparse.BooleanOptionalAction, default=None,
                        help="serve HTTPS with a lab CA and a client-certificate admin, like kind "
                             "(default: on unless $WORKSHOP_EMBEDDED_TLS=0; --no-tls serves plain HTTP)")
    args = parser.parse_args(argv)
    workdir = args.kubeconfig.parent if args.kubeconfig else None
    cluster = EmbeddedCluster(args.name, workdir=workdir, state_dir=args.state, port=args.port,
                              kubeconfig=args.kubeconfig, tls=args.tls)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        cluster.start()
    except ClusterError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"embedded cluster {args.name!r} serving {cluster.url}; kubeconfig {cluster.kubeconfig_path}", flush=True)
    try:
        stop.wait()
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
