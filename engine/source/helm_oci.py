"""Helm charts in OCI registries (HelmRepository `type: oci`), as source-controller's OCIChartRepository reads them.

`oci://<host>/<path>` + chart name is the repository; tags are chart versions (`+` stored as `_`). A version that
parses as one is used as the tag directly; anything else lists the tags and picks the highest the constraint
allows (`*`/empty: latest stable). The chart is the manifest's layer of media type
`application/vnd.cncf.helm.chart.content.v1.tar+gzip`. `insecure` talks plain HTTP (loopback registries).
Every failure is an OCIChartError whose text follows Flux's (`could not get tags for "web": …`,
`could not locate a version matching provided version string 9.x`, `failed to get 'oci://…:1.0.0': …`).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from engine.masterminds import ConstraintError, Constraints, Version, parse_tag
from engine.source.helm_index import BasicAuth

CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
CHART_CONFIG = "application/vnd.cncf.helm.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


class OCIChartError(Exception):
    """Looking up or pulling a chart from an OCI registry failed (Flux files these as ChartPullError)."""


@dataclass(frozen=True)
class OCIChartRef:
    """`oci://host/path` of a HelmRepository plus a chart name."""

    registry: str
    repository: str

    @classmethod
    def of(cls, url: str, chart: str) -> OCIChartRef:
        parts = urlsplit(url)
        if parts.scheme != "oci" or not parts.netloc:
            raise OCIChartError(f"invalid OCI registry URL: {url}")
        path = "/".join(p for p in (parts.path.strip("/"), chart.strip("/")) if p)
        return cls(parts.netloc, path)

    def url(self, tag: str = "") -> str:
        return f"oci://{self.registry}/{self.repository}" + (f":{tag}" if tag else "")


class OCIClient:
    """The distribution API calls a chart pull needs, with basic or bearer-token auth."""

    def __init__(self, ref: OCIChartRef, *, auth: BasicAuth | None = None, insecure: bool = False,
                 timeout: float = 60.0) -> None:
        self.ref = ref
        self.auth = auth
        self.timeout = timeout
        self.base = f"{'http' if insecure else 'https'}://{ref.registry}/v2/{ref.repository}"
        self.session = requests.Session()
        self._authorization: str | None = None

    def _get(self, url: str, **headers: str) -> requests.Response:
        if self._authorization:
            headers["Authorization"] = self._authorization
        try:
            response = self.session.get(url, headers=headers, timeout=self.timeout)
        except requests.RequestException as err:
            raise OCIChartError(_dial_error(url, err)) from err
        if response.status_code == 401 and self._authorization is None and self._authenticate(response):
            return self._get(url, **headers)
        return response

    def _authenticate(self, challenge: requests.Response) -> bool:
        scheme, _, params = challenge.headers.get("WWW-Authenticate", "").partition(" ")
        if scheme.lower() == "basic" and self.auth:
            token = base64.b64encode(f"{self.auth.username}:{self.auth.password}".encode()).decode()
            self._authorization = f"Basic {token}"
            return True
        if scheme.lower() != "bearer":
            return False
        values = dict(_CHALLENGE_PARAM.findall(params))
        if "realm" not in values:
            return False
        query = {"service": values.get("service", ""),
                 "scope": values.get("scope") or f"repository:{self.ref.repository}:pull"}
        try:
            response = self.session.get(values["realm"], params=query, timeout=self.timeout,
                                        auth=(self.auth.username, self.auth.password) if self.auth else None)
        except requests.RequestException as err:
            raise OCIChartError(_dial_error(values["realm"], err)) from err
        if response.status_code != 200:
            return False
        body = response.json()
        token = body.get("token") or body.get("access_token")
        if not token:
            return False
        self._authorization = f"Bearer {token}"
        return True

    def tags(self) -> list[str]:
        """The repository's tags with `_` turned back into `+` (helm's registry client)."""
        response = self._get(f"{self.base}/tags/list")
        _raise_for(response)
        return [t.replace("_", "+") for t in response.json().get("tags") or []]

    def pull(self, tag: str) -> bytes:
        """The chart archive of `tag`."""
        response = self._get(f"{self.base}/manifests/{tag.replace('+', '_')}", Accept=MANIFEST)
        _raise_for(response, f"{self.ref.registry}/{self.ref.repository}:{tag}")
        try:
            manifest = response.json()
        except ValueError as err:
            raise OCIChartError(f"invalid manifest for {self.ref.url(tag)}: {err}") from err
        layers = [layer for layer in manifest.get("layers") or [] if layer.get("mediaType") == CHART_LAYER]
        if len(layers) != 1:
            raise OCIChartError(f"manifest does not contain exactly one chart layer of type {CHART_LAYER} "
                                f"(found {len(layers)})")
        blob = self._get(f"{self.base}/blobs/{layers[0]['digest']}")
        _raise_for(blob)
        return blob.content


def _dial_error(url: str, err: requests.RequestException) -> str:
    parts = urlsplit(url)
    if "Connection refused" in str(err) or "[Errno 111]" in str(err):
        return f'Get "{url}": dial tcp {parts.netloc}: connect: connection refused'
    if isinstance(err, requests.Timeout):
        return f'Get "{url}": context deadline exceeded'
    return f'Get "{url}": {err}'


def _raise_for(response: requests.Response, what: str = "") -> None:
    if response.status_code < 300:
        return
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        errors = []
    if response.status_code == 404 and what:
        raise OCIChartError(f"{what}: not found")
    detail = "; ".join(f"{e.get('code', '')}: {e.get('message', '')}" for e in errors) or response.reason
    if response.status_code in (401, 403):
        raise OCIChartError(f"GET {response.url}: unauthorized: {detail}")
    raise OCIChartError(f"GET {response.url}: unexpected status code {response.status_code}: {detail}")


def select_tag(tags: list[str], version: str) -> str:
    """getLastMatchingVersionOrConstraint: exact tag first, else the highest tag the constraint allows."""
    if version:
        for tag in tags:
            if tag == version:
                return tag
    try:
        constraint = Constraints("*" if version in ("", "*") else version)
    except ConstraintError as err:
        raise OCIChartError(str(err)) from err
    best: tuple[Version, str] | None = None
    for tag in tags:
        parsed = parse_tag(tag)
        if parsed is not None and constraint.check(parsed) and (best is None or parsed.compare(best[0]) > 0):
            best = (parsed, tag)
    if best is None:
        raise OCIChartError(f"could not locate a version matching provided version string {version}")
    return best[1]


def resolve_chart(client: OCIClient, chart: str, version: str) -> str:
    """The tag to pull for `version` (OCIChartRepository.GetChartVersion)."""
    if parse_tag(version) is not None:
        return version
    try:
        tags = client.tags()
    except OCIChartError as err:
        raise OCIChartError(f'could not get tags for "{chart}": could not fetch tags for '
                            f'"{client.ref.url()}": {err}') from err
    if not tags:
        raise OCIChartError(f'could not get tags for "{chart}": unable to locate any tags in provided '
                            f'repository: {client.ref.url()}')
    return select_tag(tags, version)


def pull_chart(client: OCIClient, tag: str) -> bytes:
    """The chart archive at `tag` (OCIChartRepository.DownloadChart)."""
    try:
        return client.pull(tag)
    except OCIChartError as err:
        raise OCIChartError(f"failed to get '{client.ref.url(tag)}': {err}") from err


def secret_oci_auth(secret: dict[str, Any], registry: str) -> BasicAuth | None:
    """Credentials for `registry` from a dockerconfigjson Secret or a username/password Secret."""
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    if ".dockerconfigjson" in data:
        try:
            config = json.loads(data[".dockerconfigjson"])
        except ValueError as err:
            raise OCIChartError(f"failed to configure OCI registry authentication: {err}") from err
        for key, entry in (config.get("auths") or {}).items():
            if re.sub(r"^https?://", "", key).split("/")[0] != registry:
                continue
            if entry.get("auth"):
                user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
                return BasicAuth(user, password)
            return BasicAuth(entry.get("username", ""), entry.get("password", ""))
        return None
    if "username" in data and "password" in data:
        return BasicAuth(data["username"], data["password"])
    return None
