"""The HTTP transport answers transport-level faults with a `Status` and never lets a connection hold a worker
forever: body and idle timeouts, invalid Content-Length, unknown methods, a connection cap."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from workshop.cluster.embedded.rest import ApiServer
from workshop.cluster.embedded.server import HttpServer
from workshop.cluster.embedded.simulate import bootstrap
from workshop.cluster.embedded.store import Store

#: How long a test waits for an answer; the server's own timeouts below are a fraction of it.
PATIENCE = 20.0


@pytest.fixture
def server() -> Iterator[HttpServer]:
    store = Store()
    bootstrap(store)
    http = HttpServer(ApiServer(store), idle_timeout=0.5, body_timeout=0.3, max_connections=4)
    http.start_background()
    try:
        yield http
    finally:
        http.stop()
        store.stop()


def connect(server: HttpServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE)
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], Any]:
    """Read one response to the end of the connection (every answer here closes it)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body) if body else None


def test_short_body_on_an_open_connection_is_answered_408(server: HttpServer) -> None:
    sock = connect(server)
    sock.sendall(b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"metadata\":")
    code, headers, body = read_response(sock)  # the connection stays open on our side
    assert code == 408 and headers["connection"] == "close"
    assert body["kind"] == "Status" and body["reason"] == "Timeout" and body["code"] == 408


@pytest.mark.parametrize("value", ["abc", "-1", "1 2", "0x10"])
def test_invalid_content_length_is_a_400_status(server: HttpServer, value: str) -> None:
    sock = connect(server)
    sock.sendall(f"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Length: {value}\r\n"
                 "\r\n{}".encode())
    code, _, body = read_response(sock)
    assert code == 400
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": f'invalid Content-Length "{value}"', "reason": "BadRequest", "code": 400}


def test_body_over_the_limit_is_413(server: HttpServer) -> None:
    sock = connect(server)
    sock.sendall(b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
    code, _, body = read_response(sock)
    assert (code, body["reason"]) == (413, "RequestEntityTooLarge")


def test_unknown_method_and_malformed_request_line_are_status_bodies(server: HttpServer) -> None:
    sock = connect(server)
    sock.sendall(b"BREW /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n\r\n")
    code, headers, body = read_response(sock)
    assert code == 405 and headers["content-type"] == "application/json"
    assert (body["reason"], body["message"]) == (
        "MethodNotAllowed", "the server does not allow this method on the requested resource")
    sock = connect(server)
    sock.sendall(b"GET\r\n\r\n")
    code, _, body = read_response(sock)
    assert code == 400 and body["kind"] == "Status"


def test_idle_connection_is_closed_and_its_slot_freed(server: HttpServer) -> None:
    idle = connect(server)
    assert idle.recv(1) == b""  # the server closed it after its idle timeout
    sock = connect(server)
    sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    code, _, body = read_response(sock)
    assert code == 200 and body["major"] == "1"


def test_connections_over_the_cap_are_refused_with_429(server: HttpServer) -> None:
    held = []
    for _ in range(4):
        sock = connect(server)
        sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive: the worker keeps the connection
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        held.append(sock)
    extra = connect(server)
    code, headers, body = read_response(extra)
    assert code == 429 and headers["retry-after"] == "1"
    assert body["reason"] == "TooManyRequests" and body["details"] == {"retryAfterSeconds": 1}
    for sock in held:
        sock.close()


def _exchange(server: HttpServer, raw: bytes) -> tuple[int, dict[str, str], Any]:
    sock = connect(server)
    sock.sendall(raw)
    return read_response(sock)


@pytest.mark.parametrize(("head", "code", "message"), [
    (b"GET /version HTTP/1.1\r\nHost x\r\n\r\n", 400, "malformed header line"),
    (b"GET /version HTTP/1.1\r\n folded\r\n\r\n", 400, "continuation line"),
    (b"GET /version HTTP/1.1\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", 431, "Line too long"),
    (b"GET /version HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n", 431,
     "Too many headers"),
    (b"GET /version HTTP/2.0\r\nHost: x\r\n\r\n", 505, "Invalid HTTP version (2.0)"),
    (b"GET /version HTTX/1.1\r\nHost: x\r\n\r\n", 400, "Bad request version ('HTTX/1.1')"),
    (b"POST /version\r\n\r\n", 400, "Bad request syntax"),
])
def test_a_malformed_request_head_is_a_status_body(server: HttpServer, head: bytes, code: int, message: str) -> None:
    status, headers, body = _exchange(server, head)
    assert status == code and headers["connection"] == "close"
    assert body["kind"] == "Status" and message in body["message"]


def test_header_fields_are_read_as_sent(server: HttpServer) -> None:
    # a folded value is joined with a space; names are case-insensitive; the last of a repeated header counts
    status, headers, body = _exchange(server, b"GET /version HTTP/1.1\r\nhost: x\r\nACCEPT: application/json,\r\n"
                                              b"  */*\r\nconnection: Close\r\n\r\n")
    assert status == 200 and body["major"] == "1"


def test_expect_100_continue_is_answered_before_the_body(server: HttpServer) -> None:
    sock = connect(server)
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"expect"}}'
    sock.sendall(b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                 b"Content-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
    assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue")
    sock.sendall(body)
    status, _, created = read_response(sock)
    assert status == 201 and created["metadata"]["name"] == "expect"


def test_keep_alive_serves_several_requests_on_one_connection(server: HttpServer) -> None:
    sock = connect(server)
    for _ in range(3):
        sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 200")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        rest = head.partition(b"\r\n\r\n")[2]
        while len(rest) < length:
            rest += sock.recv(65536)
    sock.close()
