"""The HTTP transport: a threaded HTTP/1.1 server on 127.0.0.1 that hands requests to the ApiServer."""

from __future__ import annotations

import io
import logging
import select
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .exchange import Request, Response
from .request_head import RequestHeadMixin
from .rest import ApiServer
from .transport import (
    BODY_TIMEOUT,
    IDLE_TIMEOUT,
    MAX_CONNECTIONS,
    BodyError,
    ConnectionCapMixin,
    StatusErrorsMixin,
    read_body,
)
from .watch_order import holds_for

log = logging.getLogger(__name__)

_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 409: "Conflict", 410: "Gone", 415: "Unsupported Media Type",
            422: "Unprocessable Entity", 500: "Internal Server Error"}


class _Handler(RequestHeadMixin, StatusErrorsMixin, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "embedded-apiserver"
    sys_version = ""
    api: ApiServer

    def setup(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.peer = self._tls_handshake()
        if self.tls_failed:  # nothing to serve: empty streams so that handle()/finish() have something to close
            self.rfile, self.wfile = io.BytesIO(), io.BytesIO()
            return
        super().setup()

    def _tls_handshake(self) -> object:
        """Wrap the connection in TLS (in this connection's thread); the client certificate's user, if any."""
        self.tls_failed = False
        ctx = getattr(self.server, "ssl_context", None)
        if ctx is None:
            return None
        from .tls import client_user

        try:
            self.request.settimeout(getattr(self.server, "body_timeout", 10.0))
            self.request = ctx.wrap_socket(self.request, server_side=True)
            return client_user(self.request.getpeercert())
        except (OSError, ValueError) as e:  # ssl.SSLError is an OSError: a failed handshake ends the connection
            log.debug("TLS handshake with %s failed: %s", self.client_address, e)
            self.tls_failed = True
            return None

    def handle(self) -> None:
        if not self.tls_failed:
            super().handle()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if getattr(self.server, "ssl_context", None) is not None:
                self.request.close()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)

    def _serve(self) -> None:
        try:
            body = read_body(self)
        except BodyError as e:
            self.close_connection = True
            self.wfile.write(e.response())
            return
        req = Request.from_target(self.command, self.path, dict(self.headers.items()), body)
        req.multi = {k.lower(): self.headers.get_all(k) or [] for k in set(self.headers.keys())
                     if k.lower().startswith("impersonate-")}
        req.user = self.peer
        api: ApiServer = self.server.api  # type: ignore[attr-defined]
        holds = hold = None
        if self.command in ("POST", "PUT", "PATCH", "DELETE"):  # its watch events wait for its response
            holds = holds_for(api.store)
            hold = holds.begin(api.store.resource_version)
        try:
            resp = api.handle(req)
            if holds is not None and hold is not None:
                holds.narrow(hold, api.store.resource_version)
            if resp.stream is not None:
                self._stream(resp)
            else:
                self._send(resp, head_only=self.command == "HEAD")
        finally:
            if holds is not None and hold is not None:
                holds.end(hold)

    def _head(self, resp: Response, extra: list[tuple[str, str]]) -> bytes:
        lines = [f"HTTP/1.1 {resp.code} {_REASONS.get(resp.code, 'OK')}", f"Content-Type: {resp.content_type}",
                 "Cache-Control: no-cache, private", "Audit-Id: embedded"]
        lines += [f"{k}: {v}" for k, v in resp.headers + extra]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")

    def _send(self, resp: Response, head_only: bool = False) -> None:
        payload = resp.payload()
        head = self._head(resp, [("Content-Length", str(len(payload)))])
        self.wfile.write(head if head_only else head + payload)

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable:  # peek at the TCP stream itself (below TLS): b"" is the client's FIN
                return socket.socket.recv(self.connection, 1, socket.MSG_PEEK) == b""
        except OSError:
            return True
        return False

    def _stream(self, resp: Response) -> None:
        """A chunked watch stream; the connection stays open for the next request when it ends normally (no
        `Connection: close`, as a real server), and is closed when the client went away or the server stops."""
        self.close_connection = True
        try:
            self.wfile.write(self._head(resp, [("Transfer-Encoding", "chunked")]))
            assert resp.stream is not None
            for chunk in resp.stream:
                if getattr(self.server, "stopping", False) or self._client_gone():
                    break
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                self.wfile.write(b"0\r\n\r\n")
                self.close_connection = False
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            if resp.close_stream is not None:
                resp.close_stream()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve  # noqa: N815


class HttpServer(ConnectionCapMixin, ThreadingHTTPServer):
    """ThreadingHTTPServer bound to loopback, serving one ApiServer."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, api: ApiServer, port: int = 0, host: str = "127.0.0.1", *,
                 idle_timeout: float = IDLE_TIMEOUT, body_timeout: float = BODY_TIMEOUT,
                 max_connections: int = MAX_CONNECTIONS, ssl_context: ssl.SSLContext | None = None) -> None:
        self.idle_timeout, self.body_timeout, self.max_connections = idle_timeout, body_timeout, max_connections
        self.ssl_context = ssl_context
        super().__init__((host, port), _Handler)
        self.api = api
        self.stopping = False
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start_background(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"apiserver-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stopping = True
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
