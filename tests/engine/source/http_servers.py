"""Loopback servers for GitRepository access stories: a smart-HTTP git server (`git http-backend`), an HTTP
forward proxy and a SOCKS5 proxy that record what passed through them, and a GitHub API that issues App
installation tokens."""

from __future__ import annotations

import base64
import datetime
import http.client
import ipaddress
import json
import os
import socket
import socketserver
import ssl
import struct
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID


def _body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, Content-Length or chunked."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        out = b""
        while True:
            size = int(handler.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                handler.rfile.readline()
                return out
            out += handler.rfile.read(size)
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


def _reply(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
    handler.send_response(status)
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@dataclass(frozen=True)
class Tls:
    """A self-signed certificate for 127.0.0.1 (`ca_pem` is what a client trusts) and its key, as files."""

    cert_file: Path
    key_file: Path
    ca_pem: str


def self_signed(directory: Path) -> Tls:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lab git server")])
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    (directory / "tls.crt").write_text(pem)
    (directory / "tls.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    return Tls(directory / "tls.crt", directory / "tls.key", pem)


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler], tls: Tls | None = None) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert_file, tls.key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        pass


# -- git over smart HTTP --------------------------------------------------------------------------
@dataclass
class GitServer:
    """Serves the bare repositories under `root` at http://127.0.0.1:<port>/<name>.git; with `basic_auth`
    (user, password) every request must carry it."""

    root: Path
    basic_auth: tuple[str, str] | None = None
    tls: Tls | None = None
    port: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/{name}.git"


@contextmanager
def git_server(root: Path, basic_auth: tuple[str, str] | None = None, tls: Tls | None = None) -> Iterator[GitServer]:
    """Smart HTTP (HTTPS with `tls`) for the bare repositories under `root`."""
    state = GitServer(root, basic_auth, tls)

    class Handler(_Quiet):
        def handle_git(self) -> None:
            parts = urlsplit(self.path)
            state.requests.append((self.command, parts.path))
            if state.basic_auth is not None:
                token = base64.b64encode(":".join(state.basic_auth).encode()).decode()
                if self.headers.get("Authorization") != f"Basic {token}":
                    _reply(self, 401, {"WWW-Authenticate": 'Basic realm="git"'}, b"authentication required\n")
                    return
            body = _body(self)
            env = {**os.environ, "GIT_PROJECT_ROOT": str(state.root), "GIT_HTTP_EXPORT_ALL": "1",
                   "REQUEST_METHOD": self.command, "PATH_INFO": parts.path, "QUERY_STRING": parts.query,
                   "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                   "REMOTE_ADDR": "127.0.0.1", "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                   "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", "")}
            out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                                 check=False).stdout
            head, _, payload = out.partition(b"\r\n\r\n")
            if not _:
                head, _, payload = out.partition(b"\n\n")
            status, headers = 200, {}
            for line in head.decode().splitlines():
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = int(value.strip().split()[0])
                elif key:
                    headers[key] = value.strip()
            _reply(self, status, headers, payload)

        do_GET = do_POST = handle_git

    with _serve(Handler, tls) as server:
        state.port = server.server_address[1]
        yield state


