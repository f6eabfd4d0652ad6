"""What a simulated container prints: deterministic, plausible log lines for the images the lessons run (nginx,
redis, postgres, shell commands with echo/date, the kit's own web images, a kind node's system components), timed from
the container's start."""

from __future__ import annotations

import re
import shlex
from datetime import datetime, timedelta
from typing import Any

from .common import parse_timestamp

Line = tuple[datetime, str]


def _words(container: dict[str, Any]) -> list[str]:
    return [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]


def _script(container: dict[str, Any]) -> str:
    """The shell text a container runs (`sh -c '<script>'`), or its command line."""
    words = _words(container)
    for i, w in enumerate(words[:-1]):
        if w in ("-c", "-ec", "-ce") and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash", "dash"):
            return words[i + 1]
    return " ".join(shlex.quote(w) for w in words)


def _shell_output(script: str, start: datetime) -> list[str]:
    """The output of the echo/printf/date commands of a simple script (loops print their body once)."""
    out: list[str] = []
    for part in re.split(r"[;&|\n]+", script):
        try:
            tokens = shlex.split(part.strip())
        except ValueError:
            tokens = part.split()
        while tokens and tokens[0] in ("do", "then", "else", "done", "fi", "{", "}"):
            tokens.pop(0)  # shell keywords: a loop's body prints once
        if not tokens:
            continue
        cmd = tokens[0].rsplit("/", 1)[-1]
        if cmd == "echo":
            args = [t for t in tokens[1:] if t not in ("-n", "-e")]
            out.append(" ".join(args))
        elif cmd == "printf" and len(tokens) > 1:
            out.extend(t for t in tokens[1].replace("\\n", "\n").split("\n") if t)
        elif cmd == "date":
            out.append(f"{start.strftime('%a %b')} {start.day:2d} {start.strftime('%H:%M:%S')} UTC {start.year}")
    return out


def _nginx(image: str, start: datetime) -> list[str]:
    version = _tag(image) or "1.27.3"
    if not re.fullmatch(r"\d+(\.\d+)*(-\w+)?", version):
        version = "1.27.3"
    version = version.split("-")[0]
    if version.count(".") < 2:
        version += ".0" * (2 - version.count("."))
    stamp = start.strftime("%Y/%m/%d %H:%M:%S")
    entry = "/docker-entrypoint.sh"
    return [
        f"{entry}: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
        f"{entry}: Looking for shell scripts in /docker-entrypoint.d/",
        f"{entry}: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
        "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
        "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
        f"{entry}: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
        f"{entry}: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
        f"{entry}: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
        f"{entry}: Configuration complete; ready for start up",
        f'{stamp} [notice] 1#1: using the "epoll" event method',
        f"{stamp} [notice] 1#1: nginx/{version}",
        f"{stamp} [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14)",
        f"{stamp} [notice] 1#1: OS: Linux 6.1.0-lab",
        f"{stamp} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576",
        f"{stamp} [notice] 1#1: start worker processes",
        f"{stamp} [notice] 1#1: start worker process 29",
        f"{stamp} [notice] 1#1: start worker process 30",
    ]


def _redis(image: str, start: datetime) -> list[str]:
    version = _tag(image) or "7.2.4"
    stamp = start.strftime("%d %b %Y %H:%M:%S.000")
    return [f"1:C {stamp} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
            f"1:C {stamp} * Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, just started",
            f"1:C {stamp} # Warning: no config file specified, using the default config.",
            f"1:M {stamp} * monotonic clock: POSIX clock_gettime",
            f"1:M {stamp} * Running mode=standalone, port=6379.",
            f"1:M {stamp} * Server initialized",
            f"1:M {stamp} * Ready to accept connections tcp"]


def _postgres(image: str, start: datetime) -> list[str]:
    stamp = start.strftime("%Y-%m-%d %H:%M:%S.000 UTC")
    return [f"{stamp} [1] LOG:  starting PostgreSQL {_tag(image) or '16'} on x86_64-pc-linux-gnu",
            f'{stamp} [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432',
            f'{stamp} [1] LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"',
            f"{stamp} [1] LOG:  database system is ready to accept connections"]


def _web(image: str, container: dict[str, Any]) -> list[str]:
    """The kit's own images (pushed to the lab registry): a small web server that says what it serves."""
    name = image.rsplit("/", 1)[-1].split(":")[0].split("@")[0]
    ports = [p.get("containerPort") for p in container.get("ports") or [] if isinstance(p, dict)]
    port = ports[0] if ports else 8080
    return [f"{name} {_tag(image) or 'latest'} starting", f"listening on :{port}"]


def _klog(start: datetime, entries: list[tuple[str, str]]) -> list[str]:
    """klog header lines (`I1207 09:01:51.000000       1 file.go:NN] msg`), as the Kubernetes binaries log."""
    head = start.strftime("I%m%d %H:%M:%S")
    return [f"{head}.{i:06d}       1 {where}] {msg}" for i, (where, msg) in enumerate(entries)]


