"""A small HTTP server on the loopback interface, served from a daemon thread (webhook receiver, notebook sinks).

    server = LoopbackServer(lambda req: Reply(200), name="my-hook").start()   # 127.0.0.1, free port
    server.url                                                                  # http://127.0.0.1:<port>
    server.stop()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    """One request as the handler sees it: the body is read in full."""

    method: str
    path: str
    headers: Message
    body: bytes


@dataclass
class Reply:
    """What to answer: `content_type` None sends no Content-Type header."""

    status: int
    body: bytes = b""
    content_type: str | None = None


Handler = Callable[[Request], Reply]


def read_body(request: BaseHTTPRequestHandler, max_body: int | None) -> bytes | Reply:
    """The body as its Content-Length declares it, or the reply that refuses it (as Go's net/http and
    notification-controller do): 400 for a Content-Length that is not a decimal count or a body that ends (or times
    out) before it, 413 for a body larger than `max_body`."""
    declared = request.headers.get("Content-Length")
    if declared is None:
        return b""
    declared = declared.strip()
    if not declared.isascii() or not declared.isdigit():
        return Reply(400, b"400 Bad Request: invalid Content-Length\n", "text/plain; charset=utf-8")
    length = int(declared)
    if max_body is not None and length > max_body:
        return Reply(413, f"request body exceeds the maximum size of {max_body} bytes\n".encode(),
                     "text/plain; charset=utf-8")
    try:
        body = request.rfile.read(length) if length else b""
    except OSError:  # read timeout or reset
        body = b""
    if len(body) < length:
        return Reply(400, b"unable to read the request body: unexpected EOF\n", "text/plain; charset=utf-8")
    return body


class Serving:
    """An HTTP server answering from a daemon thread (daemon request threads too) until `stop()`."""

    def __init__(self, server: ThreadingHTTPServer, name: str) -> None:
        self.server = server
        server.daemon_threads = True
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


class LoopbackServer:
    """`ThreadingHTTPServer` on `host:port` (port 0: a free one, known after `start()`), quiet, daemon threads."""

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1", port: int = 0, name: str = "loopback-http",
                 methods: tuple[str, ...] = ("GET", "POST", "PUT"), max_body: int | None = None,
                 read_timeout: float | None = None) -> None:
        self.handler = handler
        self.max_body, self.read_timeout = max_body, read_timeout
        self.host, self.port, self.name, self.methods = host, port, name, methods
        self._serving: Serving | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._serving is not None

    def start(self) -> LoopbackServer:
        if self._serving is None:
            self._serving = Serving(ThreadingHTTPServer((self.host, self.port), self._request_class()), self.name)
            self.port = self._serving.port
        return self

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _request_class(self) -> type[BaseHTTPRequestHandler]:
        handler, max_body, read_timeout = self.handler, self.max_body, self.read_timeout

        class RequestHandler(BaseHTTPRequestHandler):
            timeout = read_timeout  # socket timeout while reading the request line, headers and body

            def _serve(self) -> None:
                body = read_body(self, max_body)
                refused = isinstance(body, Reply)
                reply = body if isinstance(body, Reply) else handler(Request(self.command, self.path, self.headers, body))
                self.send_response(reply.status)
                if refused:  # the body was not (fully) read: this connection cannot carry another request
                    self.send_header("Connection", "close")
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        for method in self.methods:
            setattr(RequestHandler, f"do_{method}", RequestHandler._serve)
        return RequestHandler
