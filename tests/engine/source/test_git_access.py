"""GitRepository `spec.proxySecretRef` and `spec.provider` stories: the remote is reached through the proxy (or
fails clearly), GitHub App tokens are traded at a GitHub API, and cloud providers fail as source-controller does
when it cannot obtain credentials (the kit's lab has no cloud identity)."""

from __future__ import annotations

import base64
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from kustomization.story import Story

from engine.client import ApiError
from engine.gitaccess.auth import GITHUB_NEEDS_SECRET, proxy_from_secret
from engine.gitaccess.github_app import LAB_NOTE
from engine.gitaccess.socks_tunnel import TunnelError, open_tunnel
from source.http_servers import forward_proxy, git_server, github_api, self_signed, socks5_proxy

APP_ID, INSTALLATION = 1234, 42
TOKEN_USER = "x-access-token"


def secret(story: Story, name: str, **data: str) -> None:
    story.client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": story.ns},
                         "type": "Opaque", "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch_failed(story: Story, name: str) -> tuple[str, str]:
    cond = story.gitrepo(name).condition("FetchFailed")
    assert cond is not None
    return cond["status"], cond["reason"]


def stalled(story: Story, name: str) -> tuple[str, str] | None:
    cond = story.gitrepo(name).condition("Stalled")
    return (cond["status"], cond["reason"]) if cond else None


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


# -- spec.proxySecretRef --------------------------------------------------------------------------
def test_clone_goes_through_the_proxy_with_its_credentials(story: Story) -> None:
    sha = story.commit("Add app config", {"apps/cm.yaml": story.configmap("web")})
    with git_server(story.repo.remote_path.parent) as git, forward_proxy(("mandalorian", "gr@gu:1")) as proxy:
        secret(story, "http-proxy", address=proxy.address, username="mandalorian", password="gr@gu:1")
        story.git_repository(url=git.url("fleet"), proxySecretRef={"name": "http-proxy"})
        story.sync()
        assert story.ready("GitRepository", "fleet") == (
            "True", "Succeeded", f"stored artifact for revision 'main@sha1:{sha}'")
        # every request the git server saw came through the proxy, which asked for its credentials first
        assert proxy.refused >= 1
        assert [(m, urlsplit(u).path) for m, u in proxy.requests] == git.requests
        assert ("POST", f"{git.url('fleet')}/git-upload-pack") in proxy.requests
        assert any(u.startswith(f"{git.url('fleet')}/info/refs?service=git-upload-pack") for _, u in proxy.requests)


def test_https_remote_is_tunnelled_through_the_proxy_with_connect(story: Story, tmp_path: Path) -> None:
    sha = story.commit("one", {"a.yaml": story.configmap("a")})
    tls = self_signed(tmp_path / "tls")
    with git_server(story.repo.remote_path.parent, basic_auth=("git", "token"), tls=tls) as git, \
            forward_proxy(("mando", "pw")) as proxy:
        secret(story, "proxy", address=proxy.address, username="mando", password="pw")
        secret(story, "https-creds", username="git", password="token", **{"ca.crt": tls.ca_pem})
        story.git_repository(url=git.url("fleet"), secretRef={"name": "https-creds"}, proxySecretRef={"name": "proxy"})
        story.sync()
    assert story.ready("GitRepository", "fleet") == ("True", "Succeeded", f"stored artifact for revision "
                                                     f"'main@sha1:{sha}'")
    assert set(proxy.requests) == {("CONNECT", f"127.0.0.1:{git.port}")} and git.requests


def test_a_proxy_nothing_listens_on_fails_the_fetch_naming_it(story: Story) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    port = closed_port()
    with git_server(story.repo.remote_path.parent) as git:
        secret(story, "dead-proxy", address=f"http://127.0.0.1:{port}", username="mando", password="s3cr3t-pw")
        story.git_repository(url=git.url("fleet"), proxySecretRef={"name": "dead-proxy"})
        report = story.sync()
        assert git.requests == []  # git never went around the proxy
    assert not report.ok
    status, reason, message = story.ready("GitRepository", "fleet")
    assert (status, reason) == ("False", "GitOperationFailed")
    assert message.startswith(f"failed to checkout and determine revision: unable to clone '{git.url('fleet')}'")
    assert f"127.0.0.1 port {port}" in message and "s3cr3t-pw" not in message
    assert fetch_failed(story, "fleet") == ("True", "GitOperationFailed")
    assert story.gitrepo("fleet").artifact is None


