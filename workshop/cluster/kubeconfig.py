"""A lab cluster that is any existing cluster reachable through a kubeconfig file and context."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import kubernetes.client
import kubernetes.config
import yaml

from workshop.cluster.base import ClusterError, LabCluster


def default_kubeconfig() -> Path:
    """The kubeconfig kubectl would use: the first entry of $KUBECONFIG, else ~/.kube/config."""
    env = os.environ.get("KUBECONFIG", "")
    first = next((p for p in env.split(os.pathsep) if p), "")
    return Path(first).expanduser() if first else Path.home() / ".kube" / "config"


def load_kubeconfig(path: Path) -> dict:
    """Parse a kubeconfig file, with an actionable error when it is missing or not a kubeconfig."""
    if not path.is_file():
        raise ClusterError(
            f"kubeconfig {path} does not exist: pass --kubeconfig PATH or set KUBECONFIG to a cluster's kubeconfig"
        )
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ClusterError(f"kubeconfig {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not data.get("contexts"):
        raise ClusterError(f"kubeconfig {path} has no contexts: is it really a kubeconfig file?")
    return data


def server_of(config: dict, context: str | None = None) -> str:
    """The API server URL a context (default: current-context) points at, or '' if it cannot be resolved."""
    name = context or config.get("current-context", "")
    ctx: dict = next((c.get("context", {}) for c in config.get("contexts", []) if c.get("name") == name), {})
    cluster: dict = next(
        (c.get("cluster", {}) for c in config.get("clusters", []) if c.get("name") == ctx.get("cluster")), {}
    )
    return str(cluster.get("server", ""))


def describe_error(exc: BaseException) -> str:
    """A one-line account of a failed API call (HTTP status, or the connection error's last cause)."""
    if isinstance(exc, kubernetes.client.ApiException):
        return f"HTTP {exc.status} {exc.reason}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


class KubeconfigCluster(LabCluster):
    """Connects to an existing cluster; start() checks that it answers, stop() leaves it running."""

    backend = "kubeconfig"

    def __init__(
        self,
        name: str,
        *,
        kubeconfig: Path | str | None = None,
        context: str | None = None,
        workdir: Path | str | None = None,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(name)
        self.source = Path(kubeconfig).expanduser() if kubeconfig else default_kubeconfig()
        self.context = context
        self.workdir = Path(workdir) if workdir else None
        self.timeout = timeout
        self._derived: Path | None = None

    @property
    def kubeconfig_path(self) -> Path:
        """The source kubeconfig, or (with a context) a copy whose current-context is that context."""
        return self._derived or self.source

    def start(self) -> None:
        config = load_kubeconfig(self.source)
        names = [c.get("name") for c in config.get("contexts", [])]
        if self.context:
            if self.context not in names:
                raise ClusterError(
                    f"context {self.context!r} is not in {self.source}; it has: {', '.join(map(str, names))}"
                )
            self._derived = self._write_with_context(config, self.context)
        elif not config.get("current-context"):
            raise ClusterError(f"{self.source} has no current-context: pass --context (one of {', '.join(map(str, names))})")
        self._check_reachable(server_of(config, self.context))

    def _write_with_context(self, config: dict, context: str) -> Path:
        directory = self.workdir or Path(tempfile.mkdtemp(prefix="workshop-kubeconfig-"))
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / "kubeconfig"
        target.write_text(yaml.safe_dump({**config, "current-context": context}, sort_keys=False))
        target.chmod(0o600)
        return target

    def _check_reachable(self, server: str) -> None:
        where = f"{server or 'the server'} (context {self.context or 'current-context'} in {self.source})"
        try:
            client = kubernetes.config.new_client_from_config(config_file=str(self.kubeconfig_path))
        except kubernetes.config.ConfigException as exc:
            raise ClusterError(f"cannot use {self.source}: {exc}") from exc
        try:
            with client:
                kubernetes.client.VersionApi(client).get_code(_request_timeout=self.timeout)
        except Exception as exc:
            reason = describe_error(exc)
            raise ClusterError(
                f"cannot reach the Kubernetes API at {where}: {reason}. "
                f"Check that the cluster runs and that `kubectl --kubeconfig {self.source} version` works."
            ) from exc

    def stop(self) -> None:
        if self._derived is not None:
            self._derived.unlink(missing_ok=True)
            self._derived = None