# -- forward proxy --------------------------------------------------------------------------------
@dataclass
class ForwardProxy:
    """An HTTP forward proxy (absolute-form requests, and CONNECT tunnels for https); with `basic_auth` it
    answers 407 until the client sends Proxy-Authorization. `requests` records (method, absolute URL or
    host:port) of what it forwarded."""

    basic_auth: tuple[str, str] | None = None
    port: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)
    refused: int = 0

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def forward_proxy(basic_auth: tuple[str, str] | None = None,
                  resolve: dict[str, str] | None = None) -> Iterator[ForwardProxy]:
    """`resolve` maps host names only the proxy knows to addresses (as a proxy's own DNS would)."""
    state = ForwardProxy(basic_auth)
    names = dict(resolve or {})

    class Handler(_Quiet):
        protocol_version = "HTTP/1.1"  # keep-alive: curl answers a 407 on the same connection (CONNECT too)

        def authorized(self) -> bool:
            if state.basic_auth is not None:
                token = base64.b64encode(":".join(state.basic_auth).encode()).decode()
                if self.headers.get("Proxy-Authorization") != f"Basic {token}":
                    state.refused += 1
                    _reply(self, 407, {"Proxy-Authenticate": 'Basic realm="proxy"'}, b"proxy auth required\n")
                    return False
            return True

        def do_CONNECT(self) -> None:
            if not self.authorized():
                return
            host, _, port = self.path.rpartition(":")
            state.requests.append(("CONNECT", self.path))
            try:
                upstream = socket.create_connection((names.get(host, host), int(port)), timeout=5)
            except (OSError, ValueError):
                _reply(self, 502, {}, b"cannot reach the target\n")
                return
            self.send_response(200, "Connection established")
            self.end_headers()
            self.close_connection = True
            upstream.settimeout(None)
            thread = threading.Thread(target=_pump, args=(upstream, self.connection), daemon=True)
            thread.start()
            _pump(self.connection, upstream)
            thread.join(30)
            upstream.close()

        def forward(self) -> None:
            body = _body(self) if self.command == "POST" else None  # read even when refused (keep-alive)
            if not self.authorized():
                return
            target = urlsplit(self.path)
            if target.scheme != "http" or not target.hostname:
                _reply(self, 400, {}, b"absolute http URL expected\n")
                return
            state.requests.append((self.command, self.path))
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("proxy-authorization", "proxy-connection", "connection",
                                            "transfer-encoding", "content-length")}
            conn = http.client.HTTPConnection(names.get(target.hostname, target.hostname), target.port or 80,
                                              timeout=30)
            try:
                path = target.path + (f"?{target.query}" if target.query else "")
                conn.request(self.command, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                passed = {k: v for k, v in response.getheaders()
                          if k.lower() not in ("transfer-encoding", "content-length", "connection")}
                _reply(self, response.status, passed, payload)
            finally:
                conn.close()

        do_GET = do_POST = forward

    with _serve(Handler) as server:
        state.port = server.server_address[1]
        yield state


# -- GitHub API (App installation tokens) ---------------------------------------------------------
@dataclass
class GitHubApi:
    """Issues `token` for installation `installation_id` of app `app_id` when the request's JWT verifies with
    the app's public key; `owners` maps installation owners to the installation ID for the lookup calls."""

    app_id: int
    installation_id: int
    key: rsa.RSAPrivateKey
    token: str = "ghs_lab_installation_token"
    owners: dict[str, int] = field(default_factory=dict)
    port: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def verify(self, authorization: str | None) -> bool:
        """The JWT is RS256-signed by the app's key and names the app as its issuer."""
        if not authorization or not authorization.startswith("Bearer "):
            return False
        header, claims, signature = authorization.removeprefix("Bearer ").split(".")
        pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
        try:
            self.key.public_key().verify(base64.urlsafe_b64decode(pad(signature)), f"{header}.{claims}".encode(),
                                         padding.PKCS1v15(), hashes.SHA256())
        except Exception:
            return False
        decoded = json.loads(base64.urlsafe_b64decode(pad(claims)))
        return bool(decoded.get("iss") == str(self.app_id) and decoded["exp"] - decoded["iat"] == 120)


@contextmanager
def github_api(app_id: int, installation_id: int, key: rsa.RSAPrivateKey,
               owners: dict[str, int] | None = None) -> Iterator[GitHubApi]:
    state = GitHubApi(app_id, installation_id, key, owners=dict(owners or {}))

    class Handler(_Quiet):
        def answer(self) -> None:
            state.requests.append((self.command, self.path))
            if not state.verify(self.headers.get("Authorization")):
                _reply(self, 401, {"Content-Type": "application/json"},
                       json.dumps({"message": "A JSON web token could not be decoded"}).encode())
                return
            parts = self.path.strip("/").split("/")
            if self.command == "POST" and parts == ["app", "installations", str(state.installation_id),
                                                    "access_tokens"]:
                _reply(self, 201, {"Content-Type": "application/json"},
                       json.dumps({"token": state.token, "expires_at": "2030-01-01T00:00:00Z"}).encode())
            elif self.command == "GET" and len(parts) == 3 and parts[2] == "installation" \
                    and parts[0] == "users" and parts[1] in state.owners:
                _reply(self, 200, {"Content-Type": "application/json"},
                       json.dumps({"id": state.owners[parts[1]]}).encode())
            else:
                _reply(self, 404, {"Content-Type": "application/json"}, json.dumps({"message": "Not Found"}).encode())

        do_GET = do_POST = answer

    with _serve(Handler) as server:
        state.port = server.server_address[1]
        yield state


# -- SOCKS5 proxy ---------------------------------------------------------------------------------
@dataclass
class Socks5Proxy:
    """A SOCKS5 proxy (CONNECT only; username/password auth when `basic_auth` is set) that relays to the target
    it is asked for, answering 'connection refused' when that cannot be reached. `connects` records
    (host as the client sent it, port, username)."""

    basic_auth: tuple[str, str] | None = None
    port: int = 0
    connects: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"socks5://127.0.0.1:{self.port}"


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@contextmanager
def socks5_proxy(basic_auth: tuple[str, str] | None = None,
                 resolve: dict[str, str] | None = None) -> Iterator[Socks5Proxy]:
    """`resolve` maps host names only the proxy knows to addresses (as a proxy's own DNS would)."""
    state = Socks5Proxy(basic_auth)
    names = dict(resolve or {})

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn: socket.socket = self.request
            _, count = conn.recv(2)
            methods = conn.recv(count)
            user = ""
            if state.basic_auth is not None:
                if 2 not in methods:
                    conn.sendall(b"\x05\xff")
                    return
                conn.sendall(b"\x05\x02")
                _, ulen = conn.recv(2)
                user = conn.recv(ulen).decode()
                (plen,) = conn.recv(1)
                password = conn.recv(plen).decode()
                ok = (user, password) == state.basic_auth
                conn.sendall(b"\x01" + (b"\x00" if ok else b"\x01"))
                if not ok:
                    return
            else:
                conn.sendall(b"\x05\x00")
            _, command, _, kind = conn.recv(4)
            if kind == 1:
                host = socket.inet_ntoa(conn.recv(4))
            else:
                (length,) = conn.recv(1)
                host = conn.recv(length).decode()
            (port,) = struct.unpack(">H", conn.recv(2))
            state.connects.append((host, port, user))
            try:
                upstream = socket.create_connection((names.get(host, host), port), timeout=5)
            except OSError:
                conn.sendall(b"\x05\x05\x00\x01" + bytes(6))
                return
            conn.sendall(b"\x05\x00\x00\x01" + bytes(6))
            upstream.settimeout(None)
            thread = threading.Thread(target=_pump, args=(upstream, conn), daemon=True)
            thread.start()
            _pump(conn, upstream)
            thread.join(30)
            upstream.close()

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.port = server.server_address[1]
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
