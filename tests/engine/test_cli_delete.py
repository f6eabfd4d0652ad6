"""`gitops delete`: flux's prompt and lines; the finalizer's outcome (prune or keep) with or without `gitops run`."""

from __future__ import annotations

import io

import pytest

from engine.cli import main
from engine.cli.session import Session
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import CM, Lab

lab = test_cli_cluster.lab  # the CLI tests' fixture
KS = ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")


def configmap(lab: Lab, name: str) -> object:
    return Session(kubeconfig=lab.kubeconfig).client.get("v1", "ConfigMap", name, "default")


def test_delete_asks_first_then_prunes_in_process(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    lab.setup(prune=True)
    assert configmap(lab, "a") is not None
    code, out, err = lab.run("delete", "ks", "apps")  # pytest's stdin cannot answer: flux aborts
    assert (code, out) == (1, "")
    assert err == "? Are you sure you want to delete this kustomization? [y/N] \n✗ aborting\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert lab.run("delete", "ks", "apps")[0] == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, out, err = lab.run("delete", "ks", "apps")
    assert (code, out) == (0, "")
    assert err.splitlines()[1:] == ["► deleting kustomization apps in flux-system namespace",
                                    "✔ kustomization deleted"]
    assert Session(kubeconfig=lab.kubeconfig).client.get(*KS, "apps", "flux-system") is None
    assert configmap(lab, "a") is None  # the finalizer pruned the inventory
    assert lab.run("delete", "ks", "apps", "-s") == (
        1, "", '✗ kustomizations.kustomize.toolkit.fluxcd.io "apps" not found\n')


def test_delete_without_prune_keeps_objects_and_source_goes(lab: Lab) -> None:
    lab.setup(prune=False)
    _, err = lab.ok("delete", "kustomization", "apps", "--silent")
    assert err.splitlines() == ["► deleting kustomization apps in flux-system namespace", "✔ kustomization deleted"]
    assert configmap(lab, "a") is not None
    _, err = lab.ok("delete", "source", "git", "fleet", "-s")
    assert err.splitlines() == ["► deleting source git fleet in flux-system namespace", "✔ source git deleted"]
    assert Session(kubeconfig=lab.kubeconfig).client.get("source.toolkit.fluxcd.io/v1", "GitRepository", "fleet",
                                                        "flux-system") is None


def test_delete_with_a_running_manager_has_the_same_outcome(lab: Lab) -> None:
    lab.setup(prune=True)
    lab.commit({"apps/b.yaml": CM.format(name="b", value="v")})
    lab.ok("reconcile", "ks", "apps", "--with-source")
    assert configmap(lab, "b") is not None
    with lab.running_manager(3) as session:
        code = main(["delete", "ks", "apps", "-s", "--kubeconfig", lab.kubeconfig, "--timeout", "30s"])
        assert code == 0
        assert session.client.get(*KS, "apps", "flux-system") is None
        assert configmap(lab, "a") is None and configmap(lab, "b") is None


def test_export_and_delete_a_notification_kind(lab: Lab) -> None:
    lab.ok("install")
    lab.ok("create", "alert-provider", "hook", "--type", "generic", "--address", "http://127.0.0.1:9/hook")
    out, _ = lab.ok("export", "alert-provider", "hook")
    assert out == ("---\napiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata:\n"
                   "  name: hook\n  namespace: flux-system\nspec:\n  address: http://127.0.0.1:9/hook\n"
                   "  type: generic\n")
    client = Session(kubeconfig=lab.kubeconfig).client
    provider = client.get("notification.toolkit.fluxcd.io/v1beta3", "Provider", "hook", "flux-system")
    assert provider is not None and provider["metadata"].get("finalizers") == ["finalizers.fluxcd.io"]
    _, err = lab.ok("delete", "alert-provider", "hook", "-s")
    assert err.splitlines() == ["► deleting alert provider hook in flux-system namespace", "✔ alert provider deleted"]
    assert client.get("notification.toolkit.fluxcd.io/v1beta3", "Provider", "hook", "flux-system") is None
