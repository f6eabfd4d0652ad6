"""The webhook receiver: an HTTP server (stdlib) serving `/hook/<sha256(token+name+namespace)>`.

A valid request merge-patches `reconcile.fluxcd.io/requestedAt` onto every `spec.resources[]` of the Receiver,
so the manager reconciles them. Codes as notification-controller: 404 unknown path, 503 receiver suspended or
not Ready, 400 validation failure (bad signature, unauthorised event, bad payload) or a malformed request (invalid
Content-Length, body shorter than declared or stalled past the read timeout), 413 body over 3 MiB, 500 annotate
failure, 200 success. Binds 127.0.0.1 by default; port 0 picks a free port.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from engine.api import conditions as c
from engine.api.kinds import kind_info
from engine.api.types import REQUESTED_AT
from engine.client import ApiError, Client
from engine.events import Logger
from engine.jsonobj import Obj
from engine.loopback import LoopbackServer, Reply, Request
from engine.notify.dispatch import ProviderError, secret_data
from engine.notify.kinds import RECEIVER

SIGNATURE_HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}
MAX_BODY_BYTES = 3 * 1024 * 1024  # notification-controller's maxRequestSizeBytes: a larger body → 413
READ_TIMEOUT_SECONDS = 30.0  # its readTimeout: a request whose body stalls is refused (400) and closed


class ValidationError(Exception):
    """The request does not pass the Receiver's validation (→ 400)."""


class AnnotateError(Exception):
    """A resource of the Receiver could not be annotated (→ 500)."""


def go_time_string(when: dt.datetime | None = None) -> str:
    """`metav1.Now().String()`: `2026-08-01 10:00:00.123456 +0000 UTC` (fraction trailing zeros trimmed)."""
    when = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    fraction = f"{when.microsecond:06d}".rstrip("0")
    return when.strftime("%Y-%m-%d %H:%M:%S") + (f".{fraction}" if fraction else "") + " +0000 UTC"


def verify_signature(header: str, body: bytes, token: str) -> bool:
    """`<algo>=<hex>` HMAC check (sha1, sha256, sha512), constant time. Any header that is not that shape
    (non-ASCII bytes included: http.server hands them over as latin-1 text) is simply not a valid signature."""
    algo, _, digest = header.partition("=")
    hasher = SIGNATURE_HASHES.get(algo.strip().lower())
    if hasher is None or not digest:
        return False
    expected = hmac.new(token.encode(), body, hasher).hexdigest().encode()
    given = digest.strip().lower().encode("utf-8", "surrogateescape")
    return hmac.compare_digest(expected, given)


@dataclass
class HookResult:
    status: int
    message: str


