"""`gitops create source git --provider|--proxy-secret-ref|--ca-file` and `create secret git --ca-crt-file` as
flux 2.x's cmd/flux/create_source_git.go and create_secret_git.go: flag validation, the `--export` shape, and the
CA stored under `ca.crt` in the generated credentials Secret (https only)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from engine.cli import main
from engine.cli.session import Session
from tests.engine import test_cli_cluster
from tests.engine.test_cli_cluster import Lab

lab = test_cli_cluster.lab  # the CLI tests' fixture
CA = "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBCwUAMBExDzANBgNVBAMMBnRl\n-----END CERTIFICATE-----\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_prints_provider_and_proxy_secret_ref_as_flux(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "create", "source", "git", "podinfo", "--url=https://dev.azure.com/foo/bar/_git/app",
                         "--branch=main", "--provider=azure", "--proxy-secret-ref=proxy", "--export")
    assert (code, err) == (0, "")
    assert out == """\
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 1m0s
  provider: azure
  proxySecretRef:
    name: proxy
  ref:
    branch: main
  url: https://dev.azure.com/foo/bar/_git/app
"""


@pytest.mark.parametrize("provider", ["generic", "github", "aws", "azure"])
def test_every_flux_provider_is_accepted(capsys: pytest.CaptureFixture[str], provider: str) -> None:
    code, out, _ = run(capsys, "create", "source", "git", "x", "--url=https://h/r", "--branch=main",
                       f"--provider={provider}", "--export")
    assert code == 0 and yaml.safe_load(out)["spec"]["provider"] == provider


def test_export_never_reads_the_ca_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """flux returns the export before it generates the Secret: the CA is neither read nor printed."""
    code, out, err = run(capsys, "create", "source", "git", "x", "--url=https://h/r", "--branch=main",
                         f"--ca-file={tmp_path / 'missing.pem'}", "--export")
    assert (code, err) == (0, "")
    assert yaml.safe_load(out)["spec"] == {"interval": "1m0s", "ref": {"branch": "main"}, "url": "https://h/r"}


@pytest.mark.parametrize("argv, message", [
    (["--provider=gitlab"], "✗ invalid argument \"gitlab\" for \"--provider\" flag: source Git provider 'gitlab' is "
                            "not supported, must be one of: generic|github|aws|azure\n"),
    (["--provider="], "✗ invalid argument \"\" for \"--provider\" flag: no source Git provider given, please specify "
                      "the Git provider name\n"),
    (["--ca-file=ca.pem", "--url=ssh://git@h/org/r"], "✗ specifying a CA file is not supported for Git over SSH\n"),
])
def test_bad_flags_fail_like_flux(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    url = [] if any(a.startswith("--url") for a in argv) else ["--url=https://h/r"]
    code, out, err = run(capsys, "create", "source", "git", "x", *url, "--branch=main", *argv, "--export")
    assert (code, out, err) == (1, "", message)


def test_create_secret_git_ca_crt_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(CA)
    code, out, _ = run(capsys, "create", "secret", "git", "creds", "--url=https://h/r", "-u", "me", "-p", "pw",
                       f"--ca-crt-file={ca}", "--export")
    assert code == 0
    assert yaml.safe_load(out)["stringData"] == {"ca.crt": CA, "password": "pw", "username": "me"}
    missing = tmp_path / "nope.pem"
    code, out, err = run(capsys, "create", "secret", "git", "creds", "--url=https://h/r", "-u", "me", "-p", "pw",
                         f"--ca-crt-file={missing}", "--export")
    assert (code, out, err) == (1, "", f"✗ unable to read TLS CA file: open {missing}: no such file or directory\n")


def _secret_data(lab: Lab, name: str) -> dict[str, str] | None:
    secret = Session(kubeconfig=lab.kubeconfig).client.get("v1", "Secret", name, "flux-system")
    if secret is None:
        return None
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


def test_ca_file_goes_into_the_generated_secret_for_https(lab: Lab) -> None:
    lab.ok("install")
    ca = lab.tmp / "ca.pem"
    ca.write_text(CA)
    # an https server that is not there: the source never becomes Ready, but the Secret and the reference are made
    code, _, err = lab.run("create", "source", "git", "private", "--url=https://127.0.0.1:9/org/app.git",
                           "--branch=main", f"--ca-file={ca}", "-u", "me", "-p", "pw", "--provider=generic",
                           "--proxy-secret-ref=proxy", "--timeout=3s")
    assert code == 1
    assert err.splitlines()[:4] == ["✚ generating GitRepository source", "► applying secret with repository credentials",
                                    "✔ authentication configured", "► applying GitRepository source"]
    assert _secret_data(lab, "private") == {"ca.crt": CA, "password": "pw", "username": "me"}
    spec = Session(kubeconfig=lab.kubeconfig).client.get("source.toolkit.fluxcd.io/v1", "GitRepository", "private",
                                                        "flux-system")["spec"]
    assert spec["secretRef"] == {"name": "private"}
    assert spec["proxySecretRef"] == {"name": "proxy"} and spec["provider"] == "generic"

    # the CA alone is enough for flux to generate the Secret
    code, _, _ = lab.run("create", "source", "git", "ca-only", "--url=https://127.0.0.1:9/org/app.git",
                         "--branch=main", f"--ca-file={ca}", "--timeout=3s")
    assert code == 1 and _secret_data(lab, "ca-only") == {"ca.crt": CA}

    # a CA file that cannot be read fails after generating, before anything is applied
    code, out, err = lab.run("create", "source", "git", "broken", "--url=https://127.0.0.1:9/org/app.git",
                             "--branch=main", f"--ca-file={lab.tmp / 'nope.pem'}")
    assert (code, out) == (1, "")
    assert err.splitlines() == ["✚ generating GitRepository source",
                                f"✗ unable to read TLS CA file: open {lab.tmp / 'nope.pem'}: no such file or directory"]
    assert _secret_data(lab, "broken") is None


def test_ca_file_is_ignored_for_plain_http(lab: Lab) -> None:
    """flux reads --ca-file only in its https case: over http no Secret is generated for it."""
    lab.ok("install")
    code, _, err = lab.run("create", "source", "git", "plain", "--url=http://127.0.0.1:9/org/app.git",
                           "--branch=main", f"--ca-file={lab.tmp / 'nope.pem'}", "--timeout=3s")
    assert code == 1 and "authentication configured" not in err
    assert _secret_data(lab, "plain") is None


def test_basic_auth_is_stored_only_as_a_pair(lab: Lab) -> None:
    """flux's buildGitSecret keeps username and password only together: a lone -u makes no Secret."""
    lab.ok("install")
    code, _, err = lab.run("create", "source", "git", "half", "--url=https://127.0.0.1:9/org/app.git",
                           "--branch=main", "-u", "me", "--timeout=3s")
    assert code == 1 and "authentication configured" not in err
    assert _secret_data(lab, "half") is None
    code, out, _ = lab.run("create", "secret", "git", "token", "--url=https://h/r", "-u", "me", "--bearer-token=t",
                           "--export")
    assert code == 0 and yaml.safe_load(out)["stringData"] == {"bearerToken": "t"}