def test_socks5_proxy_resolves_the_host_and_carries_https_and_ssh_remotes(story: Story) -> None:
    sha = story.commit("one", {"a.yaml": story.configmap("a")})
    ssh_port = closed_port()
    with git_server(story.repo.remote_path.parent) as git, \
            socks5_proxy(("mando", "gr0gu"), resolve={"git.lab.internal": "127.0.0.1"}) as socks:
        secret(story, "socks", address=socks.address, username="mando", password="gr0gu")
        # a host name only the proxy can resolve: the clone works only through it (as Go's dialer, unresolved)
        story.git_repository("http", url=f"http://git.lab.internal:{git.port}/fleet.git",
                             proxySecretRef={"name": "socks"})
        story.git_repository("ssh", url=f"ssh://git@git.lab.internal:{ssh_port}/fleet.git",
                             proxySecretRef={"name": "socks"})
        story.sync()
    assert story.ready("GitRepository", "http") == ("True", "Succeeded", f"stored artifact for revision "
                                                    f"'main@sha1:{sha}'")
    assert ("git.lab.internal", git.port, "mando") in socks.connects
    # no SSH server listens behind the proxy: the failure names the proxy's answer, not the password
    status, reason, message = story.ready("GitRepository", "ssh")
    assert (status, reason) == ("False", "GitOperationFailed")
    assert ("git.lab.internal", ssh_port, "mando") in socks.connects
    assert f"socks5 proxy 127.0.0.1:{socks.port} could not connect to git.lab.internal:{ssh_port}: connection " \
           "refused" in message and "gr0gu" not in message


def test_proxy_secret_failures_are_flux_messages(story: Story) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    url = "http://127.0.0.1:9/fleet.git"  # never contacted: the proxy Secret fails first
    secret(story, "no-address", username="mando")
    secret(story, "ftp-proxy", address="ftp://proxy.lab:21")
    secret(story, "host-port", address="127.0.0.1:3128")
    secret(story, "good-proxy", address="http://127.0.0.1:9")
    story.git_repository("absent", url=url, proxySecretRef={"name": "absent"})
    story.git_repository("no-address", url=url, proxySecretRef={"name": "no-address"})
    story.git_repository("ftp", url=url, proxySecretRef={"name": "ftp-proxy"})
    story.git_repository("host-port", url=url, proxySecretRef={"name": "host-port"})
    story.git_repository("lab-remote", proxySecretRef={"name": "good-proxy"})  # the lab's file:// remote
    story.git_repository("ssh-http", url="ssh://git@127.0.0.1:9/fleet.git", proxySecretRef={"name": "good-proxy"})
    story.sync()
    prefix = "failed to configure proxy options: "
    assert story.ready("GitRepository", "absent") == (
        "False", "AuthenticationFailed", f"{prefix}secret '{story.ns}/absent' not found")
    assert story.ready("GitRepository", "no-address") == (
        "False", "AuthenticationFailed", f"{prefix}secret '{story.ns}/no-address': key 'address' not found")
    assert story.ready("GitRepository", "ftp") == (
        "False", "AuthenticationFailed", f"{prefix}secret '{story.ns}/ftp-proxy': proxy URL must use one of the "
        "supported schemes (http, https, socks5), got 'ftp'")
    assert story.ready("GitRepository", "host-port")[2] == (
        f"{prefix}secret '{story.ns}/host-port': failed to parse proxy address '127.0.0.1:3128': "
        "parse \"127.0.0.1:3128\": first path segment in URL cannot contain colon")
    status, reason, message = story.ready("GitRepository", "lab-remote")
    assert (status, reason) == ("False", "AuthenticationFailed")
    assert message.startswith(prefix) and "file://" in message and "cannot go through a proxy" in message
    assert story.ready("GitRepository", "ssh-http")[2] == (
        f"{prefix}the kit tunnels SSH remotes through socks5 proxies only, got 'http'")
    for name in ("absent", "no-address", "ftp", "host-port", "lab-remote", "ssh-http"):
        assert fetch_failed(story, name) == ("True", "AuthenticationFailed")
        assert story.gitrepo(name).artifact is None


