"""The lab's OCI registry on 127.0.0.1: Debian's `docker-registry` (CNCF distribution) where installed,
the embedded registry otherwise. Images are published over the plain HTTP API; no Docker needed."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

from engine.loopback import Serving
from workshop.registry_embedded import EmbeddedRegistryServer

DOCKER_REGISTRY_BINARY = "docker-registry"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
ACCEPT = ", ".join([OCI_MANIFEST, "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.oci.image.index.v1+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json"])
_CONFIG_TEMPLATE = """version: 0.1
log: {{level: warn, formatter: text, fields: {{service: registry}}}}
storage:
  filesystem: {{rootdirectory: {root}}}
  delete: {{enabled: true}}
  cache: {{blobdescriptor: inmemory}}
http:
  addr: 127.0.0.1:{port}
  headers: {{X-Content-Type-Options: [nosniff]}}
"""


class LabRegistryError(RuntimeError):
    """The lab registry could not start or answer; the message says what to do."""


def docker_registry_binary() -> str | None:
    """Path of Debian's docker-registry, or None where it is not installed."""
    return shutil.which(DOCKER_REGISTRY_BINARY) or (
        "/usr/bin/docker-registry" if Path("/usr/bin/docker-registry").exists() else None)


def available_kinds() -> list[str]:
    """Registry backends that can run on this machine (the embedded one always can)."""
    return (["docker-registry"] if docker_registry_binary() else []) + ["embedded"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def image_layer(repository: str, tag: str) -> bytes:
    """A tiny, reproducible tar layer holding `/etc/workshop-image` (repository and tag)."""
    content = f"{repository}:{tag}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("etc/workshop-image")
        info.size, info.mtime, info.mode, info.uname, info.gname = len(content), 0, 0o644, "", ""
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def image_blobs(repository: str, tag: str) -> tuple[bytes, bytes, bytes]:
    """(layer, config, manifest) bytes of the lab image for `repository:tag`; the same input gives the
    same digests on every machine."""
    layer = image_layer(repository, tag)
    layer_digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Labels": {"org.opencontainers.image.version": tag, "workshop.repository": repository}},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    }, sort_keys=True, separators=(",", ":")).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "size": len(config),
                   "digest": "sha256:" + hashlib.sha256(config).hexdigest()},
        "layers": [{"mediaType": OCI_LAYER, "size": len(layer), "digest": layer_digest}],
    }, separators=(",", ":")).encode()
    return layer, config, manifest


