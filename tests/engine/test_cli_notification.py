"""`gitops create alert-provider|alert|receiver` and `gitops get alert-providers|alerts|receivers`, in flux's shapes."""

from __future__ import annotations

import base64

import pytest

from engine.notify import webhook_path
from tests.engine import test_cli_cluster
from tests.engine.test_cli import run
from tests.engine.test_cli_cluster import Lab

lab = test_cli_cluster.lab  # the CLI tests' fixture


def secret(lab: Lab, name: str, **data: str) -> None:
    from engine.cli.session import Session

    session = Session(kubeconfig=lab.kubeconfig)
    session.client.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "flux-system"},
                          "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}},
                         field_manager="test")


@pytest.mark.parametrize("argv, expected", [
    (("create", "alert-provider", "slack", "--type", "slack", "--channel", "general",
      "--address", "https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK", "--secret-ref", "webhook-url", "--export"),
     """---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  address: https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK
  channel: general
  secretRef:
    name: webhook-url
  type: slack
"""),
    (("create", "alert", "flux-system", "--event-severity", "info", "--event-source", "Kustomization/flux-system",
      "--event-source", "GitRepository/*,Kustomization/apps.prod", "--provider-ref", "slack", "--export"),
     """---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: flux-system
  namespace: flux-system
spec:
  eventSeverity: info
  eventSources:
  - kind: Kustomization
    name: flux-system
  - kind: GitRepository
    name: '*'
  - kind: Kustomization
    name: apps
    namespace: prod
  providerRef:
    name: slack
"""),
    (("create", "receiver", "github-receiver", "--type", "github", "--event", "ping", "--event", "push",
      "--secret-ref", "webhook-token", "--resource", "GitRepository/webapp", "--resource", "Kustomization/webapp",
      "--export"),
     """---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: github-receiver
  namespace: flux-system
spec:
  events:
  - ping
  - push
  resources:
  - kind: GitRepository
    name: webapp
  - kind: Kustomization
    name: webapp
  secretRef:
    name: webhook-token
  type: github
"""),
], ids=["alert-provider", "alert", "receiver"])
def test_create_export_matches_flux(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], expected: str) -> None:
    assert run(capsys, *argv) == (0, expected, "")


def test_create_alert_provider_in_another_namespace(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "create", "alert-provider", "hook", "--type=generic", "-n", "apps", "--export")
    assert code == 0 and out.endswith("metadata:\n  name: hook\n  namespace: apps\nspec:\n  type: generic\n")


@pytest.mark.parametrize("argv, message", [
    (["create", "alert-provider", "p", "--export"], "Provider type is required"),
    (["create", "alert", "a", "--event-source=Kustomization/x", "--export"], "provider ref is required"),
    (["create", "alert", "a", "--provider-ref=p", "--export"], "at least one event source is required"),
    (["create", "alert", "a", "--provider-ref=p", "--event-source=apps", "--export"],
     "invalid event source 'apps', must be in format <kind>/<name>"),
    (["create", "receiver", "r", "--secret-ref=t", "--resource=GitRepository/x", "--export"],
     "Receiver type is required"),
    (["create", "receiver", "r", "--type=generic", "--resource=GitRepository/x", "--export"],
     "secret ref is required"),
    (["create", "receiver", "r", "--type=generic", "--secret-ref=t", "--export"], "atleast one resource is required"),
])
def test_create_notification_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert run(capsys, *argv) == (1, "", f"✗ {message}\n")


def test_create_and_get_notification_kinds(lab: Lab) -> None:
    assert lab.run("get", "alert-providers") == (
        1, "", '✗ no Provider objects found in "flux-system" namespace\n')
    lab.ok("install")
    _, err = lab.ok("create", "alert-provider", "hook", "--type=generic", "--address=http://127.0.0.1:9/hook")
    assert err.splitlines() == ["✚ generating Provider", "► applying Provider", "✔ Provider created",
                                "◎ waiting for Provider reconciliation", "✔ Provider hook is ready"]
    _, err = lab.ok("create", "alert", "ops", "--provider-ref=hook", "--event-source=Kustomization/*")
    assert err.splitlines() == ["✚ generating Alert", "► applying Alert", "✔ Alert created",
                                "◎ waiting for Alert reconciliation", "✔ Alert ops is ready"]
    _, err = lab.ok("create", "alert", "ops", "--provider-ref=hook", "--event-source=GitRepository/*")
    assert err.splitlines()[2] == "✔ Alert updated"

    secret(lab, "webhook-token", token="s3cret")
    _, err = lab.ok("create", "receiver", "push", "--type=generic", "--secret-ref=webhook-token",
                    "--resource=GitRepository/fleet")
    path = webhook_path("s3cret", "push", "flux-system")
    assert err.splitlines() == ["✚ generating Receiver", "► applying Receiver", "✔ Receiver created",
                                "◎ waiting for Receiver reconciliation", "✔ Receiver push is ready",
                                f"✔ generated webhook URL {path}"]

    out, _ = lab.ok("get", "alert-providers")
    assert out == "NAME\tREADY\tMESSAGE\nhook\tTrue \tProvider is Ready\n"
    out, _ = lab.ok("get", "alerts", "-A")
    assert out == ("NAMESPACE  \tNAME\tSUSPENDED\tREADY\tMESSAGE\n"
                   "flux-system\tops \tFalse    \tTrue \tAlert is Ready\n")
    out, _ = lab.ok("get", "receivers", "--no-header")
    assert out == f"push\tFalse\tTrue\tReceiver initialized for path: {path}\n"
    out, _ = lab.ok("get", "all")
    assert out.splitlines() == [
        "NAME         \tSUSPENDED\tREADY\tMESSAGE", f"receiver/push\tFalse    \tTrue \tReceiver initialized for path: {path}", "",
        "NAME         \tREADY\tMESSAGE", "provider/hook\tTrue \tProvider is Ready", "",
        "NAME     \tSUSPENDED\tREADY\tMESSAGE", "alert/ops\tFalse    \tTrue \tAlert is Ready", ""]
    assert lab.run("get", "receivers", "nope") == (
        1, "", "✗ Receiver object 'nope' not found in \"flux-system\" namespace\n")


def test_provider_failures_reach_the_learner(lab: Lab) -> None:
    lab.ok("install")
    code, _, err = lab.run("create", "alert-provider", "chat", "--type=slack", "--channel=general")
    assert code == 1
    assert err.splitlines()[-1] == ("✗ provider type 'slack' is not supported offline in this workshop: "
                                    "only generic and generic-hmac deliver events")
    out, _ = lab.ok("get", "alert-providers", "--status-selector", "ready=false", "--no-header")
    assert out.startswith("chat\tFalse\tprovider type 'slack' is not supported offline")
    code, _, err = lab.run("create", "receiver", "r", "--type=generic", "--secret-ref=missing",
                           "--resource=GitRepository/x")
    assert code == 1 and err.splitlines()[-1].startswith(
        "✗ Receiver reconciliation failed: unable to read token from secret 'flux-system/missing'")


def test_create_without_crds_says_what_to_install(lab: Lab) -> None:
    code, _, err = lab.run("create", "alert", "a", "--provider-ref=p", "--event-source=Kustomization/x")
    assert code == 1
    assert err.splitlines()[-1] == (
        '✗ no matches for kind "Alert" in version "notification.toolkit.fluxcd.io/v1beta3": the Alert CRD is not '
        "installed, run `gitops install` (image kinds: `gitops install --components-extra=image-reflector-controller,"
        "image-automation-controller`)")
