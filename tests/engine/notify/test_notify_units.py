"""Notification pieces without a cluster: matching, metadata rewriting, wire format, signatures, the sink."""

from __future__ import annotations

import hashlib
import json
import urllib.request

from engine.events import EventRecord
from engine.notify.dispatch import (
    message_allowed,
    rewrite_metadata,
    severity_allowed,
    sign,
    source_matches,
    wire_body,
)
from engine.notify.receiver import ValidationError, go_time_string, validate, verify_signature
from engine.notify.reconcilers import webhook_path
from workshop.webhook_sink import WebhookSink, hmac_sha256

KS = {"kind": "Kustomization", "namespace": "apps", "name": "webapp", "uid": "u1",
      "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "resourceVersion": "7"}


def record(severity: str = "info", message: str = "Reconciliation finished in 1s, next run in 5m0s",
           metadata: dict[str, str] | None = None) -> EventRecord:
    return EventRecord(KS, severity, "2026-08-01T10:00:00Z", message, "ReconciliationSucceeded",
                       metadata or {}, "kustomize-controller")


def alert(**spec: object) -> dict:
    return {"metadata": {"name": "a", "namespace": "apps"}, "spec": spec}


def test_webhook_path_is_sha256_of_token_name_namespace() -> None:
    digest = hashlib.sha256(b"s3cretflux-systemapps").hexdigest()
    assert webhook_path("s3cret", "flux-system", "apps") == "/hook/" + digest


def test_event_sources_kind_name_wildcard_namespace_labels() -> None:
    assert source_matches({"kind": "Kustomization", "name": "webapp"}, KS, "apps", None)
    assert source_matches({"kind": "Kustomization", "name": "*"}, KS, "apps", None)
    assert not source_matches({"kind": "GitRepository", "name": "*"}, KS, "apps", None)
    assert not source_matches({"kind": "Kustomization", "name": "*"}, KS, "other", None)
    assert source_matches({"kind": "Kustomization", "name": "*", "namespace": "apps"}, KS, "other", None)
    assert not source_matches({"kind": "Kustomization", "name": "other"}, KS, "apps", None)
    selector = {"kind": "Kustomization", "name": "*", "matchLabels": {"team": "a"}}
    assert source_matches(selector, KS, "apps", {"team": "a", "x": "y"})
    assert not source_matches(selector, KS, "apps", {"team": "b"})
    named = {"kind": "Kustomization", "name": "webapp", "matchLabels": {"team": "a"}}
    assert source_matches(named, KS, "apps", {"team": "a"}) and not source_matches(named, KS, "apps", {})


def test_severity_and_inclusion_exclusion() -> None:
    assert severity_allowed(alert(), "info") and severity_allowed(alert(), "error")
    assert not severity_allowed(alert(eventSeverity="error"), "info")
    assert message_allowed(alert(inclusionList=[".*finished.*"]), "Reconciliation finished")
    assert not message_allowed(alert(inclusionList=["^failed"]), "Reconciliation finished")
    assert not message_allowed(alert(inclusionList=[".*"], exclusionList=["finished"]), "Reconciliation finished")


def test_metadata_rewritten_prefixes_stripped_and_precedence() -> None:
    rec = record(metadata={"kustomize.toolkit.fluxcd.io/revision": "main@sha1:abc",
                           "kustomize.toolkit.fluxcd.io/digest": "sha256:x",
                           "source.toolkit.fluxcd.io/revision": "other-group",
                           "event.toolkit.fluxcd.io/env": "prod",
                           "event.toolkit.fluxcd.io/revision": "from-annotation"})
    meta = rewrite_metadata(rec, alert(eventMetadata={"env": "staging", "cluster": "lab"}, summary="hello"))
    assert meta == {"revision": "main@sha1:abc", "env": "staging", "cluster": "lab", "summary": "hello"}


def test_wire_body_key_order_and_signature() -> None:
    body = wire_body(record(), {"revision": "main@sha1:abc"})
    assert list(json.loads(body)) == ["involvedObject", "severity", "timestamp", "message", "reason", "metadata",
                                      "reportingController", "reportingInstance"]
    assert b" " not in body.split(b'"message"')[0]
    assert "metadata" not in json.loads(wire_body(record(), {}))
    assert sign(body, "tok") == hmac_sha256("tok", body)
    assert verify_signature(sign(body, "tok"), body, "tok")
    assert not verify_signature(sign(body, "tok"), body, "other")
    assert not verify_signature("", body, "tok")


def test_go_time_string_format() -> None:
    import datetime as dt

    when = dt.datetime(2026, 8, 1, 10, 0, 0, 123000, tzinfo=dt.UTC)
    assert go_time_string(when) == "2026-08-01 10:00:00.123 +0000 UTC"
    assert go_time_string(when.replace(microsecond=0)) == "2026-08-01 10:00:00 +0000 UTC"


def test_github_validation_signature_and_event_filter() -> None:
    receiver = {"spec": {"type": "github", "events": ["ping", "push"]}}
    body = b'{"zen": "hi"}'
    good = {"X-Hub-Signature-256": sign(body, "tok"), "X-GitHub-Event": "ping"}
    validate(receiver, "tok", good, body)
    for headers, raw in (({**good, "X-GitHub-Event": "issues"}, body),
                         ({**good, "X-Hub-Signature-256": sign(body, "bad")}, body),
                         ({**good, "X-Hub-Signature-256": sign(b"{", "tok")}, b"{")):
        try:
            validate(receiver, "tok", headers, raw)
        except ValidationError:
            continue
        raise AssertionError(f"accepted {headers}")


def test_webhook_sink_records_and_summarises() -> None:
    with WebhookSink() as sink:
        assert sink.summary() == "no requests received"
        body = wire_body(record(severity="error", message="boom"), {"revision": "main@sha1:abc"})
        req = urllib.request.Request(sink.url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "X-Signature": sign(body, "k"),
                                              "Gotk-Component": "kustomize-controller"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 200
        assert sink.wait_for(1, timeout=5)
        assert sink.received[0].verify("k") and not sink.received[0].verify("x")
        assert sink.summary() == (
            "#1 POST / from kustomize-controller (signed)\n"
            "  error Kustomization/apps/webapp ReconciliationSucceeded\n"
            "  message: boom\n"
            "  metadata.revision: main@sha1:abc")
        assert not sink.wait_for(2, timeout=0.05)


class FakeClient:
    """Just enough of engine.client.Client for ReceiverServer.handle."""

    def __init__(self, receiver: dict, objects: list[dict]) -> None:
        self.receiver, self.objects, self.patched = receiver, objects, []

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> list[dict]:
        if kind == "Receiver":
            return [self.receiver]
        return [o for o in self.objects if o["kind"] == kind and o["metadata"]["namespace"] == namespace]

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict:
        import base64

        return {"data": {"token": base64.b64encode(b"tok").decode()}}

    def merge_patch(self, api_version: str, kind: str, name: str, namespace: str | None, patch: dict) -> dict:
        if name == "missing":
            from engine.client import ApiError

            raise ApiError(404, "NotFound", f'"{name}" not found')
        self.patched.append((api_version, kind, namespace, name))
        return {}


def fake_receiver(resources: list[dict], **spec: object) -> dict:
    path = webhook_path("tok", "r", "default")
    return {"metadata": {"name": "r", "namespace": "default"},
            "spec": {"type": "generic", "secretRef": {"name": "s"}, "resources": resources, **spec},
            "status": {"webhookPath": path, "conditions": [{"type": "Ready", "status": "True"}]}}


def test_receiver_codes_wildcards_and_partial_failures() -> None:
    from engine.notify.receiver import ReceiverServer

    objs = [{"kind": "GitRepository", "metadata": {"name": n, "namespace": "default", "labels": {"app": a}}}
            for n, a in (("one", "x"), ("two", "y"), ("three", "x"))]
    path = webhook_path("tok", "r", "default")
    receiver = fake_receiver([{"kind": "GitRepository", "name": "*", "matchLabels": {"app": "x"}}])
    client = FakeClient(receiver, objs)
    server = ReceiverServer(client)  # type: ignore[arg-type]
    assert server.handle(path, {}, b"").status == 200
    assert [p[3] for p in client.patched] == ["one", "three"]
    assert client.patched[0][0] == "source.toolkit.fluxcd.io/v1"
    assert server.handle("/hook/nope", {}, b"").status == 404
    assert server.handle("/other", {}, b"").status == 404
    receiver["spec"]["suspend"] = True
    assert server.handle(path, {}, b"").status == 503
    receiver["spec"]["suspend"] = False
    receiver["status"]["conditions"][0]["status"] = "False"
    assert server.handle(path, {}, b"").status == 503
    receiver["status"]["conditions"][0]["status"] = "True"
    for bad in ([{"kind": "GitRepository", "name": "*"}], [{"kind": "Unknown", "name": "x"}],
                [{"kind": "GitRepository", "name": "missing"}, {"kind": "GitRepository", "name": "two"}]):
        receiver["spec"]["resources"] = bad
        assert server.handle(path, {}, b"").status == 500
    assert client.patched[-1][3] == "two"  # a failing resource does not stop the others


def test_post_failure_masks_secret_address_and_token() -> None:
    from engine.notify.dispatch import ProviderError, post

    settings = {"address": "nota-url-with-s3cret", "token": "s3cret", "headers": {}, "timeout": 1.0}
    try:
        post(settings, "generic-hmac", record(), b"{}")
    except ProviderError as err:
        assert "s3cret" not in str(err) and "postMessage failed" in str(err)
    else:
        raise AssertionError("no error")