def test_proxy_url_carries_escaped_credentials_and_keeps_them_out_of_messages() -> None:
    proxy = proxy_from_secret({"address": "socks5://proxy.lab:1080", "username": "a b", "password": "p@ss:w/rd"},
                              "ns/p")
    assert proxy.url == "socks5://a%20b:p%40ss%3Aw%2Frd@proxy.lab:1080"
    assert proxy.scrub(f"error via {proxy.url} (p@ss:w/rd)") == "error via socks5://a%20b:***@proxy.lab:1080 (***)"
    assert proxy_from_secret({"address": "http://proxy.lab", "username": "only"}, "ns/p").url == \
        "http://only@proxy.lab"
    inline = proxy_from_secret({"address": "http://u:inl1ne@proxy.lab:3128"}, "ns/p")
    assert inline.url == "http://u:inl1ne@proxy.lab:3128" and inline.scrub("via inl1ne") == "via ***"


# -- spec.provider ----------------------------------------------------------------------------------
def test_the_crd_refuses_a_provider_flux_does_not_know(story: Story) -> None:
    with pytest.raises(ApiError) as refused:
        story.git_repository("gitlab", provider="gitlab")
    assert (refused.value.status, refused.value.reason) == (422, "Invalid")
    assert "spec.provider" in refused.value.message and '"gitlab"' in refused.value.message


def test_github_provider_without_app_data_fails_as_flux(story: Story) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    secret(story, "basic", username="git", password="pw")
    secret(story, "partial-app", githubAppID=str(APP_ID), githubAppInstallationID=str(INSTALLATION))
    story.git_repository("no-secret", provider="github")
    story.git_repository("basic", provider="github", secretRef={"name": "basic"})
    story.git_repository("partial", provider="github", secretRef={"name": "partial-app"})
    story.git_repository("missing", provider="github", secretRef={"name": "absent"})
    story.sync()
    # no secretRef at all: Flux stalls (only a spec change helps)
    assert story.ready("GitRepository", "no-secret") == ("False", "InvalidProviderConfiguration", GITHUB_NEEDS_SECRET)
    assert stalled(story, "no-secret") == ("True", "InvalidProviderConfiguration")
    # a Secret without (complete) GitHub App keys: the same message, retried
    for name in ("basic", "partial"):
        assert story.ready("GitRepository", name) == ("False", "InvalidProviderConfiguration", GITHUB_NEEDS_SECRET)
        assert stalled(story, name) is None
    assert story.ready("GitRepository", "missing") == (
        "False", "AuthenticationFailed", f"failed to get secret '{story.ns}/absent': secrets \"absent\" not found")
    # fixing the spec recovers the stalled object
    story.patch_spec("GitRepository", "no-secret", {"provider": "generic"})
    story.sync()
    assert story.ready("GitRepository", "no-secret")[:2] == ("True", "Succeeded")
    assert stalled(story, "no-secret") is None