def _system(binary: str, image: str, start: datetime) -> list[str]:
    """Startup lines of a kind node's own components (kube-system and local-path-storage pods)."""
    version = _tag(image)
    if binary == "etcd":
        ts = start.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        return [f'{{"level":"info","ts":"{ts}","caller":"embed/etcd.go:{n}","msg":"{m}"}}' for n, m in (
            (140, "configuring peer listeners"), (148, "configuring client listeners"),
            (310, "starting an etcd server"), (870, "serving client traffic securely"),
            (279, "now serving peer/client/metrics"))]
    if binary == "coredns":
        return [".:53", "[INFO] plugin/reload: Running configuration SHA512 = "
                "591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52"
                "594972691cd6ff41be96639138a43908", f"CoreDNS-{version.lstrip('v') or '1.12.0'}",
                "linux/amd64, go1.23.3, 51e11f1"]
    entries = {
        "kube-apiserver": [("options.go:228", "external host was not specified, using 172.18.0.2"),
                           ("server.go:143", 'Version: ' + (version or "v1.33.4")),
                           ("secure_serving.go:213", "Serving securely on [::]:6443"),
                           ("controller.go:615", "quota admission added evaluator for: namespaces")],
        "kube-controller-manager": [("serving.go:386", "Generated self-signed cert in-memory"),
                                    ("controllermanager.go:185", '"Starting" version="' + (version or "v1.33.4")
                                     + '"'),
                                    ("leaderelection.go:257", "attempting to acquire leader lease "
                                     "kube-system/kube-controller-manager..."),
                                    ("leaderelection.go:271", "successfully acquired lease "
                                     "kube-system/kube-controller-manager")],
        "kube-scheduler": [("serving.go:386", "Generated self-signed cert in-memory"),
                           ("server.go:167", '"Starting Kubernetes Scheduler" version="' + (version or "v1.33.4")
                            + '"'),
                           ("leaderelection.go:271", "successfully acquired lease kube-system/kube-scheduler")],
        "kube-proxy": [("server_linux.go:66", '"Using iptables proxy"'),
                       ("server.go:698", '"Successfully retrieved node IP(s)" IPs=["172.18.0.2"]'),
                       ("config.go:199", '"Starting service config controller"'),
                       ("shared_informer.go:320", '"Caches are synced" controller="service config"')],
        "kindnetd": [("main.go:109", "connected to apiserver: https://10.96.0.1:443"),
                     ("main.go:139", "hostIP = 172.18.0.2"),
                     ("main.go:148", "setting mtu 1500 for CNI"),
                     ("main.go:301", "Handling node with IPs: map[172.18.0.2:{}]"),
                     ("main.go:308", "handling current node")],
        "local-path-provisioner": [("controller.go:811", "Starting provisioner controller "
                                    "rancher.io/local-path_local-path-provisioner"),
                                   ("controller.go:860", "Started provisioner controller "
                                    "rancher.io/local-path_local-path-provisioner")],
    }.get(binary)
    return _klog(start, entries) if entries else []


_SYSTEM = ("etcd", "coredns", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy",
           "kindnetd", "local-path-provisioner")


def _tag(image: str) -> str:
    last = image.rsplit("/", 1)[-1].split("@")[0]
    return last.split(":", 1)[1] if ":" in last else ""


def output(pod: dict[str, Any], container: dict[str, Any], start: datetime, *, crashed: bool = False) -> list[Line]:
    """The lines one run of a container prints, each stamped (one millisecond apart from its start)."""
    image = str(container.get("image") or "")
    base = image.rsplit("/", 1)[-1].split(":")[0].split("@")[0]
    words = _words(container)
    binary = words[0].rsplit("/", 1)[-1] if words else ""
    if binary in _SYSTEM:
        lines = _system(binary, image, start)
    elif words:
        lines = _shell_output(_script(container), start)
        if crashed and not lines:
            lines = [f"{words[0].rsplit('/', 1)[-1]}: exited with an error"]
    elif base == "nginx" or "nginx" in base:
        lines = _nginx(image, start)
    elif base == "redis":
        lines = _redis(image, start)
    elif base == "postgres":
        lines = _postgres(image, start)
    elif image.startswith(("127.0.0.1", "localhost")) or base in ("web", "api", "podinfo"):
        lines = _web(image, container)
    else:
        lines = []
    return [(start + timedelta(milliseconds=i), line) for i, line in enumerate(lines)]


def instance_start(state: dict[str, Any]) -> datetime | None:
    """When a container state (running or terminated) started."""
    for key in ("running", "terminated"):
        inner = state.get(key)
        if isinstance(inner, dict) and inner.get("startedAt"):
            return parse_timestamp(str(inner["startedAt"]))
    return None
