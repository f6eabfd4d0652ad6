"""GitHub App authentication for `provider: github` (fluxcd/pkg/auth/githubapp and runtime/secrets, rewritten).

The Secret names the app (`githubAppID`, `githubAppPrivateKey`, one of `githubAppInstallationID` /
`githubAppInstallationOwner`, optional `githubAppBaseURL` for GitHub Enterprise). The app signs a short RS256 JWT
with its private key and trades it at the GitHub API for an installation token; git then authenticates as
`x-access-token:<token>`. The kit does the same exchange; in an offline lab the API cannot be reached and the
failure says so. Tokens are cached as source-controller's token cache does (default on, 100 entries): reused until
80% of their lifetime has passed, at most one hour.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY_APP_ID = "githubAppID"
KEY_INSTALLATION_OWNER = "githubAppInstallationOwner"
KEY_INSTALLATION_ID = "githubAppInstallationID"
KEY_PRIVATE_KEY = "githubAppPrivateKey"
KEY_BASE_URL = "githubAppBaseURL"
DEFAULT_API = "https://api.github.com"
ACCESS_TOKEN_USERNAME = "x-access-token"
LAB_NOTE = ("the kit's lab cannot reach the GitHub API to obtain a GitHub App installation token "
            "(use provider 'generic' with a token in spec.secretRef, or set githubAppBaseURL to a reachable API)")


CACHE_SIZE = 100
CACHE_MAX_SECONDS = 3600.0


class GitHubAppError(Exception):
    """The app data is unusable or the token exchange failed (message as Flux's githubapp client words it)."""


@dataclass(frozen=True)
class AppToken:
    """An installation token and when it expires (RFC 3339, as the API returns it)."""

    token: str
    expires_at: str


def app_data(data: Mapping[str, str], secret_ref: str) -> dict[str, str] | None:
    """The GitHub App keys of a decoded Secret as runtime/secrets.GitHubAppDataFromSecret reads them: None when
    the app ID or the private key is missing (Flux then treats the Secret as having no app data); an error when
    not exactly one of installation owner / installation ID is present."""
    if KEY_APP_ID not in data or KEY_PRIVATE_KEY not in data:
        return None
    if (KEY_INSTALLATION_OWNER in data) == (KEY_INSTALLATION_ID in data):
        raise GitHubAppError(f"secret '{secret_ref}' must contain exactly one of '{KEY_INSTALLATION_OWNER}' "
                             f"or '{KEY_INSTALLATION_ID}'")
    keys = (KEY_APP_ID, KEY_PRIVATE_KEY, KEY_INSTALLATION_OWNER, KEY_INSTALLATION_ID, KEY_BASE_URL)
    return {k: data[k] for k in keys if k in data}


def _int(value: str | None) -> int:
    """strconv.ParseInt as the client uses it: anything unparsable counts as 0 (not set)."""
    try:
        return int(value or "", 10)
    except ValueError:
        return 0


def _private_key(pem: str) -> rsa.RSAPrivateKey:
    """jwt.ParseRSAPrivateKeyFromPEM: a PEM PKCS#1 or PKCS#8 RSA key."""
    if "-----BEGIN" not in pem:
        raise GitHubAppError("could not parse private key: invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key")
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise GitHubAppError("could not parse private key: key is not a valid RSA private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise GitHubAppError("could not parse private key: key is not a valid RSA private key")
    return key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def app_jwt(app_id: int, key: rsa.RSAPrivateKey, now: float | None = None) -> str:
    """The app's RS256 JWT: issued 30 s in the past (clock drift), valid two minutes, issuer = app ID."""
    iat = int(now if now is not None else time.time()) - 30
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = _b64(json.dumps({"iss": str(app_id), "exp": iat + 120, "iat": iat}, separators=(",", ":")).encode())
    signing_input = f"{header}.{claims}".encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{claims}.{_b64(signature)}"


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _ExplicitProxy(urllib.request.BaseHandler):
    """Every request goes through `proxy` (an http(s) proxy; credentials as Proxy-Authorization), except to a
    loopback host: Go's httpproxy.Config, which githubapp builds from the proxy URL, never proxies those."""

    handler_order = 100  # before the HTTP(S) handlers open the connection

    def __init__(self, proxy: str) -> None:
        parts = urlsplit(proxy)
        self.hostport = parts.netloc.rpartition("@")[2]
        self.auth = None
        if parts.username is not None:
            userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.auth = "Basic " + base64.b64encode(userinfo.encode()).decode()

    def _through_proxy(self, request: urllib.request.Request) -> None:
        if _loopback(urlsplit(request.full_url).hostname or ""):
            return None
        if self.auth:
            request.add_header("Proxy-Authorization", self.auth)
        request.set_proxy(self.hostport, "http")  # https requests keep their scheme and tunnel with CONNECT
        return None

    http_open = https_open = _through_proxy


class _Api:
    """A tiny GitHub REST client: JSON over urllib, through the proxy and CA when given."""

    def __init__(self, base: str, jwt: str, proxy: str | None, ca: str | None, timeout: float) -> None:
        self.base = base if base.endswith("/") else base + "/"
        self.jwt = jwt
        self.timeout = timeout
        handlers: list[urllib.request.BaseHandler] = []
        if proxy:  # the Secret's proxy replaces the environment's
            handlers += [urllib.request.ProxyHandler({}), _ExplicitProxy(proxy)]
        context = ssl.create_default_context(cadata=ca) if ca else None
        handlers.append(urllib.request.HTTPSHandler(context=context))
        self.opener = urllib.request.build_opener(*handlers)

    def call(self, method: str, path: str) -> dict:
        url = self.base + path
        request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None, headers={
            "Authorization": f"Bearer {self.jwt}", "Accept": "application/vnd.github.v3+json",
            "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "gitops-workshop-kit"})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                body = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            try:
                message = json.loads(err.read() or b"{}").get("message", "")
            except ValueError:
                message = ""
            raise GitHubAppError(f"{method} {url}: {err.code} {message} []") from None
        except (urllib.error.URLError, OSError) as err:
            cause = getattr(err, "reason", err)
            raise GitHubAppError(f"{method.capitalize()} \"{url}\": {cause}: {LAB_NOTE}") from None
        except ValueError:
            raise GitHubAppError(f"{method} {url}: the response is not JSON") from None
        if not isinstance(body, dict):
            raise GitHubAppError(f"{method} {url}: the response is not a JSON object")
        return body


class _TokenCache:
    """Installation tokens by app data (fluxcd/pkg/cache.TokenCache): kept until 80% of their lifetime, ≤ 1 h."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[AppToken, float]] = {}

    @staticmethod
    def key(app: Mapping[str, str]) -> str:
        return hashlib.sha256(json.dumps(sorted(app.items())).encode()).hexdigest()

    def get(self, key: str) -> AppToken | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[1] <= time.monotonic():
                self._items.pop(key, None)
                return None
            return item[0]

    def put(self, key: str, token: AppToken) -> None:
        try:
            expires = datetime.datetime.fromisoformat(token.expires_at.replace("Z", "+00:00"))
        except ValueError:
            return  # no expiry known: not cached
        lifetime = (expires - datetime.datetime.now(datetime.UTC)).total_seconds()
        keep = min(lifetime * 0.8, CACHE_MAX_SECONDS)
        if keep <= 0:
            return
        with self._lock:
            self._items.pop(key, None)
            if len(self._items) >= CACHE_SIZE:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (token, time.monotonic() + keep)


TOKENS = _TokenCache()


def installation_token(app: Mapping[str, str], *, proxy: str | None = None, ca: str | None = None,
                       timeout: float = 60.0) -> AppToken:
    """Validate the app data as githubapp.New does, then trade the app JWT for an installation token (or reuse
    the cached one)."""
    app_id = _int(app.get(KEY_APP_ID))
    if app_id == 0:
        raise GitHubAppError("app ID must be provided to use github app authentication")
    owner = app.get(KEY_INSTALLATION_OWNER) or ""
    installation_id = _int(app.get(KEY_INSTALLATION_ID))
    if not owner and installation_id == 0:
        raise GitHubAppError("app installation owner or ID must be provided to use github app authentication")
    if owner and installation_id != 0:
        raise GitHubAppError("only one of app installation owner or ID must be provided to use github app "
                             "authentication")
    if not app.get(KEY_PRIVATE_KEY):
        raise GitHubAppError("private key must be provided to use github app authentication")
    if proxy and proxy.startswith("socks5"):
        raise GitHubAppError(f"the kit cannot send GitHub API requests through a socks5 proxy: {LAB_NOTE}")
    key = _private_key(app[KEY_PRIVATE_KEY])
    cache_key = TOKENS.key(app)
    cached = TOKENS.get(cache_key)
    if cached is not None:
        return cached
    api = _Api(app.get(KEY_BASE_URL) or DEFAULT_API, app_jwt(app_id, key), proxy, ca, timeout)
    if installation_id == 0:
        installation_id = _installation_of(api, owner)
    body = api.call("POST", f"app/installations/{installation_id}/access_tokens")
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise GitHubAppError(f"POST {api.base}app/installations/{installation_id}/access_tokens: no token in the "
                             f"response")
    issued = AppToken(token, str(body.get("expires_at") or ""))
    TOKENS.put(cache_key, issued)
    return issued


def _installation_of(api: _Api, owner: str) -> int:
    """The installation ID of `owner`, tried as an organization and then as a user (as the client does)."""
    errors = []
    for kind, path in (("organization", "orgs"), ("user", "users")):
        try:
            found = _int(str(api.call("GET", f"{path}/{quote(owner, safe='')}/installation").get("id", "")))
        except GitHubAppError as err:
            errors.append(f"failed to find {kind} installation: {err}")
            continue
        if found:
            return found
        errors.append(f"failed to find {kind} installation: no installation ID in the response")
    raise GitHubAppError("\n".join(errors))
