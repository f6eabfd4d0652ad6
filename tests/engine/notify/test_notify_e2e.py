"""Notification on the embedded cluster: Alerts post signed events to a local sink, Receivers trigger reconciles."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from engine.api import conditions
from engine.api.types import REQUESTED_AT
from engine.notify import register_notification, sign
from engine.notify.reconcilers import webhook_path
from tests.engine.kustomization.story import Story, configmap
from tests.waiting import eventually
from workshop.webhook_sink import WebhookSink

API = "notification.toolkit.fluxcd.io"
TOKEN = "not-so-secret-token"


class Lab(Story):
    def __init__(self, cluster: Any, tmp_path: Path) -> None:
        super().__init__(cluster, tmp_path)
        self.notification = register_notification(self.manager, receiver_port=0)
        self.manager.install_crds()

    def secret(self, name: str, **data: str) -> None:
        self.client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
                            "stringData": data})

    def notify_obj(self, kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        version = "v1" if kind == "Receiver" else "v1beta3"
        return self.client.create({"apiVersion": f"{API}/{version}", "kind": kind,
                                   "metadata": {"name": name, "namespace": "default"}, "spec": spec})

    def read(self, kind: str, name: str) -> dict[str, Any]:
        version = "v1" if kind == "Receiver" else "v1beta3"
        obj = self.client.get(f"{API}/{version}", kind, name, "default")
        assert obj is not None
        return obj


@pytest.fixture
def lab(embedded_cluster: Any, tmp_path: Path) -> Any:
    lab = Lab(embedded_cluster, tmp_path)
    yield lab
    lab.manager.stop()
    lab.notification.stop()


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_alert_posts_signed_generic_hmac_event_on_failed_reconcile(lab: Lab) -> None:
    lab.commit("app", {"app/cm.yaml": configmap("demo")})
    with WebhookSink() as sink:
        lab.secret("hmac", token=TOKEN)
        lab.notify_obj("Provider", "sink", {"type": "generic-hmac", "address": sink.url,
                                            "secretRef": {"name": "hmac"}})
        lab.notify_obj("Provider", "chat", {"type": "slack", "address": "https://hooks.slack.invalid/x"})
        lab.notify_obj("Alert", "errors", {"providerRef": {"name": "sink"}, "eventSeverity": "error",
                                           "eventSources": [{"kind": "Kustomization", "name": "*"}],
                                           "eventMetadata": {"cluster": "lab"}})
        lab.git_repository()
        lab.kustomization("apps", "./missing")
        lab.sync()
        assert sink.wait_for(1, timeout=5)
        time.sleep(0.2)
        assert len(sink.received) == 1, sink.summary()  # info events filtered, repeats rate-limited
        got = sink.received[0]
        assert got.verify(TOKEN)
        assert got.headers["X-Signature"] == sign(got.raw, TOKEN)
        assert got.headers["Gotk-Component"] == "kustomize-controller"
        body = got.body
        assert body["severity"] == "error"
        assert body["involvedObject"]["kind"] == "Kustomization" and body["involvedObject"]["name"] == "apps"
        assert "kustomization path not found" in body["message"]
        assert body["metadata"]["cluster"] == "lab"
        assert "revision" in body["metadata"]
        assert list(body)[:5] == ["involvedObject", "severity", "timestamp", "message", "reason"]
        assert conditions.summary(lab.read("Provider", "sink")) == ("True", "Succeeded", "Initialized")
        assert conditions.summary(lab.read("Alert", "errors")) == ("True", "Succeeded", "Initialized")
        status, reason, message = conditions.summary(lab.read("Provider", "chat"))
        assert (status, reason) == ("False", "ProviderNotSupported") and "not supported offline" in message
        assert TOKEN not in json.dumps(list(lab.manager.logger.records))


def receiver_lab(lab: Lab, rtype: str, **spec: Any) -> str:
    lab.commit("app", {"app/cm.yaml": configmap("demo")})
    lab.secret("webhook-token", token=TOKEN)
    lab.git_repository()
    lab.notify_obj("Receiver", "hook", {"type": rtype, "secretRef": {"name": "webhook-token"},
                                        "resources": [{"kind": "GitRepository", "name": "fleet"}], **spec})
    lab.sync()
    receiver = lab.read("Receiver", "hook")
    path = webhook_path(TOKEN, "hook", "default")
    assert receiver["status"]["webhookPath"] == path
    assert conditions.summary(receiver) == ("True", "Succeeded", f"Receiver initialized for path: {path}")
    return lab.notification.receiver_url + path


def test_receiver_post_triggers_a_reconcile(lab: Lab) -> None:
    url = receiver_lab(lab, "generic-hmac")
    before = lab.gitrepo().obj["status"].get("lastHandledReconcileAt")
    lab.manager.start()
    body = b'{"hello":"world"}'
    assert post(url, body, {"X-Signature": sign(body, TOKEN), "Content-Type": "application/json"}) == 200
    requested = lab.gitrepo().obj["metadata"]["annotations"][REQUESTED_AT]
    assert requested.endswith(" +0000 UTC")
    eventually(lambda: lab.gitrepo().obj["status"].get("lastHandledReconcileAt") == requested,
               "the running manager to handle the Receiver's reconcile request")
    assert before != requested
    assert conditions.summary(lab.gitrepo().obj)[0] == "True"


def test_receiver_rejects_bad_signature_and_unknown_path(lab: Lab) -> None:
    url = receiver_lab(lab, "generic-hmac")
    body = b'{"hello":"world"}'
    assert post(url, body, {"X-Signature": sign(body, "wrong-token")}) == 400
    assert post(url, body, {}) == 400
    assert post(lab.notification.receiver_url + "/hook/" + "0" * 64, body, {}) == 404
    assert REQUESTED_AT not in (lab.gitrepo().obj["metadata"].get("annotations") or {})
    assert not lab.manager.sync(sources=False).outcomes  # nothing pending


def test_github_receiver_ping_and_event_filter(lab: Lab) -> None:
    url = receiver_lab(lab, "github", events=["ping"])
    body = json.dumps({"zen": "Keep it logically awesome."}).encode()
    headers = {"X-Hub-Signature-256": sign(body, TOKEN), "Content-Type": "application/json"}
    assert post(url, body, {**headers, "X-GitHub-Event": "push"}) == 400
    assert REQUESTED_AT not in (lab.gitrepo().obj["metadata"].get("annotations") or {})
    assert post(url, body, {**headers, "X-GitHub-Event": "ping"}) == 200
    requested = lab.gitrepo().obj["metadata"]["annotations"][REQUESTED_AT]
    report = lab.sync(sources=False)
    assert [o.key for o in report.outcomes] == [("GitRepository", "default", "fleet")]
    assert lab.gitrepo().obj["status"]["lastHandledReconcileAt"] == requested


def test_dispatch_failure_is_a_warning_event_on_the_alert(lab: Lab) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    lab.secret("addr", address=closed)
    lab.notify_obj("Provider", "gone", {"type": "generic", "secretRef": {"name": "addr"}})
    lab.notify_obj("Alert", "all", {"providerRef": {"name": "gone"},
                                    "eventSources": [{"kind": "GitRepository", "name": "*"}]})
    lab.commit("app", {"app/cm.yaml": configmap("demo")})
    lab.git_repository()
    lab.sync()
    events = lab.events("Alert", "all")
    assert events and events[0][:2] == ("Warning", "NotificationDispatchFailed"), events
    assert "failed to send notification for GitRepository/default/fleet: postMessage failed" in events[0][2]
    assert closed not in json.dumps(events) and closed not in json.dumps(list(lab.manager.logger.records))
