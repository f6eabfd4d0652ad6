"""Reading an HTTP/1.x request head (request line and header fields) for the API server's transport.

`BaseHTTPRequestHandler.parse_request` reads header fields with the `email` package's feed parser, which costs
more than handling a small request; this mixin reads them directly (RFC 9112 §2–§5) and keeps the handler's
contract: `command`, `path`, `request_version`, `headers` (an `http.client.HTTPMessage`), `close_connection`,
`Expect: 100-continue`, and the same error answers through `send_error`.
"""

from __future__ import annotations

import email.message
import http.client
from typing import TYPE_CHECKING, Any

#: header fields and header line length a request may have (the limits http.client applies)
MAX_HEADERS = 100
MAX_LINE = 65536


class HeaderError(Exception):
    """The header section cannot be read: (HTTP status, message)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def read_headers(rfile: Any) -> http.client.HTTPMessage:
    """Header fields up to the empty line; an obsolete folded line continues the previous value."""
    fields: list[list[str]] = []
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise HeaderError(431, "Line too long")
        if line in (b"\r\n", b"\n", b""):
            break
        text = line.decode("iso-8859-1").rstrip("\r\n")
        if text[:1] in (" ", "\t"):
            if not fields:
                raise HeaderError(400, "Bad request: a header section cannot start with a continuation line")
            fields[-1][1] += " " + text.strip()
            continue
        name, colon, value = text.partition(":")
        if not colon or not name or name != name.strip():
            raise HeaderError(400, f"Bad request: malformed header line ({text[:80]!r})")
        fields.append([name, value.strip(" \t")])
        if len(fields) > MAX_HEADERS:
            raise HeaderError(431, "Too many headers")
    message = http.client.HTTPMessage()
    for name, value in fields:
        message[name] = value
    return message


def _version(word: str) -> tuple[int, int] | None:
    if not word.startswith("HTTP/"):
        return None
    parts = word[5:].split(".")
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 10 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


class RequestHeadMixin:
    """For a BaseHTTPRequestHandler: `parse_request` without the email package."""

    raw_requestline: bytes
    rfile: Any
    protocol_version: str
    default_request_version: str
    command: str
    path: str
    request_version: str
    requestline: str
    headers: email.message.Message
    close_connection: bool

    if TYPE_CHECKING:
        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None: ...

        def handle_expect_100(self) -> bool: ...

    def parse_request(self) -> bool:
        self.command = ""
        self.request_version = self.default_request_version
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if not words:
            return False
        if len(words) >= 3:
            version = _version(words[-1])
            if version is None:
                self.send_error(400, f"Bad request version ({words[-1]!r})")
                return False
            if version >= (2, 0):
                self.send_error(505, f"Invalid HTTP version ({words[-1][5:]})")
                return False
            self.request_version = words[-1]
            if version >= (1, 1) and self.protocol_version >= "HTTP/1.1":
                self.close_connection = False
        if len(words) == 2 and words[0] != "GET" or not 2 <= len(words) <= 3:
            self.send_error(400, f"Bad request syntax ({self.requestline!r})")
            return False
        self.command, self.path = words[0], words[1]
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")
        try:
            self.headers = read_headers(self.rfile)
        except HeaderError as e:
            self.send_error(e.code, e.message)
            return False
        connection = self.headers.get("Connection", "").lower()
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        if self.headers.get("Expect", "").lower() == "100-continue" and self.protocol_version >= "HTTP/1.1" \
                and self.request_version >= "HTTP/1.1":
            return self.handle_expect_100()
        return True
