"""Alert dispatch: match each event against Alerts, rewrite its metadata and post it to the Alert's Provider.

`AlertDispatcher` is an `EventRecorder` sink. Only `generic` and `generic-hmac` Providers are delivered (offline
workshop); other types are accepted but never called. Secret values (token, address, headers) are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import yaml

from engine.api.duration import parse_duration
from engine.api.secrets import decode_secret
from engine.client import ApiError, Client
from engine.events import EVENT_ANNOTATION_PREFIX, WARNING, EventRecord, EventRecorder, Logger
from engine.jsonobj import Obj
from engine.labels import from_object
from engine.notify.kinds import ALERT, GROUP, PROVIDER

DELIVERED_TYPES = ("generic", "generic-hmac")
DROPPED_KEYS = ("checksum", "digest", "token")
DEFAULT_RATE_LIMIT = 300.0


class ProviderError(Exception):
    """A Provider could not be used (missing secret, no address, unsupported type)."""


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def secret_data(client: Client, name: str, namespace: str) -> dict[str, str]:
    """The decoded `data` (plus `stringData`) of a Secret; raises ProviderError when it is missing."""
    secret = client.get("v1", "Secret", name, namespace)
    if secret is None:
        raise ProviderError(f"secrets \"{name}\" not found")
    return decode_secret(secret)


# -- matching -------------------------------------------------------------------------------------
def source_matches(source: Obj, involved: Obj, alert_namespace: str, labels: dict[str, str] | None) -> bool:
    """One `eventSources[]` entry against the event's involvedObject (`labels`: the object's labels, if read)."""
    if source.get("kind") != involved.get("kind"):
        return False
    if (source.get("namespace") or alert_namespace) != involved.get("namespace"):
        return False
    name = source.get("name") or ""
    if name != "*" and name != involved.get("name"):
        return False
    selector = source.get("matchLabels")
    return from_object({"matchLabels": selector}).matches(labels)


def message_allowed(alert: Obj, message: str) -> bool:
    """inclusionList (any must match, if set) then exclusionList (exclusion wins); Go regexes via `re.search`."""
    spec = alert.get("spec") or {}
    inclusion = spec.get("inclusionList") or []
    if inclusion and not any(_search(p, message) for p in inclusion):
        return False
    return not any(_search(p, message) for p in spec.get("exclusionList") or [])


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def severity_allowed(alert: Obj, severity: str) -> bool:
    wanted = (alert.get("spec") or {}).get("eventSeverity") or "info"
    return severity == "error" or wanted == "info"


def rewrite_metadata(record: EventRecord, alert: Obj) -> dict[str, str]:
    """Metadata as providers receive it: only `event.toolkit.fluxcd.io/` and the object's group, prefixes
    stripped, checksum/digest/token dropped; precedence annotations < eventMetadata < summary < controller."""
    group = _group(str(record.involved_object.get("apiVersion", "")))
    annotations = {k: v for k, v in record.metadata.items() if k.startswith(EVENT_ANNOTATION_PREFIX)}
    controller = {k: v for k, v in record.metadata.items() if not k.startswith(EVENT_ANNOTATION_PREFIX)}
    out: dict[str, str] = {}

    def add(items: dict[str, str], prefixed: bool) -> None:
        for key, value in items.items():
            if prefixed:
                if key.startswith(EVENT_ANNOTATION_PREFIX):
                    key = key[len(EVENT_ANNOTATION_PREFIX):]
                elif group and key.startswith(group + "/"):
                    key = key[len(group) + 1:]
                else:
                    continue
            if key in DROPPED_KEYS:
                continue
            out[key] = str(value)

    spec = alert.get("spec") or {}
    add(annotations, True)
    add(dict(spec.get("eventMetadata") or {}), False)
    if spec.get("summary"):
        add({"summary": str(spec["summary"])}, False)
    add(controller, True)
    return out


def wire_body(record: EventRecord, metadata: dict[str, str]) -> bytes:
    """The event JSON in Go struct order, compact like `json.Marshal`."""
    payload = record.to_json()
    payload.pop("metadata", None)
    ordered: Obj = {}
    for key in ("involvedObject", "severity", "timestamp", "message", "reason"):
        ordered[key] = payload[key]
    if metadata:
        ordered["metadata"] = metadata
    ordered["reportingController"] = payload["reportingController"]
    ordered["reportingInstance"] = payload["reportingInstance"]
    return json.dumps(ordered, separators=(",", ":")).encode()


def sign(body: bytes, token: str) -> str:
    """The `X-Signature` header value of generic-hmac: `sha256=<hex HMAC-SHA256 of body>`."""
    return "sha256=" + hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


# -- provider settings ----------------------------------------------------------------------------
def provider_settings(client: Client, provider: Obj) -> dict[str, Any]:
    """address, token, headers, timeout of a Provider (raises ProviderError)."""
    spec = provider.get("spec") or {}
    ns = provider["metadata"].get("namespace", "default")
    data: dict[str, str] = {}
    if (spec.get("secretRef") or {}).get("name"):
        data = secret_data(client, spec["secretRef"]["name"], ns)
    address = data.get("address", "").strip() or str(spec.get("address") or "")
    headers: dict[str, str] = {}
    if data.get("headers"):
        loaded = yaml.safe_load(data["headers"]) or {}
        if not isinstance(loaded, dict):
            raise ProviderError("invalid headers in secret: expected a map")
        headers = {str(k): str(v) for k, v in loaded.items()}
    try:
        timeout = parse_duration(str(spec.get("timeout") or "")) or 15.0
    except ValueError:
        timeout = 15.0
    return {"address": address, "token": data.get("token", ""), "headers": headers, "timeout": timeout}


def post(settings: dict[str, Any], provider_type: str, record: EventRecord, body: bytes) -> int:
    """POST `body` to the provider address; returns the HTTP status (raises ProviderError on failure)."""
    headers = {"Content-Type": "application/json", "Gotk-Component": record.reporting_controller,
               **settings["headers"]}
    if provider_type == "generic-hmac":
        if not settings["token"]:
            raise ProviderError("generic-hmac provider requires a token in the secret")
        headers["X-Signature"] = sign(body, settings["token"])
    try:
        request = urllib.request.Request(settings["address"], data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=settings["timeout"]) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise ProviderError(f"postMessage failed: request failed with status code {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = str(getattr(exc, "reason", exc))
        for secret in (settings["address"], settings["token"]):
            if secret:
                reason = reason.replace(secret, "*****")
        raise ProviderError(f"postMessage failed: {type(exc).__name__}: {reason}") from None


class AlertDispatcher:
    """EventRecorder sink: matching Alerts forward the event to their Provider (synchronously)."""

    def __init__(self, client: Client, logger: Logger, *, rate_limit: float = DEFAULT_RATE_LIMIT,
                 recorder: EventRecorder | None = None) -> None:
        self.client = client
        self.recorder = recorder  # failures become Warning events on the Alert
        self.logger = logger.bind(controller="notification-controller")
        self.rate_limit = rate_limit
        self._sent: dict[tuple, float] = {}
        self._lock = threading.Lock()
        self.delivered: list[tuple[str, str, int]] = []  # (provider ns/name, reason, HTTP status)

    def __call__(self, record: EventRecord) -> None:
        self.dispatch(record)

    def _rate_limited(self, record: EventRecord) -> bool:
        if self.rate_limit <= 0:
            return False
        obj = record.involved_object
        key = (obj.get("name"), obj.get("namespace"), obj.get("kind"), record.message,
               tuple(sorted(record.metadata.items())))
        now = time.monotonic()
        with self._lock:
            last = self._sent.get(key)
            if last is not None and now - last < self.rate_limit:
                return True
            self._sent[key] = now
        return False

    def matching_alerts(self, record: EventRecord) -> list[Obj]:
        involved = record.involved_object
        try:
            alerts = self.client.list(ALERT.api_version, ALERT.kind)
        except ApiError:
            return []
        labels: dict[str, str] | None = None
        out = []
        for alert in sorted(alerts, key=lambda a: (a["metadata"].get("namespace", ""), a["metadata"]["name"])):
            spec = alert.get("spec") or {}
            if spec.get("suspend") or not severity_allowed(alert, record.severity):
                continue
            alert_ns = alert["metadata"].get("namespace", "default")
            for source in spec.get("eventSources") or []:
                if source.get("matchLabels") and labels is None:
                    labels = self._labels(involved)
                if source_matches(source, involved, alert_ns, labels):
                    break
            else:
                continue
            if message_allowed(alert, record.message):
                out.append(alert)
        return out

    def _labels(self, involved: Obj) -> dict[str, str]:
        try:
            obj = self.client.get(involved.get("apiVersion", ""), involved.get("kind", ""), involved.get("name", ""),
                                  involved.get("namespace") or None)
        except (ApiError, KeyError, ValueError):
            return {}
        return dict(((obj or {}).get("metadata") or {}).get("labels") or {})

    def dispatch(self, record: EventRecord) -> int:
        """Forward one event; returns how many providers were posted to."""
        involved = record.involved_object
        if _group(str(involved.get("apiVersion", ""))) == GROUP or record.severity == "trace":
            return 0
        alerts = self.matching_alerts(record)
        log = self.logger.bind(name=involved.get("name"), namespace=involved.get("namespace"),
                               kind=involved.get("kind"))
        if not alerts:
            log.debug("discarding event, no alerts found for the involved object")
            return 0
        if self._rate_limited(record):
            log.debug("discarding event, rate limiting duplicate events")
            return 0
        sent = 0
        for alert in alerts:
            sent += self._send(alert, record, log)
        return sent

    def _send(self, alert: Obj, record: EventRecord, log: Logger) -> int:
        ns = alert["metadata"].get("namespace", "default")
        ref = ((alert.get("spec") or {}).get("providerRef") or {}).get("name", "")
        alert_log = log.bind(alert=f"{ns}/{alert['metadata']['name']}", provider=f"{ns}/{ref}")
        provider = self.client.get(PROVIDER.api_version, PROVIDER.kind, ref, ns)
        if provider is None:
            alert_log.error("failed to read provider", error=f"providers.{GROUP} \"{ref}\" not found")
            return 0
        spec = provider.get("spec") or {}
        if spec.get("suspend"):
            return 0
        ptype = str(spec.get("type") or "")
        if ptype not in DELIVERED_TYPES:
            alert_log.info("provider type not supported offline, event not sent", type=ptype)
            return 0
        try:
            settings = provider_settings(self.client, provider)
            if not settings["address"]:
                raise ProviderError("no address found in 'spec.address' nor in 'spec.secretRef'")
            status = post(settings, ptype, record, wire_body(record, rewrite_metadata(record, alert)))
        except (ProviderError, ApiError) as exc:
            alert_log.error("failed to send notification", error=str(exc))
            if self.recorder is not None:
                involved = record.involved_object
                self.recorder.event(alert, WARNING, "NotificationDispatchFailed",
                                    f"failed to send notification for {involved.get('kind')}/"
                                    f"{involved.get('namespace')}/{involved.get('name')}: {exc}",
                                    controller="notification-controller")
            return 0
        self.delivered.append((f"{ns}/{ref}", record.reason, status))
        alert_log.debug("event sent", reason=record.reason)
        return 1
