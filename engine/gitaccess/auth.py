"""How a GitRepository reaches its remote: `spec.proxySecretRef` and `spec.secretRef` + `spec.provider`, in the
order and with the failures of source-controller's reconcileSource/getAuthOpts.

- proxy: the Secret's `address` (http, https or socks5; ≤ 2048 characters) with optional `username`/`password`
  (runtime/secrets.ProxyURLFromSecret); failures are `AuthenticationFailed`, `failed to configure proxy options: …`.
  http(s) remotes use it as git's `http.proxy`; SSH remotes go through a socks5 proxy (engine.gitaccess.socks_tunnel);
  a file:// lab remote cannot use a proxy and says so.
- generic: the secretRef keys (`username`/`password`, `bearerToken`, `identity`/`known_hosts`, `ca.crt`); a Secret
  holding GitHub App keys is refused (`InvalidProviderConfiguration`).
- github: a GitHub App installation token (engine.gitaccess.github_app) used as `x-access-token:<token>`.
- azure, aws: Flux asks the cloud for a workload-identity token; the kit's lab has no cloud identity, so these fail
  as Flux fails when it cannot obtain one, and the message says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from engine import reasons
from engine.api.secrets import decode_secret
from engine.api.types import GitRepository
from engine.client import Client
from engine.gitaccess.github_app import (
    ACCESS_TOKEN_USERNAME,
    KEY_APP_ID,
    GitHubAppError,
    app_data,
    installation_token,
)
from engine.gitaccess.remote import Credentials, GitError, Proxy
from engine.jsonobj import Obj

PROVIDERS = ("generic", "aws", "azure", "github")
PROXY_SCHEMES = ("http", "https", "socks5")
MAX_PROXY_URL = 2048
GITHUB_NEEDS_SECRET = "secretRef with github app data must be specified when provider is set to github"
FEATURE_GATE = "ObjectLevelWorkloadIdentity"
CLOUD_NOTE = {
    "azure": ("the kit's lab cannot obtain Azure credentials: it runs outside Azure, with no workload identity "
              "(AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE) and no managed identity to ask "
              "Microsoft Entra ID for an Azure DevOps token; use provider 'generic' with a spec.secretRef in the lab"),
    "aws": ("the kit's lab cannot obtain AWS credentials: it runs outside AWS, with no EKS Pod Identity or IRSA to "
            "sign AWS CodeCommit requests; use provider 'generic' with a spec.secretRef in the lab"),
}


class GitAuthError(GitError):
    """A failure before any git command; `stalled` when only a spec change can fix it (Flux's serror.Stalling)."""

    def __init__(self, reason: str, message: str, *, stalled: bool = False) -> None:
        super().__init__(reason, message)
        self.stalled = stalled


@dataclass(frozen=True)
class Access:
    """What the git commands need: credentials (or None) and the proxy (or None)."""

    creds: Credentials | None
    proxy: Proxy | None


def repository_access(client: Client, obj: Obj) -> Access:
    """The proxy, then the credentials of `obj`'s secretRef and provider; raises GitAuthError as Flux fails."""
    repo = GitRepository(obj)
    proxy = _proxy(client, obj, repo)
    creds = _credentials(client, obj, repo, proxy)
    return Access(creds, proxy)


# -- spec.proxySecretRef --------------------------------------------------------------------------
def _proxy(client: Client, obj: Obj, repo: GitRepository) -> Proxy | None:
    name = str(((obj.get("spec") or {}).get("proxySecretRef") or {}).get("name") or "")
    if not name:
        return None
    ref = f"{repo.namespace}/{name}"
    secret = client.get("v1", "Secret", name, repo.namespace)
    if secret is None:
        raise _proxy_error(f"secret '{ref}' not found")
    proxy = proxy_from_secret(decode_secret(secret), ref)
    scheme = urlsplit(repo.url).scheme
    if scheme == "file":
        raise _proxy_error("a file:// remote is read from the local disk and cannot go through a proxy; remove "
                           "spec.proxySecretRef for lab remotes (the proxy applies to http(s) URLs)")
    if scheme == "ssh" and not proxy.url.startswith("socks5://"):
        raise _proxy_error(f"the kit tunnels SSH remotes through socks5 proxies only, got "
                           f"'{urlsplit(proxy.url).scheme}'")
    return proxy


def _proxy_error(message: str) -> GitAuthError:
    return GitAuthError(reasons.AUTHENTICATION_FAILED, f"failed to configure proxy options: {message}")


def proxy_from_secret(data: Mapping[str, str], ref: str) -> Proxy:
    """runtime/secrets.ProxyURLFromSecret: `address` required, `username` (and `password`) put in the URL."""
    if "address" not in data:
        raise _proxy_error(f"secret '{ref}': key 'address' not found")
    address = data["address"]
    if not address:
        raise _proxy_error(f"secret '{ref}': proxy address is empty")
    if len(address) > MAX_PROXY_URL:
        raise _proxy_error(f"secret '{ref}': proxy URL exceeds maximum length of {MAX_PROXY_URL} characters")
    parts = urlsplit(address)
    if not parts.scheme and ":" in address.split("/", 1)[0]:  # Go's url.Parse refuses `host:port` without scheme
        raise _proxy_error(f"secret '{ref}': failed to parse proxy address '{address}': parse \"{address}\": "
                           f"first path segment in URL cannot contain colon")
    if parts.scheme not in PROXY_SCHEMES:
        raise _proxy_error(f"secret '{ref}': proxy URL must use one of the supported schemes "
                           f"({', '.join(PROXY_SCHEMES)}), got '{parts.scheme}'")
    host = parts.netloc.rpartition("@")[2]
    username, password = data.get("username"), data.get("password")
    hidden = {parts.password or ""}  # a password written into the address itself
    if username is not None:
        userinfo = quote(username, safe="")
        if password is not None:
            userinfo += ":" + quote(password, safe="")
            hidden |= {password, quote(password, safe="")}
        address = parts._replace(netloc=f"{userinfo}@{host}").geturl()
    return Proxy(address, tuple(sorted(s for s in hidden if s)))


# -- spec.secretRef and spec.provider -------------------------------------------------------------
def _credentials(client: Client, obj: Obj, repo: GitRepository, proxy: Proxy | None) -> Credentials | None:
    spec = obj.get("spec") or {}
    provider = str(spec.get("provider") or "generic")
    data: dict[str, str] | None = None
    creds: Credentials | None = None
    if repo.secret_ref:
        secret = client.get("v1", "Secret", repo.secret_ref, repo.namespace)
        if secret is None:
            raise GitAuthError(reasons.AUTHENTICATION_FAILED, f"failed to get secret '{repo.namespace}/"
                               f"{repo.secret_ref}': secrets \"{repo.secret_ref}\" not found")
        data = decode_secret(secret)
        creds = Credentials.from_secret(secret)
        creds.validate(repo.url)
    if provider in ("azure", "aws"):
        return _cloud_credentials(provider, repo, spec)
    if provider == "github":
        return _github_credentials(repo, data, creds, proxy)
    if provider != "generic":  # the CRD's enum refuses it; a cluster without schema validation may not
        raise GitAuthError(reasons.INVALID_PROVIDER_CONFIGURATION, f"unsupported provider '{provider}': must be "
                           f"one of {', '.join(PROVIDERS)}", stalled=True)
    if data and data.get(KEY_APP_ID):
        raise GitAuthError(reasons.INVALID_PROVIDER_CONFIGURATION, f"secretRef '{repo.namespace}/{repo.secret_ref}' "
                           "has github app data but provider is not set to github")
    return creds


def _auth_failed(message: str) -> GitAuthError:
    return GitAuthError(reasons.AUTHENTICATION_FAILED, f"failed to configure authentication options: {message}")


def _cloud_credentials(provider: str, repo: GitRepository, spec: Obj) -> Credentials:
    """Flux's auth.GetGitCredentials for azure/aws, which needs a cloud identity the lab does not have."""
    if spec.get("serviceAccountName"):  # object-level workload identity is behind a feature gate, off by default
        raise GitAuthError(reasons.FEATURE_GATE_DISABLED, "to use spec.serviceAccountName for provider "
                           f"authentication please enable the {FEATURE_GATE} feature gate in the controller",
                           stalled=True)
    if provider == "aws":
        _check_codecommit_url(repo.url)
    raise _auth_failed("failed to get access token for Git repository: failed to create provider access token "
                       f"for the controller: {CLOUD_NOTE[provider]}")


def _check_codecommit_url(url: str) -> None:
    """The aws provider only signs AWS CodeCommit HTTPS URLs (`git-codecommit.<region>.amazonaws.com`)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise _auth_failed("AWS CodeCommit authentication requires an HTTPS Git URL")
    host = parts.hostname or ""
    if len(host.split(".")) < 4 or not host.startswith(("git-codecommit.", "git-codecommit-fips.")) \
            or not host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        raise _auth_failed(f"invalid AWS CodeCommit Git URL: {parts.netloc}")


def _github_credentials(repo: GitRepository, data: dict[str, str] | None, creds: Credentials | None,
                        proxy: Proxy | None) -> Credentials:
    """A GitHub App installation token as basic auth (`x-access-token`), other secretRef options kept."""
    if data is None or creds is None:
        raise GitAuthError(reasons.INVALID_PROVIDER_CONFIGURATION, GITHUB_NEEDS_SECRET, stalled=True)
    try:
        app = app_data(data, f"{repo.namespace}/{repo.secret_ref}")
    except GitHubAppError as err:
        raise GitAuthError(reasons.AUTHENTICATION_FAILED, str(err)) from None
    if app is None:
        raise GitAuthError(reasons.INVALID_PROVIDER_CONFIGURATION, GITHUB_NEEDS_SECRET)
    try:
        token = installation_token(app, proxy=proxy.url if proxy else None, ca=creds.ca, timeout=repo.timeout)
    except GitHubAppError as err:
        message = proxy.scrub(str(err)) if proxy else str(err)
        raise _auth_failed(message) from None
    creds.username, creds.password, creds.bearer_token = ACCESS_TOKEN_USERNAME, token.token, None
    creds.secrets.append(token.token)
    return creds
