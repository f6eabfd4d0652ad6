"""flux CLI parity on the embedded cluster: check --pre's Kubernetes constraint, watch flags, label selectors,
events --for, resume --wait, create flags and secrets."""

from __future__ import annotations

import threading
import time

from engine.cli.session import Session
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import Lab

lab = test_cli_cluster.lab  # the CLI tests' fixture
KS_API = "kustomize.toolkit.fluxcd.io/v1"


def test_check_pre_refuses_a_cluster_older_than_flux_2_9_supports(fake_apiserver: object, tmp_path: object,
                                                                  capsys: object) -> None:
    from pathlib import Path

    from engine.cli import main
    from workshop.testing import write_kubeconfig

    config = write_kubeconfig(Path(str(tmp_path)) / "kubeconfig", {"old": fake_apiserver.url}, "old")  # type: ignore[attr-defined]
    assert main(["check", "--pre", "--kubeconfig", str(config)]) == 1
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert err == "► checking prerequisites\n✗ Kubernetes version v1.32.2 does not match >=1.33.0-0\n"


# -- get/events: --watch, -l, --for Kind ---------------------------------------------------------------


def later(seconds: float, action: object) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()  # type: ignore[operator]
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_get_watch_prints_a_row_per_change_until_the_timeout(lab: Lab) -> None:
    lab.setup()
    client = Session(kubeconfig=lab.kubeconfig).client
    thread = later(0.6, lambda: client.merge_patch(KS_API, "Kustomization", "apps", "flux-system",
                                                   {"spec": {"suspend": True}}))
    code, out, err = lab.run("get", "ks", "--watch", "--timeout", "1.5s")
    thread.join()
    assert (code, err) == (1, "✗ timed out waiting for the condition\n")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"]
    assert lines[1].split()[0] == "apps" and lines[1].split()[2] == "False"
    assert lines[-1].split()[0] == "apps" and lines[-1].split()[2] == "True"  # the suspend, as its own row
    assert lab.run("get", "all", "--watch")[2] == "✗ expected a single resource type, but found all\n"


def test_label_selector_filters_get(lab: Lab) -> None:
    lab.setup()
    client = Session(kubeconfig=lab.kubeconfig).client
    client.merge_patch(KS_API, "Kustomization", "apps", "flux-system", {"metadata": {"labels": {"team": "web"}}})
    out, _ = lab.ok("get", "ks", "-l", "team=web")
    assert [ln.split()[0] for ln in out.splitlines()[1:]] == ["apps"]
    code, out, err = lab.run("get", "ks", "--label-selector", "team=db")
    assert out == "" and err == "✗ no Kustomization objects found in \"flux-system\" namespace\n"


