"""A tiny local HTTP sink for notebooks: records every POST (headers + JSON body) a Provider sends.

    sink = WebhookSink().start()      # 127.0.0.1, random port
    sink.url                          # put it in a Provider's spec.address
    sink.wait_for(1, timeout=5)
    print(sink.summary())             # stable text (no times, no uids)
    sink.stop()
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from engine.loopback import LoopbackServer, Reply, Request


@dataclass
class Received:
    """One request the sink got."""

    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any = None  # parsed JSON, or None when the body is not JSON

    def verify(self, token: str, header: str = "X-Signature") -> bool:
        """Check an HMAC signature header (`sha256=<hex>`) against the raw body."""
        algo, _, digest = (self.headers.get(header) or "").partition("=")
        if algo not in ("sha1", "sha256", "sha512"):
            return False
        return hmac.compare_digest(hmac.new(token.encode(), self.raw, algo).hexdigest(), digest)


@dataclass
class WebhookSink:
    host: str = "127.0.0.1"
    port: int = 0
    status: int = 200
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: LoopbackServer | None = None
        self._cond = threading.Condition()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> WebhookSink:
        if self._server is None:
            self._server = LoopbackServer(self._record, host=self.host, port=self.port, name="webhook-sink",
                                          methods=("POST", "PUT")).start()
            self.port = self._server.port
        return self

    def _record(self, request: Request) -> Reply:
        try:
            body = json.loads(request.body) if request.body else None
        except ValueError:
            body = None
        item = Received(request.method, request.path, dict(request.headers.items()), request.body, body)
        with self._cond:
            self.received.append(item)
            self._cond.notify_all()
        return Reply(self.status)

    def wait_for(self, n: int = 1, timeout: float = 5.0) -> bool:
        """Block until at least `n` requests arrived (True) or `timeout` seconds passed (False)."""
        end = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < n:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def clear(self) -> None:
        with self._cond:
            self.received.clear()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> WebhookSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def summary(self) -> str:
        """One block per request: method, Gotk-Component, signature present, then the event's stable fields."""
        if not self.received:
            return "no requests received"
        lines: list[str] = []
        for i, item in enumerate(self.received, 1):
            component = item.headers.get("Gotk-Component", "-")
            signed = "signed" if item.headers.get("X-Signature") else "unsigned"
            lines.append(f"#{i} {item.method} {item.path} from {component} ({signed})")
            body = item.body if isinstance(item.body, dict) else None
            if body is None:
                lines.append(f"  body: {len(item.raw)} bytes (not JSON)")
                continue
            obj = body.get("involvedObject") or {}
            lines.append(f"  {body.get('severity', '?')} {obj.get('kind', '?')}/{obj.get('namespace', '')}/"
                         f"{obj.get('name', '?')} {body.get('reason', '')}")
            lines.append(f"  message: {body.get('message', '')}")
            for key, value in sorted((body.get("metadata") or {}).items()):
                lines.append(f"  metadata.{key}: {value}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def hmac_sha256(token: str, body: bytes) -> str:
    """`sha256=<hex>` of body with token, as generic-hmac Providers sign."""
    return "sha256=" + hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
