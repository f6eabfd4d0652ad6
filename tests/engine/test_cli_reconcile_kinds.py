"""`gitops reconcile|suspend|resume` for the image and notification kinds, in-process (no `gitops run`)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.cli.session import Session
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import Lab
from tests.engine.test_cli_images import EXTRA, web_deployment
from tests.engine.test_cli_notification import secret
from workshop.registry import LabRegistry

lab = test_cli_cluster.lab  # the CLI tests' fixture


def apply(lab: Lab, obj: dict[str, Any]) -> None:
    """Put an object in place without the CLI (no reconcile, no output)."""
    obj["metadata"].setdefault("namespace", "flux-system")
    Session(kubeconfig=lab.kubeconfig).client.apply(obj, field_manager="test")


def ready_message(lab: Lab, api_version: str, kind: str, name: str) -> str:
    obj = Session(kubeconfig=lab.kubeconfig).client.get(api_version, kind, name, "flux-system") or {}
    return next(c["message"] for c in obj["status"]["conditions"] if c["type"] == "Ready")


def test_image_kinds(lab: Lab) -> None:
    with LabRegistry(kind="embedded") as registry:
        lab.cluster.image_available = registry.image_available
        registry.publish("team/web", "1.0.0")
        registry.publish("team/web", "1.1.0")
        lab.commit({"apps/web.yaml": web_deployment(registry.image("team/web", "1.0.0"))})
        lab.ok("install", EXTRA)
        lab.ok("create", "source", "git", "fleet", "--url", lab.repo.url, "--branch", "main")
        lab.ok("create", "image", "repository", "web", f"--image={registry.host}/team/web")
        lab.ok("create", "image", "policy", "web", "--image-ref=web", "--select-semver=1.x")
        lab.ok("create", "image", "update", "fleet", "--git-repo-ref=fleet", "--git-repo-path=./apps",
               "--checkout-branch=main", "--author-name=fluxbot", "--author-email=fluxbot@example.com")

        registry.publish("team/web", "1.2.0")
        assert lab.run("reconcile", "image", "repository", "web") == (0, "", (
            "► annotating ImageRepository web in flux-system namespace\n"
            "✔ ImageRepository annotated\n"
            "◎ waiting for ImageRepository reconciliation\n"
            "✔ scan fetched 3 tags\n"))
        assert lab.run("reconcile", "image", "update", "fleet") == (0, "", (
            "► annotating ImageUpdateAutomation fleet in flux-system namespace\n"
            "✔ ImageUpdateAutomation annotated\n"
            "◎ waiting for ImageUpdateAutomation reconciliation\n"
            "✔ repository up-to-date\n"))
        lab.repo.pull()
        assert lab.repo.read("apps/web.yaml") == web_deployment(registry.image("team/web", "1.2.0"))

        assert lab.run("suspend", "image", "repository", "web") == (0, "", (
            "► suspending image repository web in flux-system namespace\n"
            "✔ image repository suspended\n"))
        out, _ = lab.ok("get", "images", "repository", "web", "--no-header")
        assert out.split("\t")[2].strip() == "True"
        assert lab.run("reconcile", "image", "repository", "web") == (1, "", "✗ resource is suspended\n")
        assert lab.run("resume", "image", "repository", "web") == (0, "", (
            "► resuming image repository web in flux-system namespace\n"
            "✔ image repository resumed\n"
            "◎ waiting for ImageRepository reconciliation\n"
            "✔ ImageRepository web reconciliation completed\n"
            "✔ scan fetched 3 tags\n"))
        _, err = lab.ok("suspend", "image", "update", "fleet")
        assert err == "► suspending image update automation fleet in flux-system namespace\n" \
                      "✔ image update automation suspended\n"
        _, err = lab.ok("resume", "image", "update", "fleet")
        assert err.splitlines()[1:] == ["✔ image update automation resumed",
                                        "◎ waiting for ImageUpdateAutomation reconciliation",
                                        "✔ ImageUpdateAutomation fleet reconciliation completed",
                                        "✔ repository up-to-date"]

        apply(lab, {"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageRepository",
                    "metadata": {"name": "gone"}, "spec": {"image": f"{registry.host}/team/gone", "interval": "5m"}})
        code, _, err = lab.run("reconcile", "image", "repository", "gone")
        message = ready_message(lab, "image.toolkit.fluxcd.io/v1", "ImageRepository", "gone")
        assert message.startswith("scan failed: ")
        assert (code, err.splitlines()[-1]) == (1, f"✗ ImageRepository reconciliation failed: '{message}'")
    assert lab.run("reconcile", "image", "repository", "nope") == (
        1, "", '✗ imagerepositories.image.toolkit.fluxcd.io "nope" not found\n')
    assert lab.run("reconcile", "image", "policy", "web")[0] == 1


def test_notification_kinds(lab: Lab) -> None:
    lab.ok("install")
    lab.ok("create", "alert-provider", "hook", "--type=generic", "--address=http://127.0.0.1:9/hook")
    lab.ok("create", "alert", "ops", "--provider-ref=hook", "--event-source=Kustomization/*")
    lab.ok("create", "alert", "audit", "--provider-ref=hook", "--event-source=GitRepository/*")
    secret(lab, "webhook-token", token="s3cret")
    lab.ok("create", "receiver", "push", "--type=generic", "--secret-ref=webhook-token",
           "--resource=GitRepository/fleet")

    for words, kind in ((["alert-provider", "hook"], "Provider"), (["alert", "ops"], "Alert")):
        assert lab.run("reconcile", *words) == (0, "", (
            f"► annotating {kind} {words[1]} in flux-system namespace\n"
            f"✔ {kind} annotated\n"
            "◎ waiting for reconciliation\n"
            f"✔ {kind} reconciliation completed\n"))
    assert lab.run("reconcile", "receiver", "push") == (0, "", (
        "► annotating Receiver push in flux-system namespace\n"
        "✔ Receiver annotated\n"
        "◎ waiting for Receiver reconciliation\n"
        "✔ Receiver reconciliation completed\n"))

    assert lab.run("suspend", "receiver", "push") == (0, "", (
        "► suspending receiver push in flux-system namespace\n✔ receiver suspended\n"))
    assert lab.run("reconcile", "receiver", "push") == (1, "", "✗ resource is suspended\n")
    assert lab.run("resume", "receiver", "push") == (0, "", (
        "► resuming receiver push in flux-system namespace\n"
        "✔ receiver resumed\n"
        "◎ waiting for Receiver reconciliation\n"
        "✔ Receiver push reconciliation completed\n"
        "✔ Receiver reconciliation completed\n"))
    _, err = lab.ok("suspend", "alert-provider", "hook")
    assert err == "► suspending alert provider hook in flux-system namespace\n✔ alert provider suspended\n"
    _, err = lab.ok("resume", "alert-provider", "hook")
    assert err.splitlines()[-2:] == ["✔ Provider hook reconciliation completed", "✔ Provider reconciliation completed"]

    assert lab.run("suspend", "alert", "--all") == (0, "", (
        "► suspending alert audit in flux-system namespace\n✔ alert suspended\n"
        "► suspending alert ops in flux-system namespace\n✔ alert suspended\n"))
    out, _ = lab.ok("get", "alerts", "--no-header")
    assert [line.split("\t")[1].strip() for line in out.splitlines()] == ["True", "True"]
    assert lab.run("resume", "alert", "--all") == (0, "", (
        "► resuming alert audit in flux-system namespace\n✔ alert resumed\n"
        "► resuming alert ops in flux-system namespace\n✔ alert resumed\n"))
    assert lab.run("suspend", "alert", "ops", "audit")[0] == 0
    assert lab.run("resume", "alert", "ops", "audit", "--wait") == (0, "", (
        "► resuming alert ops in flux-system namespace\n✔ alert resumed\n"
        "► resuming alert audit in flux-system namespace\n✔ alert resumed\n"
        "◎ waiting for Alert reconciliation\n◎ waiting for Alert reconciliation\n"
        "✔ Alert audit reconciliation completed\n✔ Alert reconciliation completed\n"
        "✔ Alert ops reconciliation completed\n✔ Alert reconciliation completed\n"))


def test_notification_failures_and_misses(lab: Lab) -> None:
    lab.ok("install")
    apply(lab, {"apiVersion": "notification.toolkit.fluxcd.io/v1", "kind": "Receiver", "metadata": {"name": "r"},
                "spec": {"type": "generic", "secretRef": {"name": "missing"},
                         "resources": [{"kind": "GitRepository", "name": "fleet"}]}})
    code, _, err = lab.run("reconcile", "receiver", "r")
    message = ready_message(lab, "notification.toolkit.fluxcd.io/v1", "Receiver", "r")
    assert message.startswith("unable to read token from secret 'flux-system/missing'")
    assert (code, err.splitlines()[-1]) == (1, f"✗ {message}")
    code, _, err = lab.run("resume", "receiver", "r")
    assert (code, err.splitlines()[-1]) == (1, f"✗ {message}")

    assert lab.run("reconcile", "alert", "nope") == (
        1, "", '✗ alerts.notification.toolkit.fluxcd.io "nope" not found\n')
    assert lab.run("suspend", "alert", "nope") == (0, "", "✗ Alert nope not found in flux-system namespace\n")
    assert lab.run("resume", "receiver", "nope") == (
        0, "", "✗ Receiver object 'nope' not found in flux-system namespace\n")
    assert lab.run("resume", "receiver", "nope", "--wait") == (
        0, "", "✗ Receiver object 'nope' not found in flux-system namespace\n")
    assert lab.run("suspend", "alert") == (1, "", "✗ alert name is required\n")
    assert lab.run("suspend", "alert", "--all") == (1, "", "✗ no objects found\n")
    assert lab.run("resume", "alert", "--all") == (0, "", "✗ no Alert objects found in flux-system namespace\n")


def test_reconcile_waits_for_a_running_manager(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    lab.ok("install")
    secret(lab, "webhook-token", token="s3cret")
    lab.ok("create", "receiver", "push", "--type=generic", "--secret-ref=webhook-token",
           "--resource=GitRepository/fleet")
    with lab.running_manager(4) as session:
        lab.capsys.readouterr()

        def in_process(_: Session) -> None:
            raise AssertionError("the CLI ran the controllers itself while gitops run held the lease")

        monkeypatch.setattr("engine.cli.controllers.register_installed", in_process)
        code, _, err = lab.run("reconcile", "receiver", "push")
        assert code == 0
        assert [line for line in err.splitlines() if "Receiver" in line] == [
            "► annotating Receiver push in flux-system namespace", "✔ Receiver annotated",
            "◎ waiting for Receiver reconciliation", "✔ Receiver reconciliation completed"]
        receiver = session.client.get("notification.toolkit.fluxcd.io/v1", "Receiver", "push", "flux-system") or {}
        requested = receiver["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"]
        assert receiver["status"]["lastHandledReconcileAt"] == requested


def test_bootstrap_with_the_image_components(lab: Lab) -> None:
    argv = ("bootstrap", "git", f"--url={lab.repo.url}", "--branch=main", "--path=clusters/lab")
    assert lab.run(*argv, "--components-extra=helm-controller") == (
        1, "", "✗ component 'helm-controller' is not available, --components-extra can be: "
               "image-reflector-controller, image-automation-controller\n")
    _, err = lab.ok(*argv, EXTRA)
    assert err.splitlines()[-1] == "✔ all components are healthy"
    exported, _ = lab.ok("install", "--export", EXTRA)
    lab.repo.pull()
    assert lab.repo.read("clusters/lab/flux-system/gotk-components.yaml") == exported
    _, err = lab.ok("check")
    assert {"✔ imagepolicies.image.toolkit.fluxcd.io/v1", "✔ imagerepositories.image.toolkit.fluxcd.io/v1",
            "✔ imageupdateautomations.image.toolkit.fluxcd.io/v1"} <= set(err.splitlines())
    _, err = lab.ok(*argv, EXTRA)
    assert "✔ component manifests are up to date" in err.splitlines()
