"""The webhook receiver refuses malformed requests with a status code instead of dropping the connection.

Each case speaks raw HTTP over a socket to a Receiver on the embedded cluster, so the request can be exactly as bad
as a broken or hostile client makes it (notification-controller's limits: 3 MiB body → 413, invalid
Content-Length / short body → 400, read timeout).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from engine.api.types import REQUESTED_AT
from engine.notify import ReceiverServer, sign
from engine.notify.receiver import MAX_BODY_BYTES
from tests.engine.notify.test_notify_e2e import TOKEN, Lab, receiver_lab


@pytest.fixture
def lab(embedded_cluster: Any, tmp_path: Path) -> Iterator[Lab]:
    lab = Lab(embedded_cluster, tmp_path)
    yield lab
    lab.manager.stop()
    lab.notification.stop()


def raw(url: str, head: str, body: bytes = b"", *, half_close: bool = False, timeout: float = 5.0) -> int:
    """Send `POST <path>` with the given header lines and body bytes; the status code answered (0: none)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        request = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n".encode("latin-1")
        sock.sendall(request + head.encode("latin-1") + b"\r\n" + body)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].split()
    return int(status_line[1]) if len(status_line) > 1 else 0


def requested(lab: Lab) -> str | None:
    return (lab.gitrepo().obj["metadata"].get("annotations") or {}).get(REQUESTED_AT)


def test_non_ascii_signature_is_a_400_not_a_dropped_connection(lab: Lab) -> None:
    url = receiver_lab(lab, "generic-hmac")
    body = b'{"hello":"world"}'
    assert raw(url, f"X-Signature: sha256=\u00e9\u00e9\u00e9\r\nContent-Length: {len(body)}\r\n", body) == 400
    assert raw(url, f"X-Signature: \u00ff=abc\r\nContent-Length: {len(body)}\r\n", body) == 400
    assert requested(lab) is None
    good = f"X-Signature: {sign(body, TOKEN)}\r\nContent-Length: {len(body)}\r\n"
    assert raw(url, good, body) == 200  # the server is still answering
    assert requested(lab) is not None


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "12 34", "\u00bd"])
def test_invalid_content_length_is_a_400(lab: Lab, length: str) -> None:
    url = receiver_lab(lab, "generic")
    assert raw(url, f"Content-Length: {length}\r\n", b"{}") == 400
    assert requested(lab) is None


def test_huge_content_length_is_a_413_without_reading_the_body(lab: Lab) -> None:
    url = receiver_lab(lab, "generic")
    assert raw(url, f"Content-Length: {10 ** 30}\r\n") == 413
    assert raw(url, f"Content-Length: {MAX_BODY_BYTES + 1}\r\n", b"x" * 1024) == 413
    assert requested(lab) is None


def test_body_at_the_cap_is_read_and_one_byte_more_is_refused(lab: Lab) -> None:
    url = receiver_lab(lab, "generic-hmac")
    small = ReceiverServer(lab.client, max_body=4096).start()
    try:
        small_url = small.url + urlsplit(url).path
        body = b"x" * 4097
        assert raw(small_url, f"X-Signature: {sign(body, TOKEN)}\r\nContent-Length: {len(body)}\r\n", body) == 413
        assert requested(lab) is None
        body = body[:4096]
        assert raw(small_url, f"X-Signature: {sign(body, TOKEN)}\r\nContent-Length: {len(body)}\r\n", body) == 200
        assert requested(lab) is not None
    finally:
        small.stop()


def test_body_shorter_than_content_length_is_not_accepted(lab: Lab) -> None:
    url = receiver_lab(lab, "generic-hmac")
    body = b'{"hello":"world"}'
    head = f"X-Signature: {sign(body, TOKEN)}\r\nContent-Length: {len(body) + 10}\r\n"
    assert raw(url, head, body, half_close=True) == 400  # the client stops sending: unexpected EOF
    assert requested(lab) is None


def test_stalled_body_times_out_with_a_400(lab: Lab) -> None:
    url = receiver_lab(lab, "generic-hmac")
    quick = ReceiverServer(lab.client, read_timeout=0.3).start()
    try:
        body = b'{"hello":"world"}'
        head = f"X-Signature: {sign(body, TOKEN)}\r\nContent-Length: {len(body) + 10}\r\n"
        assert raw(quick.url + urlsplit(url).path, head, body) == 400  # connection stays open, body never completes
        assert requested(lab) is None
    finally:
        quick.stop()
