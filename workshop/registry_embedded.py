"""A minimal OCI distribution registry in a thread: the subset the lab and the image scanner use.

Endpoints: `/v2/`, blob HEAD/GET, blob upload (POST then PUT, or PATCH chunks), manifest PUT/GET/HEAD by
tag or digest, `tags/list` with `n`/`last` and a `Link` header. Optional auth: HTTP basic, or the
bearer-token challenge public registries use (a `/token` endpoint that checks basic credentials).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

_NAME = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
_ROUTES = [
    ("tags", re.compile(rf"^/v2/({_NAME})/tags/list$")),
    ("manifest", re.compile(rf"^/v2/({_NAME})/manifests/([^/]+)$")),
    ("upload", re.compile(rf"^/v2/({_NAME})/blobs/uploads/([^/]*)$")),
    ("blob", re.compile(rf"^/v2/({_NAME})/blobs/(sha256:[0-9a-f]{{64}})$")),
]
MANIFEST_MEDIA_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


@dataclass
class _Repository:
    manifests: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # digest -> (media type, bytes)
    tags: dict[str, str] = field(default_factory=dict)  # tag -> digest


@dataclass
class RegistryState:
    """Everything the embedded registry stores (in memory)."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, bytearray] = field(default_factory=dict)
    repositories: dict[str, _Repository] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: EmbeddedRegistryServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    # -------------------------------------------------------------- responses
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]}).encode()
        self._send(status, body, headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # -------------------------------------------------------------- auth
    def _authorized(self, scope: str) -> bool:
        srv = self.server
        if srv.credentials is None:
            return True
        header = self.headers.get("Authorization", "")
        if srv.auth_mode == "basic" and header == srv.basic_header:
            return True
        if srv.auth_mode == "token" and header.startswith("Bearer ") and header[7:] in srv.state.tokens:
            return True
        if srv.auth_mode == "basic":
            challenge = 'Basic realm="lab-registry"'
        else:
            challenge = f'Bearer realm="{srv.url}/token",service="lab-registry"' + (f',scope="{scope}"' if scope else "")
        self._error(401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": challenge})
        return False

    def _token(self) -> None:
        if self.headers.get("Authorization", "") != self.server.basic_header:
            self._error(401, "UNAUTHORIZED", "invalid username or password")
            return
        token = secrets.token_hex(16)
        with self.server.state.lock:
            self.server.state.tokens.add(token)
        self._send(200, json.dumps({"token": token, "access_token": token}).encode())

    # -------------------------------------------------------------- dispatch
    def _route(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path == "/token" and self.server.auth_mode == "token":
            self._token()
            return
        if url.path in ("/v2/", "/v2"):
            if self._authorized(""):
                self._send(200, b"{}")
            return
        for kind, pattern in _ROUTES:
            m = pattern.match(url.path)
            if m:
                action = "push,pull" if self.command in ("POST", "PUT", "PATCH", "DELETE") else "pull"
                if self._authorized(f"repository:{m.group(1)}:{action}"):
                    getattr(self, f"_{kind}")(*m.groups(), query=query)
                return
        self._send(404, b"404 page not found\n", content_type="text/plain")

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _route  # noqa: N815

    # -------------------------------------------------------------- blobs
    def _blob(self, name: str, digest: str, query: dict[str, str]) -> None:
        if self.command not in ("GET", "HEAD"):
            self._error(405, "UNSUPPORTED", "The operation is unsupported.")
            return
        data = self.server.state.blobs.get(digest)
        if data is None:
            self._error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            return
        self._send(200, data, {"Docker-Content-Digest": digest}, "application/octet-stream")

    def _upload(self, name: str, upload_id: str, query: dict[str, str]) -> None:
        state = self.server.state
        body = self._body()
        if self.command == "POST" and not upload_id:
            upload_id = uuid.uuid4().hex
            with state.lock:
                state.uploads[upload_id] = bytearray(body)
            location = f"/v2/{name}/blobs/uploads/{upload_id}"
            self._send(202, b"", {"Location": location, "Docker-Upload-UUID": upload_id, "Range": "0-0"})
            return
        with state.lock:
            buffer = state.uploads.get(upload_id)
            if buffer is None:
                self._error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
                return
            buffer.extend(body)
        if self.command == "PATCH":
            self._send(202, b"", {"Location": f"/v2/{name}/blobs/uploads/{upload_id}",
                                  "Range": f"0-{max(len(buffer) - 1, 0)}"})
            return
        if self.command != "PUT":
            self._error(405, "UNSUPPORTED", "The operation is unsupported.")
            return
        digest = query.get("digest", "")
        actual = "sha256:" + hashlib.sha256(bytes(buffer)).hexdigest()
        if digest != actual:
            self._error(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
            return
        with state.lock:
            state.blobs[digest] = bytes(buffer)
            del state.uploads[upload_id]
        self._send(201, b"", {"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest})

    # -------------------------------------------------------------- manifests
    def _manifest(self, name: str, reference: str, query: dict[str, str]) -> None:
        state = self.server.state
        if self.command == "PUT":
            self._put_manifest(name, reference)
            return
        if self.command not in ("GET", "HEAD"):
            self._error(405, "UNSUPPORTED", "The operation is unsupported.")
            return
        repo = state.repositories.get(name)
        if repo is None:
            self._error(404, "NAME_UNKNOWN", "repository name not known to registry")
            return
        digest = reference if reference.startswith("sha256:") else repo.tags.get(reference, "")
        if digest not in repo.manifests:
            self._error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            return
        media_type, data = repo.manifests[digest]
        self._send(200, data, {"Docker-Content-Digest": digest}, media_type)

    def _put_manifest(self, name: str, reference: str) -> None:
        state = self.server.state
        data = self._body()
        media_type = self.headers.get("Content-Type", "")
        if media_type not in MANIFEST_MEDIA_TYPES:
            self._error(400, "MANIFEST_INVALID", f"unsupported manifest media type '{media_type}'")
            return
        try:
            manifest = json.loads(data)
        except ValueError:
            self._error(400, "MANIFEST_INVALID", "manifest invalid")
            return
        referenced = [manifest.get("config", {})] + list(manifest.get("layers", []))
        missing = [d.get("digest") for d in referenced if d and d.get("digest") not in state.blobs]
        if missing:
            self._error(400, "MANIFEST_BLOB_UNKNOWN", f"blob unknown to registry: {missing[0]}")
            return
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if reference.startswith("sha256:") and reference != digest:
            self._error(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
            return
        with state.lock:
            repo = state.repositories.setdefault(name, _Repository())
            repo.manifests[digest] = (media_type, data)
            if not reference.startswith("sha256:"):
                repo.tags[reference] = digest
        self._send(201, b"", {"Location": f"/v2/{name}/manifests/{digest}", "Docker-Content-Digest": digest})

    # -------------------------------------------------------------- tags
    def _tags(self, name: str, *, query: dict[str, str]) -> None:
        repo = self.server.state.repositories.get(name)
        if repo is None:
            self._error(404, "NAME_UNKNOWN", "repository name not known to registry")
            return
        tags = sorted(repo.tags)
        last = query.get("last")
        if last:
            tags = [t for t in tags if t > last]
        headers: dict[str, str] = {}
        if "n" in query:
            n = int(query["n"])
            if len(tags) > n:
                tags = tags[:n]
                headers["Link"] = f'</v2/{name}/tags/list?last={quote(tags[-1], safe="")}&n={n}>; rel="next"'
        self._send(200, json.dumps({"name": name, "tags": tags}).encode(), headers)


class EmbeddedRegistryServer(ThreadingHTTPServer):
    """The HTTP server; `state` holds blobs, manifests and tags."""

    daemon_threads = True

    def __init__(self, port: int = 0, *, credentials: tuple[str, str] | None = None, auth_mode: str = "token") -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = RegistryState()
        self.credentials = credentials
        if auth_mode not in ("basic", "token"):
            raise ValueError(f"auth_mode must be 'basic' or 'token', not {auth_mode!r}")
        self.auth_mode = auth_mode
        user, password = credentials or ("", "")
        self.basic_header = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"
