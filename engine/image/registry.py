"""OCI distribution API client for image scans: tag listing with pagination, bearer-token and basic auth
from a dockerconfigjson Secret, plain http for `insecure`, manifest digests; exclusion and latestTags."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests

from engine.gotext import GoRegexError, compile_go_regex
from engine.image.reference import ImageName

DEFAULT_EXCLUSION_LIST = [r"^.*\.sig$"]
MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
PAGE_SIZE = 1000
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    """A registry request failed; the message names the request and the registry's answer."""


class RegistryAuthError(RegistryError):
    """The registry refused the credentials (or the anonymous request)."""


@dataclass(frozen=True)
class Credentials:
    """Username and password for one registry host."""

    username: str
    password: str


def credentials_from_dockerconfig(secret_data: Mapping[str, str], registry: str) -> Credentials | None:
    """Credentials for `registry` from a `kubernetes.io/dockerconfigjson` Secret's (base64) `data`."""
    raw = secret_data.get(".dockerconfigjson")
    if raw is None:
        raise RegistryAuthError("secret has no '.dockerconfigjson' key; create it with "
                                "`kubectl create secret docker-registry`")
    try:
        config = json.loads(base64.b64decode(raw))
    except (ValueError, TypeError) as err:
        raise RegistryAuthError(f"'.dockerconfigjson' is not base64-encoded JSON: {err}") from err
    hosts = {registry}
    if registry == "index.docker.io":
        hosts |= {"docker.io", "https://index.docker.io/v1/", "registry-1.docker.io"}
    for key, entry in (config.get("auths") or {}).items():
        host = re.sub(r"^https?://", "", key).split("/")[0]
        if key not in hosts and host not in hosts:
            continue
        if entry.get("auth"):
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            return Credentials(user, password)
        if "username" in entry:
            return Credentials(entry["username"], entry.get("password", ""))
    return None


def apply_exclusions(tags: Iterable[str], exclusion_list: list[str] | None, *, default_when_empty: bool = True
                     ) -> list[str]:
    """Drop tags any exclusion regex finds (unanchored); an empty list means Flux's default `^.*\\.sig$`."""
    patterns = list(exclusion_list or [])
    if not patterns and default_when_empty:
        patterns = DEFAULT_EXCLUSION_LIST
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(compile_go_regex(pattern))
        except GoRegexError as err:
            raise RegistryError(f"failed to compile regex {pattern}: {err}") from err
    return [t for t in tags if not any(r.search(t) for r in compiled)]


def sort_tags(tags: Iterable[str]) -> list[str]:
    """Flux's stored order: bytewise descending."""
    return sorted(tags, key=lambda t: t.encode(), reverse=True)


def latest_tags(tags: Iterable[str]) -> list[str]:
    """`lastScanResult.latestTags`: the first ten tags in bytewise-descending order."""
    return sort_tags(tags)[:10]


def tags_revision(sorted_tags: list[str]) -> str:
    """`lastScanResult.revision` as the filesystem tag store computes it."""
    return "sha256:" + hashlib.sha256("".join(t + "\n" for t in sorted_tags).encode()).hexdigest()


class RegistryClient:
    """Talks to one registry for one repository, handling the auth challenge the registry issues."""

    def __init__(self, image: ImageName, *, credentials: Credentials | None = None, insecure: bool = False,
                 timeout: float = 30.0, session: requests.Session | None = None, page_size: int = PAGE_SIZE) -> None:
        self.image = image
        self.credentials = credentials
        self.timeout = timeout
        self.page_size = page_size
        self.session = session or requests.Session()
        scheme = "http" if insecure or image.plain_http else "https"
        self.base = f"{scheme}://{image.registry}"
        self._authorization: str | None = None

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self._authorization:
            headers["Authorization"] = self._authorization
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.timeout,
                                            allow_redirects=True, **kwargs)
        except requests.RequestException as err:
            raise RegistryError(f"{method} {url}: {_reason(err)}") from err
        if response.status_code == 401 and self._authorization is None:
            self._authenticate(response)
            return self._request(method, url, headers=headers, **kwargs)
        return response

    def _authenticate(self, challenge: requests.Response) -> None:
        header = challenge.headers.get("WWW-Authenticate", "")
        scheme, _, params = header.partition(" ")
        if scheme.lower() == "basic":
            if not self.credentials:
                raise RegistryAuthError(f"{challenge.request.method} {challenge.url}: UNAUTHORIZED: "
                                        "authentication required; set spec.secretRef to a docker-registry Secret")
            token = base64.b64encode(f"{self.credentials.username}:{self.credentials.password}".encode()).decode()
            self._authorization = f"Basic {token}"
            return
        if scheme.lower() != "bearer":
            raise RegistryAuthError(f"{challenge.url}: unsupported authentication challenge '{header}'")
        values = dict(_CHALLENGE_PARAM.findall(params))
        if "realm" not in values:
            raise RegistryAuthError(f"{challenge.url}: bearer challenge without a realm: '{header}'")
        query = {"service": values.get("service", ""),
                 "scope": values.get("scope") or f"repository:{self.image.repository}:pull"}
        auth = (self.credentials.username, self.credentials.password) if self.credentials else None
        try:
            response = self.session.get(values["realm"], params=query, auth=auth, timeout=self.timeout)
        except requests.RequestException as err:
            raise RegistryAuthError(f"GET {values['realm']}: {_reason(err)}") from err
        if response.status_code != 200:
            raise RegistryAuthError(f"GET {response.url}: token request refused: {_status(response)}")
        body = response.json()
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryAuthError(f"GET {response.url}: token response has no token")
        self._authorization = f"Bearer {token}"

    def list_tags(self) -> list[str]:
        """All tags of the repository, following `Link: <...>; rel="next"` pages."""
        url = f"{self.base}/v2/{self.image.repository}/tags/list?n={self.page_size}"
        tags: list[str] = []
        seen: set[str] = set()
        while url and url not in seen:
            seen.add(url)
            response = self._request("GET", url)
            _raise_for(response)
            tags.extend(response.json().get("tags") or [])
            match = _LINK_NEXT.search(response.headers.get("Link", ""))
            url = urljoin(response.url, match.group(1)) if match else ""
        return tags

    def digest(self, tag: str) -> str:
        """The manifest digest of `tag` (HEAD with the manifest media types, as Flux does)."""
        url = f"{self.base}/v2/{self.image.repository}/manifests/{tag}"
        response = self._request("HEAD", url, headers={"Accept": MANIFEST_TYPES})
        _raise_for(response)
        digest = response.headers.get("Docker-Content-Digest")
        if not digest:
            response = self._request("GET", url, headers={"Accept": MANIFEST_TYPES})
            _raise_for(response)
            digest = "sha256:" + hashlib.sha256(response.content).hexdigest()
        return digest


def _reason(err: requests.RequestException) -> str:
    text = str(err)
    if "Connection refused" in text:
        return "connection refused (is the registry running and the host:port right?)"
    if "Name or service not known" in text or "Failed to resolve" in text:
        return "no such host"
    return text


def _status(response: requests.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        errors = []
    if errors:
        return "; ".join(f"{e.get('code', '')}: {e.get('message', '')}" for e in errors)
    return f"unexpected status code {response.status_code} {response.reason}"


def _raise_for(response: requests.Response) -> None:
    if response.status_code < 300:
        return
    message = f"{response.request.method} {response.url}: {_status(response)}"
    if response.status_code in (401, 403):
        raise RegistryAuthError(message)
    raise RegistryError(message)
