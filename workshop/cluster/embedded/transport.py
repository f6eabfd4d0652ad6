"""Connection handling of the HTTP transport: read timeouts, request body framing, a connection cap, and every
transport-level failure answered with a `kind: Status` body as a real API server answers it."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

#: A keep-alive connection with no request for this long is closed (its thread ends).
IDLE_TIMEOUT = 120.0
#: A request body must arrive within this many seconds (a short body on an open connection is answered 408).
BODY_TIMEOUT = 30.0
#: Concurrent connections (watches included); more are answered 429 and closed.
MAX_CONNECTIONS = 512
#: The API server's limit on a request body (3 MiB, as kube-apiserver's for JSON and YAML).
MAX_BODY = 3 * 1024 * 1024

_REASONS = {400: "Bad Request", 405: "Method Not Allowed", 408: "Request Timeout", 413: "Request Entity Too Large",
            414: "Request-URI Too Long", 429: "Too Many Requests", 431: "Request Header Fields Too Large"}


def status_response(code: int, reason: str, message: str, details: dict[str, Any] | None = None,
                    headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    """A complete HTTP/1.1 response carrying a Status body; the connection is closed after it."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "reason": reason}
    if details:
        body["details"] = details
    body["code"] = code
    payload = json.dumps(body, separators=(",", ":")).encode() + b"\n"
    lines = [f"HTTP/1.1 {code} {_REASONS.get(code, 'Error')}", "Content-Type: application/json",
             "Cache-Control: no-cache, private", f"Content-Length: {len(payload)}", "Connection: close",
             *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


class BodyError(Exception):
    """The request body cannot be read; answered with a Status and the connection closed."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def response(self) -> bytes:
        return status_response(self.code, self.reason, self.message)


def _content_length(raw: str) -> int:
    text = raw.strip()
    if not text.isdigit():
        raise BodyError(400, "BadRequest", f'invalid Content-Length "{raw}"')
    length = int(text)
    if length > MAX_BODY:
        raise BodyError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY}")
    return length


def read_body(handler: Any) -> bytes:
    """The request body by Content-Length or chunked encoding, with the server's body timeout."""
    headers = handler.headers
    chunked = headers.get("Transfer-Encoding", "").lower() == "chunked"
    raw = headers.get("Content-Length")
    if not chunked and raw is None:
        return b""
    length = 0 if chunked or raw is None else _content_length(raw)
    if not chunked and length == 0:
        return b""
    conn: socket.socket = handler.connection
    previous = conn.gettimeout()
    conn.settimeout(getattr(handler.server, "body_timeout", BODY_TIMEOUT))
    try:
        data = _read_chunked(handler.rfile) if chunked else handler.rfile.read(length)
    except TimeoutError:
        raise BodyError(408, "Timeout", "Timeout: the request body was not received in time; the server closed "
                                        "the connection") from None
    except ValueError:
        raise BodyError(400, "BadRequest", "malformed chunked encoding") from None
    finally:
        conn.settimeout(previous)
    if not chunked and len(data) < length:
        raise BodyError(400, "BadRequest", "unexpected EOF: the request body is shorter than its Content-Length")
    return data


def _read_chunked(rfile: Any) -> bytes:
    out = bytearray()
    while True:
        size = int(rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            rfile.readline(1024)
            return bytes(out)
        if len(out) + size > MAX_BODY:
            raise BodyError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY}")
        out += rfile.read(size)
        rfile.readline(1024)


class StatusErrorsMixin:
    """For a BaseHTTPRequestHandler: idle timeout from the server, and its own errors (bad request line, unknown
    method, header limits) as Status bodies instead of HTML pages."""

    server: Any
    wfile: Any
    close_connection: bool
    timeout: float | None

    def setup(self) -> None:
        self.timeout = getattr(self.server, "idle_timeout", IDLE_TIMEOUT)
        super().setup()  # type: ignore[misc]

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.close_connection = True
        if code == 501:  # an unknown HTTP method
            data = status_response(405, "MethodNotAllowed",
                                   "the server does not allow this method on the requested resource")
        else:
            reason = {414: "RequestURITooLong", 431: "RequestHeaderFieldsTooLarge"}.get(code, "BadRequest")
            data = status_response(code, reason, message or _REASONS.get(code, "Bad Request"))
        try:
            self.wfile.write(data)
        except OSError:
            pass


class ConnectionCapMixin:
    """For a ThreadingMixIn server: at most `max_connections` connection threads; more are refused with 429."""

    max_connections: int = MAX_CONNECTIONS
    _slots: threading.BoundedSemaphore | None = None

    def _slot_pool(self) -> threading.BoundedSemaphore:
        if self._slots is None:
            self._slots = threading.BoundedSemaphore(self.max_connections)
        return self._slots

    def process_request(self, request: Any, client_address: Any) -> None:
        slots = self._slot_pool()
        if not slots.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(status_response(429, "TooManyRequests", "Too many requests, please try again later.",
                                                {"retryAfterSeconds": 1}, (("Retry-After", "1"),)))
            except OSError:
                pass
            self.shutdown_request(request)  # type: ignore[attr-defined]
            return
        try:
            super().process_request(request, client_address)  # type: ignore[misc]
        except BaseException:
            slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)  # type: ignore[misc]
        finally:
            self._slot_pool().release()