def test_events_for_a_kind_and_watch(lab: Lab) -> None:
    lab.setup()
    lab.ok("reconcile", "ks", "apps", "--with-source")
    out, _ = lab.ok("events", "--for", "Kustomization")
    objects = {ln.split("\t")[3].strip() for ln in out.splitlines()[1:]}
    assert objects == {"Kustomization/apps"}  # only that kind, not its source
    out, _ = lab.ok("events", "--for", "kustomization/apps")
    assert {ln.split("\t")[3].strip() for ln in out.splitlines()[1:]} == {"Kustomization/apps", "GitRepository/fleet"}
    code, out, err = lab.run("events", "--watch", "--timeout", "0.5s")
    assert code == 1 and err == "✗ timed out waiting for the condition\n"
    assert out.splitlines()[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert len(out.splitlines()) > 1
    assert lab.run("events", "--for", "/x")[2] == "✗ --for selector must be of format <kind>[/<name>]\n"


# -- create: source git flags, secret git, ks --wait -----------------------------------------------------
def test_create_source_git_export_as_flux_golden(lab: Lab) -> None:
    out, _ = lab.ok("create", "source", "git", "podinfo", "--url=https://github.com/stefanprodan/podinfo",
                    "--branch=master", "--sparse-checkout-paths", ".cosign,non-existent-dir/", "--ignore-paths",
                    ".cosign,non-existent-dir/", "-n", "default", "--interval", "1m", "--export")
    assert out == ("---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: podinfo\n"
                   "  namespace: default\nspec:\n  ignore: |-\n    .cosign\n    non-existent-dir/\n  interval: 1m0s\n"
                   "  ref:\n    branch: master\n  sparseCheckout:\n  - .cosign\n  - non-existent-dir/\n"
                   "  url: https://github.com/stefanprodan/podinfo\n")
    out, _ = lab.ok("create", "source", "git", "podinfo", "--url=https://github.com/stefanprodan/podinfo",
                    "--branch=main", "--commit=c88a2f41", "--export")
    assert "  ref:\n    branch: main\n    commit: c88a2f41\n" in out
    out, _ = lab.ok("create", "source", "git", "podinfo", "--url=https://github.com/stefanprodan/podinfo",
                    "--ref-name=refs/heads/main", "--export")
    assert "  ref:\n    name: refs/heads/main\n" in out
    assert lab.run("create", "source", "git", "p", "--url=https://x/y")[2] == (
        "✗ a Git ref is required, use one of the following: --branch, --tag, --commit, --ref-name or --tag-semver\n")


def test_create_secret_git_as_flux_golden(lab: Lab) -> None:
    out, _ = lab.ok("create", "secret", "git", "podinfo-auth", "--url=https://github.com/stefanprodan/podinfo",
                    "--username=my-username", "--password=my-password", "--namespace=my-namespace", "--export")
    assert out == ("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: podinfo-auth\n  namespace: my-namespace\n"
                   "stringData:\n  password: my-password\n  username: my-username\n\n")
    assert lab.run("create", "secret", "git", "x", "--url=https://h/r", "-u", "a")[2] == (
        "✗ for Git over HTTP/S the username and password, or a bearer token is required\n")
    assert lab.run("create", "secret", "git", "x", "--url=https://h/r", "-u", "a", "-p", "b",
                   "--bearer-token", "t")[2] == "✗ user credentials and bearer token cannot be used together\n"
    lab.ok("install")
    _, err = lab.ok("create", "secret", "git", "auth", "--url=https://h/r", "-u", "a", "-p", "b")
    assert err == "► git secret 'auth' created in 'flux-system' namespace\n"
    stored = Session(kubeconfig=lab.kubeconfig).client.get("v1", "Secret", "auth", "flux-system")
    assert stored is not None and set(stored["data"]) == {"username", "password"}


def test_create_secret_git_ssh_private_key(lab: Lab) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                            serialization.NoEncryption())
    path = lab.tmp / "id_ed25519"
    path.write_bytes(pem)
    out, err = lab.ok("create", "secret", "git", "ssh-auth", "--url=ssh://git@github.com/org/repo",
                      "--private-key-file", str(path), "--export")
    import yaml

    doc = yaml.safe_load(out)
    assert doc["stringData"]["identity"] == pem.decode()
    assert doc["stringData"]["identity.pub"].startswith("ssh-ed25519 ")
    assert "known_hosts not collected" in err
    assert lab.run("create", "secret", "git", "x", "--url=ssh://git@h/r")[2].startswith(
        "✗ generating an SSH deploy key is not supported")


def test_create_source_git_with_credentials_stores_a_secret(lab: Lab) -> None:
    lab.ok("install")
    code, _, err = lab.run("create", "source", "git", "fleet", "--url", "http://127.0.0.1:9/repo.git", "--branch",
                           "main", "-u", "git", "-p", "secret", "--timeout", "2s")  # nothing listens: fetch fails
    assert err.startswith("✚ generating GitRepository source\n"
                          "⚠️ insecure configuration: credentials configured for an HTTP URL\n"
                          "► applying secret with repository credentials\n✔ authentication configured\n"
                          "► applying GitRepository source\n")
    client = Session(kubeconfig=lab.kubeconfig).client
    repo = client.get("source.toolkit.fluxcd.io/v1", "GitRepository", "fleet", "flux-system")
    assert repo is not None and repo["spec"]["secretRef"] == {"name": "fleet"}
    assert client.get("v1", "Secret", "fleet", "flux-system") is not None


def test_create_kustomization_wait_drops_health_checks(lab: Lab) -> None:
    out, _ = lab.ok("create", "ks", "apps", "--source", "fleet", "--path", "./apps", "--wait",
                    "--health-check", "Deployment/web.apps", "--export")
    assert "healthChecks" not in out and "  wait: true\n" in out and "  timeout: 2m0s\n" in out
    out, _ = lab.ok("create", "ks", "apps", "--source", "fleet", "--path", "./apps",
                    "--health-check", "HelmRelease/web.apps", "--export")
    assert "  healthChecks:\n  - apiVersion: helm.toolkit.fluxcd.io/v2\n    kind: HelmRelease\n" in out
    assert lab.run("create", "ks", "a", "--source", "f", "--health-check", "Deployment/web")[2] == (
        "✗ invalid health check 'Deployment/web' must be in the format 'kind/name.namespace'\n")
    assert lab.run("create", "ks", "a", "--source", "f", "--health-check", "Pod/web.apps")[2] == (
        "✗ invalid health check kind 'Pod' can be HelmRelease, Deployment, DaemonSet or StatefulSet\n")
