"""`workshop` command line: start, inspect and stop the lab cluster (`workshop up|status|down`).

More subcommands plug in without editing this file: any module in the `workshop.commands` package that
defines `register(subparsers)` is loaded; it adds its parser and sets `func=<callable(args) -> int>`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from workshop.cluster import BACKENDS, ClusterError, create_cluster
from workshop.cluster.kubeconfig import load_kubeconfig, server_of

STATE_FILE = "cluster.json"
START_TIMEOUT = 60.0


def lab_home() -> Path:
    """Where `workshop up` keeps its files: $WORKSHOP_HOME, else .lab/ in the kit's checkout (or cwd)."""
    env = os.environ.get("WORKSHOP_HOME")
    if env:
        return Path(env).expanduser().resolve()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout / ".lab"
    return Path.cwd() / ".lab"


@dataclass
class LabState:
    """What `workshop up` started, as recorded in <lab home>/cluster.json."""

    backend: str
    name: str
    kubeconfig: str
    pid: int | None = None
    port: int | None = None
    state_dir: str | None = None
    owns_state_dir: bool = False
    log: str | None = None
    context: str | None = None

    @classmethod
    def load(cls, home: Path) -> LabState | None:
        path = home / STATE_FILE
        if not path.is_file():
            return None
        try:
            return cls(**json.loads(path.read_text()))
        except (ValueError, TypeError) as exc:
            raise ClusterError(f"{path} is damaged ({exc}); delete it and run `workshop up` again") from exc

    def save(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        (home / STATE_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")


def pid_alive(pid: int | None) -> bool:
    """True if a process with this pid exists and is not a zombie."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def api_answers(kubeconfig: Path, timeout: float = 2.0) -> str | None:
    """The server's gitVersion if the API behind this kubeconfig answers, else None."""
    import kubernetes.client
    import kubernetes.config

    try:
        client = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
        with client:
            info = kubernetes.client.VersionApi(client).get_code(_request_timeout=timeout)
        return str(info.git_version)
    except Exception:
        return None


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_embedded(home: Path, name: str, state_dir: Path | None, port: int | None) -> LabState:
    """Start the embedded API server as a detached background process and wait until it answers."""
    run_dir = home / "embedded"
    run_dir.mkdir(parents=True, exist_ok=True)
    owns = state_dir is None
    state = (state_dir or run_dir / "state").resolve()
    state.mkdir(parents=True, exist_ok=True)
    kubeconfig = run_dir / "kubeconfig"
    kubeconfig.unlink(missing_ok=True)
    log = run_dir / "server.log"
    port = port or free_port()
    cmd = [
        sys.executable, "-m", "workshop.cluster.embedded",
        "--name", name, "--port", str(port), "--state", str(state), "--kubeconfig", str(kubeconfig),
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ClusterError(
                f"the embedded API server exited with code {proc.returncode} while starting; its log {log}:\n"
                + _tail(log)
            )
        if kubeconfig.is_file() and api_answers(kubeconfig, timeout=1.0):
            return LabState(
                backend="embedded", name=name, kubeconfig=str(kubeconfig), pid=proc.pid, port=port,
                state_dir=str(state), owns_state_dir=owns, log=str(log),
            )
        time.sleep(0.1)
    stop_process(proc.pid)
    raise ClusterError(f"the embedded API server did not answer within {START_TIMEOUT:.0f}s; see {log}:\n" + _tail(log))


def stop_process(pid: int | None, timeout: float = 10.0) -> None:
    """SIGTERM a process, then SIGKILL it if it has not exited within timeout seconds."""
    if not pid_alive(pid):
        return
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return
        except ChildProcessError:
            pass
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def cmd_up(args: argparse.Namespace) -> int:
    home = lab_home()
    current = LabState.load(home)
    if current is not None:
        running = describe(current)[1]
        if running and current.backend == args.cluster:
            print(f"lab cluster {current.name!r} ({current.backend}) is already up")
            print(f"export KUBECONFIG={current.kubeconfig}")
            return 0
        if running:
            raise ClusterError(
                f"a {current.backend} lab cluster is already up; run `workshop down` before starting a {args.cluster} one"
            )
        cleanup(home, current)
    if args.cluster == "embedded":
        state = start_embedded(home, args.name, Path(args.state) if args.state else None, args.port)
    elif args.cluster == "kind":
        cluster = create_cluster("kind", args.name, workdir=home / "kind", keep=True)
        cluster.start()
        state = LabState(backend="kind", name=args.name, kubeconfig=str(cluster.kubeconfig_path),
                         context=f"kind-{args.name}")
    else:
        cluster = create_cluster("kubeconfig", args.name, kubeconfig=args.kubeconfig, context=args.context,
                                 workdir=home / "kubeconfig")
        cluster.start()
        state = LabState(backend="kubeconfig", name=args.name, kubeconfig=str(cluster.kubeconfig_path),
                         context=args.context)
    state.save(home)
    print(f"lab cluster {state.name!r} ({state.backend}) is up; point kubectl and the engine at it with:")
    print(f"export KUBECONFIG={state.kubeconfig}")
    return 0


def describe(state: LabState) -> tuple[str, bool]:
    """One line on what runs where, and whether its API answers."""
    kubeconfig = Path(state.kubeconfig)
    server = ""
    try:
        server = server_of(load_kubeconfig(kubeconfig), state.context)
    except ClusterError:
        pass
    version = api_answers(kubeconfig) if kubeconfig.is_file() else None
    parts = [f"{state.backend} cluster {state.name!r}"]
    if state.backend == "embedded":
        parts.append(f"pid {state.pid} ({'running' if pid_alive(state.pid) else 'not running'})")
    parts.append(f"API {server or '?'}: " + (f"answering ({version})" if version else "not answering"))
    parts.append(f"KUBECONFIG={state.kubeconfig}")
    line = ", ".join(parts)
    if state.backend == "embedded" and state.state_dir:
        from workshop.cluster.embedded.persistence import DURABILITY

        line += f"\nstate {state.state_dir}: {DURABILITY}"
    return line, version is not None


def cmd_status(args: argparse.Namespace) -> int:
    state = LabState.load(lab_home())
    if state is None:
        print("no lab cluster is up (start one with `workshop up`)")
        return 1
    line, answering = describe(state)
    print(line)
    return 0 if answering else 1


def cleanup(home: Path, state: LabState) -> None:
    """Stop what `workshop up` started and remove the files it recorded."""
    if state.backend == "embedded":
        stop_process(state.pid)
        run_dir = Path(state.kubeconfig).parent
        kept = None if state.owns_state_dir or not state.state_dir else Path(state.state_dir)
        if kept is not None and kept.resolve().is_relative_to(run_dir.resolve()):
            Path(state.kubeconfig).unlink(missing_ok=True)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    elif state.backend == "kind":
        from workshop.cluster.kind import KindLabCluster

        KindLabCluster(state.name, workdir=home / "kind").delete()
        shutil.rmtree(home / "kind", ignore_errors=True)
    else:
        shutil.rmtree(home / "kubeconfig", ignore_errors=True)
    (home / STATE_FILE).unlink(missing_ok=True)


def stop_orphaned_lab_clusters(lesson: str | None = None) -> None:
    """Delete the kind clusters of lessons' labs that no kernel runs any more, saying so."""
    from workshop.cluster.kind import delete_kind_cluster, orphaned_lab_clusters
    from workshop.lab import REPO_ROOT

    for name in orphaned_lab_clusters(REPO_ROOT / "notebooks" / ".labs", lesson):
        delete_kind_cluster(name)
        print(f"deleted kind cluster {name!r}: a lesson's lab cluster no kernel runs any more")


def cmd_down(args: argparse.Namespace) -> int:
    home = lab_home()
    state = LabState.load(home)
    stop_orphaned_lab_clusters()
    if state is None:
        print("no lab cluster is up; nothing to stop")
        _remove_if_empty(home)
        return 0
    kept = Path(state.state_dir).resolve() if state.state_dir and not state.owns_state_dir else None
    if args.state and (kept is None or Path(args.state).resolve() != kept):
        where = f"in {kept}" if kept else "in its own folder (it was started without --state)"
        raise ClusterError(f"the lab cluster that is up keeps its objects {where}, not in {args.state}; "
                           f"run `workshop down`{f' --state {kept}' if kept else ''}")
    cleanup(home, state)
    _remove_if_empty(home)
    print(f"lab cluster {state.name!r} ({state.backend}) is down")
    if kept is not None:
        print(f"its objects stay in {kept}: `workshop up --state {kept}` brings them back")
    print("in shells that exported its KUBECONFIG, run: unset KUBECONFIG")
    return 0


def _remove_if_empty(home: Path) -> None:
    """Remove the lab home (.lab/) once nothing is left in it."""
    try:
        home.rmdir()
    except OSError:
        pass


def _register_core(sub: argparse._SubParsersAction) -> None:
    up = sub.add_parser("up", help="start the lab cluster in the background and print its KUBECONFIG")
    up.add_argument("--cluster", choices=BACKENDS, default="embedded",
                    help="embedded (offline, default), kind (needs Docker), or kubeconfig (an existing cluster)")
    up.add_argument("--name", default="workshop", help="cluster name (default: workshop)")
    up.add_argument("--state", metavar="DIR", help="embedded: keep the cluster's objects in DIR across restarts")
    up.add_argument("--port", type=int, help="embedded: listen on this port (default: a free one)")
    up.add_argument("--kubeconfig", metavar="PATH", help="kubeconfig: the file to use (default: $KUBECONFIG)")
    up.add_argument("--context", metavar="C", help="kubeconfig: the context to use (default: current-context)")
    up.set_defaults(func=cmd_up)
    status = sub.add_parser("status", help="say which lab cluster runs where")
    status.set_defaults(func=cmd_status)
    down = sub.add_parser("down", help="stop the lab cluster and remove its files")
    down.add_argument("--state", metavar="DIR", help="embedded: the DIR given to `up --state` (kept, as always)")
    down.set_defaults(func=cmd_down)


def _extension_registrars() -> list[Callable[[argparse._SubParsersAction], None]]:
    """register() of every module in the optional workshop.commands package."""
    try:
        package = importlib.import_module("workshop.commands")
    except ModuleNotFoundError as exc:
        if exc.name == "workshop.commands":
            return []
        raise
    registrars = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"workshop.commands.{info.name}")
        if callable(getattr(module, "register", None)):
            registrars.append(module.register)
    return registrars


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workshop", description="Run the GitOps workshop's lab cluster.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _register_core(sub)
    for register in _extension_registrars():
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "up" and args.cluster != "kubeconfig" and (args.kubeconfig or args.context):
        print("workshop: --kubeconfig/--context only apply to --cluster kubeconfig", file=sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except ClusterError as exc:
        print(f"workshop: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
