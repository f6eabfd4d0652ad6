"""Helm chart repositories over HTTP(S): fetch `index.yaml`, load and validate it, pick a chart version, download it.

What source-controller does (internal/helm/repository/chart_repository.go over helm's repo/v1 and getter):
* the index is fetched from `<url>/index.yaml` (path-joined); its revision is the sha256 of the bytes fetched;
* loading accepts JSON or strict YAML, needs `apiVersion`, drops entries whose metadata does not validate and sorts
  each chart's versions newest first; the artifact is the loaded index as indented JSON;
* a chart version is an exact match first, else the highest version a Masterminds constraint allows (empty or `*`
  = latest stable), ties broken by the later `created`;
* a chart is downloaded from its first URL, relative URLs resolved against the repository URL.
Errors carry Go's wording (`Get "<url>": dial tcp …: connect: connection refused`, `failed to fetch <url> : 404 …`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import yaml

from engine.jsonobj import Obj
from engine.masterminds import ConstraintError, Constraints, Version, new_version, parse_tag

MAX_INDEX_SIZE = 50 * 1024 * 1024  # helm.MaxIndexSize
MAX_CHART_SIZE = 10 * 1024 * 1024  # helm.MaxChartSize
_CHART_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
# Go's json field order of repo.ChartVersion (embedded chart.Metadata first) and of repo.IndexFile.
_METADATA_KEYS = ("name", "home", "sources", "version", "description", "keywords", "maintainers", "icon",
                  "apiVersion", "condition", "tags", "appVersion", "deprecated", "annotations", "kubeVersion",
                  "dependencies", "type")
_ENTRY_KEYS = (*_METADATA_KEYS, "urls", "created", "removed", "digest")
_INDEX_KEYS = ("serverInfo", "apiVersion", "generated", "entries", "publicKeys", "annotations")
_ZERO_TIME = "0001-01-01T00:00:00Z"


class HelmRepositoryError(Exception):
    """Fetching, loading or reading a chart repository failed; the message is the Go error text."""


class IndexLoadError(HelmRepositoryError):
    """The index does not load (empty, not YAML/JSON, no apiVersion)."""


class ChartReferenceError(HelmRepositoryError):
    """The chart or a version matching the request is not in the index (a persistent error)."""


class GetterError(HelmRepositoryError):
    """An HTTP request of the getter failed (unreachable, HTTP status, too large)."""


@dataclass(frozen=True)
class BasicAuth:
    username: str
    password: str


def secret_basic_auth(secret: Obj) -> BasicAuth | None:
    """`username`/`password` of a Secret (data base64 or stringData); None when it holds neither.

    Raises HelmRepositoryError when only one of them is present, as fluxcd/pkg's AuthMethodsFromSecret does."""
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    user, password = data.get("username"), data.get("password")
    if user is None and password is None:
        return None
    meta = secret.get("metadata") or {}
    ref = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
    if user is None or password is None:
        has, missing = ("username", "password") if password is None else ("password", "username")
        raise HelmRepositoryError(f"failed to detect authentication methods: secret '{ref}': malformed basic auth "
                                  f"- has '{has}' but missing '{missing}'")
    return BasicAuth(user, password)


# -- URLs -------------------------------------------------------------------------------------------------------
def normalize_url(url: str) -> str:
    """repository.NormalizeURL: http(s) URLs end with exactly one `/`; oci URLs with none."""
    parts = urlsplit(url)
    if parts.scheme == "oci":
        return urlunsplit(parts._replace(path=parts.path.rstrip("/")))
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/"))


def index_url(url: str) -> str:
    """`<url>/index.yaml`, path-joined (Go's path.Join: a trailing slash in the URL is harmless)."""
    parts = urlsplit(url)
    path = re.sub(r"/+", "/", (parts.path.rstrip("/") + "/index.yaml"))
    return urlunsplit(parts._replace(path=path if path.startswith("/") else "/" + path))


def resolve_reference_url(repo_url: str, ref: str) -> str:
    """helm's repo.ResolveReferenceURL: absolute chart URLs as they are, relative ones against `<repo url>/`,
    keeping the repository URL's query."""
    ref_parts = urlsplit(ref)
    if ref_parts.scheme:
        return ref
    base = urlsplit(repo_url)
    base_path = base.path.rstrip("/") + "/"
    joined = urlsplit(urljoin(urlunsplit(base._replace(path=base_path, query="")), ref))
    return urlunsplit(joined._replace(query=base.query or joined.query))