def validate(receiver: Obj, token: str, headers: Any, body: bytes) -> None:
    """Raise ValidationError when the request is not acceptable for the Receiver's type."""
    spec = receiver.get("spec") or {}
    rtype = spec.get("type")
    if rtype == "generic":
        return
    if rtype == "generic-hmac":
        if not verify_signature(headers.get("X-Signature", ""), body, token):
            raise ValidationError("unable to validate HMAC signature")
        return
    if rtype == "github":
        signature = headers.get("X-Hub-Signature-256") or headers.get("X-Hub-Signature") or ""
        if not verify_signature(signature, body, token):
            raise ValidationError("the GitHub signature header is invalid")
        content_type = (headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if content_type not in ("application/json", "application/x-www-form-urlencoded"):
            raise ValidationError(f"webhook request has unsupported Content-Type {content_type!r}")
        if content_type == "application/json":
            try:
                json.loads(body or b"null")
            except ValueError:
                raise ValidationError("unable to parse GitHub payload: invalid JSON") from None
        event = headers.get("X-GitHub-Event", "")
        allowed = spec.get("events") or []
        if allowed and not any(event.lower() == str(e).lower() for e in allowed):
            raise ValidationError(f"the GitHub event '{event}' is not authorised")
        return
    raise ValidationError(f"receiver type '{rtype}' is not supported offline in this workshop")


class ReceiverServer:
    """Serves every Receiver of the cluster; `start()` runs it in a daemon thread."""

    def __init__(self, client: Client, logger: Logger | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, max_body: int = MAX_BODY_BYTES, read_timeout: float = READ_TIMEOUT_SECONDS) -> None:
        self.client = client
        self.max_body, self.read_timeout = max_body, read_timeout
        self.logger = (logger or Logger()).bind(controller="notification-controller")
        self.host, self.port = host, port
        self._server: LoopbackServer | None = None
        self.handled: list[tuple[str, int]] = []  # (path, status), for notebooks and tests

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def hook_url(self, receiver: Obj) -> str:
        return self.url + str((receiver.get("status") or {}).get("webhookPath", ""))

    def start(self) -> ReceiverServer:
        if self._server is None:
            self._server = LoopbackServer(self._reply, host=self.host, port=self.port, name="webhook-receiver",
                                          max_body=self.max_body, read_timeout=self.read_timeout).start()
            self.port = self._server.port
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def _reply(self, request: Request) -> Reply:
        result = self.handle(request.path, request.headers, request.body)
        payload = (result.message + "\n").encode() if result.message else b""
        return Reply(result.status, payload, "text/plain; charset=utf-8")

    # -- request handling -------------------------------------------------------------------------
    def find(self, path: str) -> Obj | None:
        path = path.split("?", 1)[0]
        try:
            receivers = self.client.list(RECEIVER.api_version, RECEIVER.kind)
        except ApiError:
            return None
        for receiver in receivers:
            if (receiver.get("status") or {}).get("webhookPath") == path:
                return receiver
        return None

    def handle(self, path: str, headers: Any, body: bytes) -> HookResult:
        result = self._handle(path, headers, body)
        self.handled.append((path.split("?", 1)[0], result.status))
        return result

    def _handle(self, path: str, headers: Any, body: bytes) -> HookResult:
        if not path.startswith("/hook/"):
            return HookResult(404, "404 page not found")
        receiver = self.find(path)
        if receiver is None:
            self.logger.info("receiver not found", path=path.split("?", 1)[0])
            return HookResult(404, "")
        meta = receiver["metadata"]
        ns, name = meta.get("namespace", "default"), meta["name"]
        log = self.logger.bind(receiver=f"{ns}/{name}", type=(receiver.get("spec") or {}).get("type"))
        if (receiver.get("spec") or {}).get("suspend") or not c.is_ready(receiver):
            log.info("receiver is not ready or suspended")
            return HookResult(503, "")
        secret_name = ((receiver.get("spec") or {}).get("secretRef") or {}).get("name", "")
        try:
            token = secret_data(self.client, secret_name, ns).get("token", "")
            validate(receiver, token, headers, body)
        except (ValidationError, ProviderError, ApiError) as err:
            log.error("unable to process request", error=str(err))
            return HookResult(400, "")
        try:
            annotated = self.annotate(receiver)
        except (ApiError, AnnotateError) as err:
            log.error("unable to request reconciliation", error=str(err))
            return HookResult(500, "")
        log.info("handling request", resources=annotated)
        return HookResult(200, "")

    def annotate(self, receiver: Obj) -> list[str]:
        """Merge-patch `requestedAt` onto each resource of the Receiver; returns `Kind/ns/name` strings.
        A failing resource does not stop the others; any failure raises AnnotateError at the end (→ 500)."""
        ns = receiver["metadata"].get("namespace", "default")
        value = go_time_string()
        done: list[str] = []
        errors: list[str] = []
        for res in (receiver.get("spec") or {}).get("resources") or []:
            try:
                done += self._annotate_one(res, ns, value)
            except (ApiError, AnnotateError) as err:
                errors.append(str(err))
        if errors:
            raise AnnotateError("; ".join(errors))
        return done

    def _annotate_one(self, res: Obj, default_ns: str, value: str) -> list[str]:
        kind = res.get("kind", "")
        api_version = res.get("apiVersion")
        if not api_version:
            try:
                api_version = kind_info(kind).api_version
            except KeyError:
                raise AnnotateError(f"apiVersion must be specified for kind '{kind}'") from None
        res_ns = res.get("namespace") or default_ns
        if res.get("name") == "*":
            selector = res.get("matchLabels")
            if not selector:
                raise AnnotateError("matchLabels field not set when using wildcard '*' as name")
            names = [o["metadata"]["name"] for o in self.client.list(api_version, kind, res_ns)
                     if all((o["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())]
        else:
            names = [res.get("name", "")]
        done = []
        for name in names:
            try:
                self.client.merge_patch(api_version, kind, name, res_ns,
                                        {"metadata": {"annotations": {REQUESTED_AT: value}}})
            except ApiError as err:
                raise AnnotateError(f"unable to annotate {kind} '{res_ns}/{name}' error: {err}") from None
            done.append(f"{kind}/{res_ns}/{name}")
        return done