def test_github_app_token_authenticates_the_clone(story: Story, app_key: rsa.RSAPrivateKey) -> None:
    sha = story.commit("Add app config", {"apps/cm.yaml": story.configmap("web")})
    with github_api(APP_ID, INSTALLATION, app_key, owners={"lab-user": INSTALLATION}) as api:
        with git_server(story.repo.remote_path.parent, basic_auth=(TOKEN_USER, api.token)) as git:
            secret(story, "app-by-id", githubAppID=str(APP_ID), githubAppInstallationID=str(INSTALLATION),
                   githubAppPrivateKey=pem(app_key), githubAppBaseURL=api.url)
            secret(story, "app-by-owner", githubAppID=str(APP_ID), githubAppInstallationOwner="lab-user",
                   githubAppPrivateKey=pem(app_key), githubAppBaseURL=api.url + "/")
            secret(story, "no-auth", username="nobody", password="wrong")
            story.git_repository("by-id", url=git.url("fleet"), provider="github", secretRef={"name": "app-by-id"})
            story.git_repository("by-owner", url=git.url("fleet"), provider="github",
                                 secretRef={"name": "app-by-owner"})
            story.git_repository("generic", url=git.url("fleet"), secretRef={"name": "no-auth"})
            story.sync()
            # a second repository of the same app reuses the cached installation token (as Flux's token cache)
            story.git_repository("same-app", url=git.url("fleet"), provider="github",
                                 secretRef={"name": "app-by-id"})
            story.sync()
    ok = ("True", "Succeeded", f"stored artifact for revision 'main@sha1:{sha}'")
    assert story.ready("GitRepository", "by-id") == ok
    assert story.ready("GitRepository", "by-owner") == ok
    assert story.ready("GitRepository", "same-app") == ok
    # one token per app data: by-id and same-app share one, by-owner (other keys) has its own
    assert api.requests.count(("POST", f"/app/installations/{INSTALLATION}/access_tokens")) == 2
    # the owner is tried as an organization first (404 here), then as a user
    assert ("GET", "/orgs/lab-user/installation") in api.requests
    assert ("GET", "/users/lab-user/installation") in api.requests
    status, reason, message = story.ready("GitRepository", "generic")  # the server really checks the token
    assert (status, reason) == ("False", "AuthenticationFailed") and "wrong" not in message


def test_github_app_token_request_goes_through_the_proxy(story: Story, app_key: rsa.RSAPrivateKey) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    with github_api(APP_ID, INSTALLATION, app_key) as api, \
            forward_proxy(("mando", "pw"), resolve={"api.lab.internal": "127.0.0.1"}) as proxy, \
            git_server(story.repo.remote_path.parent, basic_auth=(TOKEN_USER, api.token)) as git:
        # the API host is known to the proxy only (a loopback API would be reached directly, as Go's client does)
        api_url = f"http://api.lab.internal:{api.port}"
        secret(story, "proxy", address=proxy.address, username="mando", password="pw")
        secret(story, "app", githubAppID=str(APP_ID), githubAppInstallationID=str(INSTALLATION),
               githubAppPrivateKey=pem(app_key), githubAppBaseURL=api_url)
        story.git_repository(url=git.url("fleet"), provider="github", secretRef={"name": "app"},
                             proxySecretRef={"name": "proxy"})
        story.sync()
    assert story.ready("GitRepository", "fleet")[:2] == ("True", "Succeeded")
    assert ("POST", f"{api_url}/app/installations/{INSTALLATION}/access_tokens") in proxy.requests
    assert ("POST", f"/app/installations/{INSTALLATION}/access_tokens") in api.requests
    assert ("POST", f"{git.url('fleet')}/git-upload-pack") in proxy.requests


def test_github_app_failures(story: Story, app_key: rsa.RSAPrivateKey) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    port = closed_port()
    common = {"githubAppID": str(APP_ID), "githubAppInstallationID": str(INSTALLATION)}
    secret(story, "offline", **common, githubAppPrivateKey=pem(app_key), githubAppBaseURL=f"http://127.0.0.1:{port}")
    secret(story, "bad-key", **common, githubAppPrivateKey="not a key")
    secret(story, "bad-id", githubAppID="app", githubAppInstallationID=str(INSTALLATION),
           githubAppPrivateKey=pem(app_key))
    secret(story, "both", **common, githubAppInstallationOwner="org", githubAppPrivateKey=pem(app_key))
    secret(story, "app-on-generic", **common, githubAppPrivateKey=pem(app_key))
    for name in ("offline", "bad-key", "bad-id", "both"):
        story.git_repository(name, provider="github", secretRef={"name": name})
    story.git_repository("generic", secretRef={"name": "app-on-generic"})
    story.sync()
    prefix = "failed to configure authentication options: "
    status, reason, message = story.ready("GitRepository", "offline")
    assert (status, reason) == ("False", "AuthenticationFailed")
    assert message.startswith(f"{prefix}Post \"http://127.0.0.1:{port}/app/installations/{INSTALLATION}/"
                              "access_tokens\": ") and message.endswith(LAB_NOTE)
    assert "PRIVATE KEY" not in message
    assert story.ready("GitRepository", "bad-key") == ("False", "AuthenticationFailed", f"{prefix}could not parse "
                                                       "private key: invalid key: Key must be a PEM encoded PKCS1 or "
                                                       "PKCS8 key")
    assert story.ready("GitRepository", "bad-id") == (
        "False", "AuthenticationFailed", f"{prefix}app ID must be provided to use github app authentication")
    assert story.ready("GitRepository", "both")[2] == (
        f"secret '{story.ns}/both' must contain exactly one of 'githubAppInstallationOwner' or "
        "'githubAppInstallationID'")
    assert story.ready("GitRepository", "generic") == (
        "False", "InvalidProviderConfiguration",
        f"secretRef '{story.ns}/app-on-generic' has github app data but provider is not set to github")