class LabRegistry:
    """A registry on 127.0.0.1:<random port>. `kind` is "docker-registry" or "embedded"."""

    def __init__(self, workdir: Path | None = None, *, kind: str = "auto",
                 credentials: tuple[str, str] | None = None, auth_mode: str = "token") -> None:
        if kind not in ("auto", "docker-registry", "embedded"):
            raise LabRegistryError(f"unknown registry kind {kind!r}: use 'auto', 'docker-registry' or 'embedded'")
        if kind == "auto":
            kind = "docker-registry" if docker_registry_binary() and credentials is None else "embedded"
        if kind == "docker-registry" and credentials is not None:
            raise LabRegistryError("credentials are only supported by the embedded registry")
        self.kind = kind
        self.credentials = credentials
        self.auth_mode = auth_mode
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.workdir = Path(workdir) if workdir else None
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._serving: Serving | None = None
        self.session = requests.Session()
        if credentials:
            self.session.auth = credentials

    # ------------------------------------------------------------------ lifecycle
    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`, the registry part of image names."""
        if not self.port:
            raise LabRegistryError("the lab registry is not running: call start() first")
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def running(self) -> bool:
        return bool(self.port)

    def start(self) -> LabRegistry:
        if self.running:
            return self
        if self.kind == "embedded":
            self._serving = Serving(EmbeddedRegistryServer(0, credentials=self.credentials, auth_mode=self.auth_mode),
                                    "lab-registry")
            self.port = self._serving.port
        else:
            self._start_docker_registry()
        self._wait_ready()
        if self.credentials and self.auth_mode == "token":
            response = requests.get(f"{self.url}/token", auth=self.credentials, timeout=10)
            self._check(response, "getting a push token")
            self.session.auth = None
            self.session.headers["Authorization"] = f"Bearer {response.json()['token']}"
        return self

    def _start_docker_registry(self) -> None:
        binary = docker_registry_binary()
        if binary is None:
            raise LabRegistryError("docker-registry is not installed: run tools/install-system-deps.sh "
                                   "or use LabRegistry(kind='embedded')")
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="lab-registry-")
            self.workdir = Path(self._tmp.name)
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "data").mkdir(exist_ok=True)
        self.port = _free_port()
        config = self.workdir / "config.yml"
        config.write_text(_CONFIG_TEMPLATE.format(root=self.workdir / "data", port=self.port))
        log = (self.workdir / "registry.log").open("ab")
        self._process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
        log.close()

    def _wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                log = (self.workdir / "registry.log").read_text() if self.workdir else ""
                self.port = 0
                raise LabRegistryError(f"docker-registry exited with code {self._process.returncode}: {log[-500:]}")
            try:
                if requests.get(f"{self.url}/v2/", timeout=1).status_code in (200, 401):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise LabRegistryError(f"the {self.kind} registry did not answer on 127.0.0.1 within {timeout:.0f}s")

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self.workdir = None
        self.port = 0

    def __enter__(self) -> LabRegistry:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ publishing
    def _check(self, response: requests.Response, what: str) -> requests.Response:
        if response.status_code >= 300:
            raise LabRegistryError(f"{what} failed: HTTP {response.status_code} {response.text.strip()[:300]}")
        return response

    def _push_blob(self, repository: str, data: bytes) -> None:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if self.session.head(f"{self.url}/v2/{repository}/blobs/{digest}", timeout=10).status_code == 200:
            return
        started = self._check(self.session.post(f"{self.url}/v2/{repository}/blobs/uploads/", timeout=10),
                              f"starting a blob upload to {repository}")
        location = urljoin(f"{self.url}/", started.headers["Location"])
        location += ("&" if "?" in location else "?") + f"digest={digest}"
        self._check(self.session.put(location, data=data, timeout=30,
                                     headers={"Content-Type": "application/octet-stream"}),
                    f"uploading blob {digest[:19]} to {repository}")

    def push_artifact(self, repository: str, tag: str, *, config: bytes, config_media_type: str,
                      layers: list[tuple[bytes, str]], annotations: dict[str, str] | None = None) -> str:
        """Push an OCI artifact (e.g. a Helm chart: its config and one chart layer) as `repository:tag`;
        returns the manifest digest."""
        for blob in (config, *(data for data, _ in layers)):
            self._push_blob(repository, blob)
        manifest: dict[str, object] = {
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": config_media_type, "size": len(config),
                       "digest": "sha256:" + hashlib.sha256(config).hexdigest()},
            "layers": [{"mediaType": media_type, "size": len(data),
                        "digest": "sha256:" + hashlib.sha256(data).hexdigest()} for data, media_type in layers],
        }
        if annotations:
            manifest["annotations"] = dict(sorted(annotations.items()))
        body = json.dumps(manifest, separators=(",", ":")).encode()
        response = self._check(self.session.put(f"{self.url}/v2/{repository}/manifests/{tag}", data=body,
                                                headers={"Content-Type": OCI_MANIFEST}, timeout=10),
                               f"pushing manifest {repository}:{tag}")
        return response.headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(body).hexdigest()

    def publish(self, repository: str, tag: str) -> str:
        """Push a tiny valid OCI image as `repository:tag`; returns the manifest digest."""
        if repository != repository.lower():
            raise LabRegistryError(f"repository '{repository}' must be lowercase (OCI distribution rule)")
        layer, config, manifest = image_blobs(repository, tag)
        self._push_blob(repository, layer)
        self._push_blob(repository, config)
        response = self._check(self.session.put(f"{self.url}/v2/{repository}/manifests/{tag}", data=manifest,
                                                headers={"Content-Type": OCI_MANIFEST}, timeout=10),
                               f"pushing manifest {repository}:{tag}")
        return response.headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(manifest).hexdigest()

    # ------------------------------------------------------------------ reading
    def tags(self, repository: str) -> list[str]:
        """The repository's tags, sorted (empty when the repository does not exist)."""
        response = self.session.get(f"{self.url}/v2/{repository}/tags/list", timeout=10)
        if response.status_code == 404:
            return []
        self._check(response, f"listing tags of {repository}")
        return sorted(response.json().get("tags") or [])

    def digest(self, repository: str, reference: str) -> str | None:
        """The manifest digest of `repository:tag` (or `@digest`), None when absent."""
        response = self.session.head(f"{self.url}/v2/{repository}/manifests/{reference}",
                                     headers={"Accept": ACCEPT}, timeout=10)
        if response.status_code == 200:
            return response.headers.get("Docker-Content-Digest")
        return None

    def image(self, repository: str, tag: str | None = None) -> str:
        """The image name a Deployment uses: `127.0.0.1:PORT/repository[:tag]`."""
        return f"{self.host}/{repository}" + (f":{tag}" if tag else "")

    def image_available(self, image_ref: str) -> bool:
        """Whether `image_ref` names an image this registry holds (the simulated kubelet's pull check)."""
        if not self.running:
            return False
        host, sep, rest = image_ref.partition("/")
        if not sep or host not in (self.host, f"localhost:{self.port}"):
            return False
        name, _, digest = rest.partition("@")
        colon = name.rfind(":")
        repository, tag = (name[:colon], name[colon + 1:]) if colon > name.rfind("/") else (name, "latest")
        try:
            found = self.digest(repository, digest or tag)
        except requests.RequestException:
            return False
        return found is not None and (not digest or found == digest)