# -- HTTP getter ------------------------------------------------------------------------------------------------
def _go_dial_error(url: str, err: requests.RequestException) -> str:
    """A requests failure in Go's `*url.Error` words."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    text = str(err)
    if isinstance(err, requests.Timeout):
        return f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    if "Connection refused" in text or "[Errno 111]" in text:
        return f'Get "{url}": dial tcp {host}:{port}: connect: connection refused'
    if "Name or service not known" in text or "Failed to resolve" in text or "nodename nor servname" in text:
        return f'Get "{url}": dial tcp: lookup {host}: no such host'
    if isinstance(err, requests.exceptions.SSLError):
        return f'Get "{url}": tls: {text}'
    return f'Get "{url}": {text}'


def http_get(url: str, *, auth: BasicAuth | None = None, timeout: float = 60.0,
             max_size: int = MAX_CHART_SIZE) -> bytes:
    """helm's HTTPGetter.Get: the body of a 200 answer, else GetterError with helm's text."""
    try:
        response = requests.get(url, auth=(auth.username, auth.password) if auth else None, timeout=timeout,
                                headers={"User-Agent": "Helm/4.2.1"})
    except requests.RequestException as err:
        raise GetterError(_go_dial_error(url, err)) from err
    if response.status_code != 200:
        raise GetterError(f"failed to fetch {url} : {response.status_code} {response.reason}")
    if len(response.content) > max_size:
        raise GetterError(f"index exceeds the maximum index file size of {max_size} bytes")
    return response.content


def fetch_index(url: str, *, auth: BasicAuth | None = None, timeout: float = 60.0) -> bytes:
    """Download `<url>/index.yaml` (what ChartRepository.CacheIndex does), raising GetterError with Flux's
    `failed to cache index to temporary file: …` wording."""
    try:
        return http_get(index_url(url), auth=auth, timeout=timeout, max_size=MAX_INDEX_SIZE)
    except GetterError as err:
        raise GetterError(f"failed to cache index to temporary file: {err}") from err


def index_revision(data: bytes) -> str:
    """The HelmRepository revision: `sha256:<hex>` of the downloaded index bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- loading ----------------------------------------------------------------------------------------------------