def test_cloud_providers_fail_as_flux_does_without_cloud_credentials(story: Story) -> None:
    story.commit("one", {"a.yaml": story.configmap("a")})
    codecommit = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/fleet"
    story.git_repository("azure", provider="azure")
    story.git_repository("azure-sa", provider="azure", serviceAccountName="tenant")
    story.git_repository("aws", provider="aws", url=codecommit)
    story.git_repository("aws-lab-url", provider="aws")
    story.git_repository("aws-not-codecommit", provider="aws", url="https://example.com/org/fleet.git")
    story.sync()
    prefix = ("failed to configure authentication options: failed to get access token for Git repository: "
              "failed to create provider access token for the controller: ")
    status, reason, message = story.ready("GitRepository", "azure")
    assert (status, reason) == ("False", "AuthenticationFailed")
    assert message.startswith(prefix + "the kit's lab cannot obtain Azure credentials")
    status, reason, message = story.ready("GitRepository", "aws")
    assert (status, reason) == ("False", "AuthenticationFailed")
    assert message.startswith(prefix + "the kit's lab cannot obtain AWS credentials")
    assert story.ready("GitRepository", "azure-sa") == (
        "False", "FeatureGateDisabled", "to use spec.serviceAccountName for provider authentication please enable "
        "the ObjectLevelWorkloadIdentity feature gate in the controller")
    assert stalled(story, "azure-sa") == ("True", "FeatureGateDisabled")
    assert story.ready("GitRepository", "aws-lab-url") == (
        "False", "AuthenticationFailed",
        "failed to configure authentication options: AWS CodeCommit authentication requires an HTTPS Git URL")
    assert story.ready("GitRepository", "aws-not-codecommit") == (
        "False", "AuthenticationFailed", "failed to configure authentication options: invalid AWS CodeCommit Git "
        "URL: example.com")
    for name in ("azure", "azure-sa", "aws", "aws-lab-url", "aws-not-codecommit"):
        assert story.gitrepo(name).artifact is None


def test_generic_provider_is_the_default(story: Story, tmp_path: Path) -> None:
    sha = story.commit("one", {"a.yaml": story.configmap("a")})
    story.git_repository("explicit", provider="generic")
    story.sync()
    assert story.ready("GitRepository", "explicit") == (
        "True", "Succeeded", f"stored artifact for revision 'main@sha1:{sha}'")


def test_socks_tunnel_names_what_the_proxy_refused() -> None:
    with socks5_proxy(("mando", "right")) as socks:
        with pytest.raises(TunnelError, match=f"socks5 proxy 127.0.0.1:{socks.port}: username/password "
                                              "authentication failed"):
            open_tunnel(f"socks5://mando:wrong@127.0.0.1:{socks.port}", "git.lab.internal", 22)
        with pytest.raises(TunnelError, match="no acceptable authentication method"):
            open_tunnel(f"socks5://127.0.0.1:{socks.port}", "git.lab.internal", 22)
    port = closed_port()
    with pytest.raises(TunnelError, match=f"dial tcp 127.0.0.1:{port}: "):
        open_tunnel(f"socks5://127.0.0.1:{port}", "git.lab.internal", 22)