class _StrictLoader(yaml.SafeLoader):
    """Safe YAML with timestamps kept as strings (Go round-trips the text) and duplicate keys refused."""


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Obj:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f'key "{key}" already set in map', key_node.start_mark)
        seen.add(key)
    return {str(k) if not isinstance(k, str) else k: v for k, v in loader.construct_mapping(node, deep=deep).items()}


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _yaml_error(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    line = f"line {mark.line + 1}: " if mark is not None else ""
    return f"error converting YAML to JSON: yaml: {line}{problem}"


def _validate_metadata(entry: Obj) -> str | None:
    """helm chart.Metadata.Validate: the validation error text, or None."""
    if not entry.get("apiVersion"):
        return "validation: chart.metadata.apiVersion is required"
    name = entry.get("name")
    if not name:
        return "validation: chart.metadata.name is required"
    if not isinstance(name, str) or not _CHART_NAME.match(name) or name in (".", ".."):
        return f'validation: chart.metadata.name "{name}" is invalid'
    version = entry.get("version")
    if not version:
        return "validation: chart.metadata.version is required"
    if not isinstance(version, str) or new_version(version) is None:
        return f'validation: chart.metadata.version "{version}" is invalid'
    if entry.get("type") not in (None, "", "application", "library"):
        return "validation: chart.metadata.type must be application or library"
    return None


@dataclass
class ChartIndex:
    """A loaded repository index: `entries` maps chart names to versions, newest first."""

    api_version: str
    generated: str
    entries: dict[str, list[Obj]]
    extra: Obj

    def to_json(self) -> bytes:
        """The artifact source-controller stores: the loaded index as `json.MarshalIndent(index, "", "  ")`."""
        doc: Obj = {}
        for key in _INDEX_KEYS:
            if key == "apiVersion":
                doc[key] = self.api_version
            elif key == "generated":
                doc[key] = self.generated or _ZERO_TIME
            elif key == "entries":
                doc[key] = {name: [_ordered(v) for v in versions] for name, versions in sorted(self.entries.items())}
            elif self.extra.get(key):
                doc[key] = self.extra[key]
        return json.dumps(doc, indent=2, ensure_ascii=False).encode()


def _ordered(entry: Obj) -> Obj:
    out: Obj = {k: entry[k] for k in _ENTRY_KEYS if entry.get(k) not in (None, "", [], {})}
    out.setdefault("created", _ZERO_TIME)
    return out


def load_index(data: bytes) -> ChartIndex:
    """IndexFromBytes: JSON or strict YAML; IndexLoadError with helm's words when it does not load."""
    if not data:
        raise IndexLoadError("empty index.yaml file")
    text = data.decode("utf-8", errors="replace")
    try:
        doc = json.loads(text)
    except ValueError:
        try:
            doc = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as err:
            raise IndexLoadError(_yaml_error(err)) from err
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise IndexLoadError("error unmarshaling JSON: json: cannot unmarshal "
                          f"{'array' if isinstance(doc, list) else 'string'} into Go value of type repo.IndexFile")
    if not doc.get("apiVersion"):
        raise IndexLoadError("no API version specified")
    raw_entries = doc.get("entries") or {}
    if not isinstance(raw_entries, dict):
        raise IndexLoadError("error unmarshaling JSON: json: cannot unmarshal entries into Go struct field "
                          "IndexFile.entries of type map[string]repo.ChartVersions")
    entries: dict[str, list[Obj]] = {}
    for name, versions in raw_entries.items():
        kept = []
        for entry in versions or []:
            if not isinstance(entry, dict):
                continue
            entry = dict(entry)
            entry.setdefault("apiVersion", "v1")
            if entry.get("version") is not None and not isinstance(entry["version"], str):
                entry["version"] = str(entry["version"])
            if _validate_metadata(entry) is None:
                kept.append(entry)
        kept.sort(key=_sort_key, reverse=True)
        entries[str(name)] = kept
    extra = {k: v for k, v in doc.items() if k not in ("apiVersion", "generated", "entries")}
    return ChartIndex(str(doc["apiVersion"]), str(doc.get("generated") or ""), entries, extra)


class _Desc:
    """Sort key: semver order (Masterminds), unparseable versions last."""

    def __init__(self, version: Version | None) -> None:
        self.version = version

    def __lt__(self, other: _Desc) -> bool:
        if self.version is None or other.version is None:
            return self.version is None and other.version is not None
        return self.version.compare(other.version) < 0


def _sort_key(entry: Obj) -> _Desc:
    return _Desc(new_version(str(entry.get("version", ""))))


# -- version selection -----------------------------------------------------------------------------------------
def _created(entry: Obj) -> dt.datetime:
    text = str(entry.get("created") or "")
    try:
        value = dt.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00")))
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def select_version(index: ChartIndex, name: str, version: str) -> Obj:
    """ChartRepository.getChartVersion: the index entry for `name` at `version` (exact, range, `*`/empty)."""
    if name not in index.entries:
        raise ChartReferenceError("no chart name found")
    candidates = index.entries[name]
    if not candidates:
        raise ChartReferenceError("no chart version found")
    if version:
        for entry in candidates:
            if entry.get("version") == version:
                return entry
    latest_stable = version in ("", "*")
    try:
        constraint = Constraints("*" if latest_stable else version)
    except ConstraintError as err:
        raise ChartReferenceError(str(err)) from err
    matched: list[tuple[Version, Obj]] = []
    for entry in candidates:
        parsed = parse_tag(str(entry.get("version", "")))
        if parsed is not None and constraint.check(parsed):
            matched.append((parsed, entry))
    if not matched:
        raise ChartReferenceError(f"no '{name}' chart with version matching '{version}' found")
    best = matched[0]
    for candidate in matched[1:]:
        order = candidate[0].compare(best[0])
        if order > 0 or (order == 0 and _created(candidate[1]) > _created(best[1])):
            best = candidate
    return best[1]


def chart_url(repo_url: str, entry: Obj) -> str:
    """The URL to download an index entry from (its first URL, resolved against the repository URL)."""
    urls = entry.get("urls") or []
    if not urls:
        raise GetterError(f"chart '{entry.get('name', '')}' has no downloadable URLs")
    return resolve_reference_url(normalize_url(repo_url), str(urls[0]))


def credentials_for(chart: str, repo_url: str, auth: BasicAuth | None, pass_credentials: bool) -> BasicAuth | None:
    """helm passes repository credentials to a chart URL only on the repository's host, unless passCredentials."""
    if auth is None or pass_credentials:
        return auth
    return auth if urlsplit(chart).netloc == urlsplit(repo_url).netloc else None


def download_chart(repo_url: str, entry: Obj, *, auth: BasicAuth | None = None, timeout: float = 60.0,
                   pass_credentials: bool = False) -> bytes:
    """ChartRepository.DownloadChart: the chart archive bytes of an index entry."""
    url = chart_url(repo_url, entry)
    return http_get(url, auth=credentials_for(url, repo_url, auth, pass_credentials), timeout=timeout)
