"""A thin dynamic client over the official `kubernetes` ApiClient: any apiVersion/kind, JSON dicts in and out.

Discovery is cached per client and refreshed once on a miss (so CRDs installed later are found).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import kubernetes
import yaml
from kubernetes.client import ApiClient

from engine.jsonobj import Obj
from engine.migrate import outdated_hint

APPLY_PATCH = "application/apply-patch+yaml"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def load_api_client(kubeconfig: str | None = None, context: str | None = None) -> ApiClient:
    """An ApiClient for a kubeconfig file (default: $KUBECONFIG as it is now, or ~/.kube/config) and context."""
    config = kubernetes.client.Configuration()
    # The client reads $KUBECONFIG once, at import: a lab that set it later must still be found.
    config_file = kubeconfig or os.environ.get("KUBECONFIG") or None
    kubernetes.config.load_kube_config(config_file=config_file, context=context, client_configuration=config)
    return ApiClient(configuration=config)


class ApiError(Exception):
    """A Kubernetes API error: HTTP `status`, `reason` (NotFound, Conflict, Invalid, ...) and the server's message."""

    def __init__(self, status: int, reason: str, message: str, details: Obj | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return self.message

    @property
    def not_found(self) -> bool:
        return self.status == 404


class NoMatchError(ApiError):
    """The cluster serves no resource for an apiVersion/kind (e.g. its CRD is not installed)."""

    def __init__(self, api_version: str, kind: str) -> None:
        super().__init__(404, "NoMatch", f'no matches for kind "{kind}" in version "{api_version}"'
                         + outdated_hint(api_version, kind))
        self.api_version = api_version
        self.kind = kind


@dataclass(frozen=True)
class Resource:
    """Where a kind is served."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        base = "/api/v1" if not self.group else f"/apis/{self.group}/{self.version}"
        parts = [base]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{quote(namespace, safe='')}")
        parts.append(self.plural)
        if name:
            parts.append(quote(name, safe=""))
        if subresource:
            parts.append(subresource)
        return "/".join(parts)


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def service_account_user(namespace: str, name: str) -> str:
    """The user name Kubernetes gives a ServiceAccount: `system:serviceaccount:<ns>:<name>`."""
    return f"system:serviceaccount:{namespace}:{name}"


def client_from_kubeconfig(kubeconfig: str | bytes, *, request_timeout: float = 30.0) -> Client:
    """A Client for the current context of a kubeconfig document (client-go's RESTConfigFromKubeConfig);
    ValueError with the reason when the document is not a usable kubeconfig."""
    try:
        doc = yaml.safe_load(kubeconfig)
    except yaml.YAMLError as err:
        raise ValueError(f"invalid kubeconfig: {err}") from None
    if not isinstance(doc, dict) or not doc.get("clusters"):
        raise ValueError("invalid configuration: no configuration has been provided")
    config = kubernetes.client.Configuration()
    try:
        kubernetes.config.load_kube_config_from_dict(doc, client_configuration=config, persist_config=False)
    except Exception as err:  # the kubernetes loader raises ConfigException, KeyError, TypeError …
        raise ValueError(f"invalid kubeconfig: {err}") from None
    return Client(ApiClient(configuration=config), request_timeout=request_timeout)


class Client:
    """Dynamic CRUD + server-side apply for any kind, over one official `ApiClient`."""

    def __init__(self, api_client: ApiClient, *, request_timeout: float = 30.0) -> None:
        self.api_client = api_client
        self.request_timeout = request_timeout
        self.impersonate_user: str | None = None
        self._resources: dict[str, dict[str, Resource]] = {}
        self._lock = threading.Lock()

    def impersonating(self, user: str) -> Client:
        """The same cluster, every request made as `user` (the `Impersonate-User` header, as client-go's
        rest.ImpersonationConfig{UserName}); the API server decides what that user may do."""
        other = Client(self.api_client, request_timeout=self.request_timeout)
        other.impersonate_user = user
        other._resources, other._lock = self._resources, self._lock  # same cluster: share discovery
        return other

    # --- discovery -------------------------------------------------------------------------------
    def invalidate_discovery(self) -> None:
        with self._lock:
            self._resources.clear()

    def _discover(self, api_version: str) -> dict[str, Resource]:
        group, version = split_api_version(api_version)
        path = "/api/v1" if not group else f"/apis/{group}/{version}"
        try:
            doc = self.request("GET", path)
        except ApiError as err:
            if err.not_found:
                return {}
            raise
        found = {}
        for res in doc.get("resources", []):
            if "/" in res.get("name", ""):
                continue
            found[res["kind"]] = Resource(group, version, res["kind"], res["name"], bool(res.get("namespaced")))
        return found

    def resource(self, api_version: str, kind: str) -> Resource:
        """The served resource for apiVersion/kind; NoMatchError if the cluster does not serve it."""
        with self._lock:
            cached = self._resources.get(api_version)
        if cached is None or kind not in cached:
            cached = self._discover(api_version)
            with self._lock:
                self._resources[api_version] = cached
        if kind not in cached:
            raise NoMatchError(api_version, kind)
        return cached[kind]

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        return self.resource(api_version, kind).namespaced

    # --- raw requests ----------------------------------------------------------------------------
    def request(self, method: str, path: str, *, query: list[tuple[str, Any]] | None = None,
                body: Any = None, content_type: str = "application/json", timeout: float | None = None) -> Any:
        """One HTTP call; JSON in, JSON out; ApiError for a non-2xx answer."""
        headers = {"Accept": "application/json"}
        if self.impersonate_user:
            headers["Impersonate-User"] = self.impersonate_user
        payload = None
        if body is not None:
            headers["Content-Type"] = content_type
            payload = body
        method_, url, headers, _, _ = self.api_client.param_serialize(
            method=method, resource_path=path, query_params=query or [], header_params=headers,
            auth_settings=["BearerToken"],
        )
        try:
            resp = self.api_client.call_api(method_, url, header_params=headers, body=payload,
                                            _request_timeout=timeout or self.request_timeout)
            data = resp.read()
        except kubernetes.client.ApiException as exc:
            raise _error_from(exc.status or 0, exc.reason or "", exc.body) from None
        except Exception as exc:  # urllib3 connection errors: the server is down or restarting
            raise ApiError(503, "ServiceUnavailable", f"the API server is unreachable: {exc}") from None
        if not 200 <= resp.status < 300:
            raise _error_from(resp.status, resp.reason or "", data)
        return json.loads(data) if data else {}

    # --- typed helpers ---------------------------------------------------------------------------
    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """The live object, or None when it does not exist."""
        res = self.resource(api_version, kind)
        try:
            return self.request("GET", res.path(namespace, name))
        except ApiError as err:
            if err.not_found:
                return None
            raise

    def list(self, api_version: str, kind: str, namespace: str | None = None, *,
             label_selector: str | None = None) -> list[Obj]:
        res = self.resource(api_version, kind)
        base = [("labelSelector", label_selector)] if label_selector else []
        items: list[Obj] = []
        token = None
        while True:
            query = base + ([("continue", token)] if token else [])
            doc = self.request("GET", res.path(namespace), query=query)
            items.extend(doc.get("items") or [])
            token = (doc.get("metadata") or {}).get("continue")
            if not token:
                break
        for item in items:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return items

    def create(self, obj: Obj) -> Obj:
        res = self.resource(obj["apiVersion"], obj["kind"])
        return self.request("POST", res.path(obj["metadata"].get("namespace")), body=obj)

    def replace(self, obj: Obj, *, subresource: str | None = None) -> Obj:
        meta = obj["metadata"]
        res = self.resource(obj["apiVersion"], obj["kind"])
        return self.request("PUT", res.path(meta.get("namespace"), meta["name"], subresource), body=obj)

    def apply(self, obj: Obj, *, field_manager: str, force: bool = True, dry_run: bool = False) -> Obj:
        """Server-side apply (`application/apply-patch+yaml`); returns the object as the server stored it."""
        meta = obj["metadata"]
        res = self.resource(obj["apiVersion"], obj["kind"])
        query: list[tuple[str, Any]] = [("fieldManager", field_manager), ("force", "true" if force else "false")]
        if dry_run:
            query.append(("dryRun", "All"))
        try:
            return self.request("PATCH", res.path(meta.get("namespace"), meta["name"]), query=query,
                                body=obj, content_type=APPLY_PATCH)
        except ApiError as err:
            if err.status != 415:
                raise
        return self._apply_without_ssa(res, obj, field_manager, dry_run)

    def _apply_without_ssa(self, res: Resource, obj: Obj, field_manager: str, dry_run: bool) -> Obj:
        """For servers that do not speak server-side apply: create, else merge-patch (keeps others' fields)."""
        meta = obj["metadata"]
        query: list[tuple[str, Any]] = [("fieldManager", field_manager)]
        if dry_run:
            query.append(("dryRun", "All"))
        try:
            return self.request("PATCH", res.path(meta.get("namespace"), meta["name"]), query=query,
                                body=obj, content_type=MERGE_PATCH)
        except ApiError as err:
            if not err.not_found:
                raise
        return self.request("POST", res.path(meta.get("namespace")), query=query, body=obj)

    def merge_patch(self, api_version: str, kind: str, name: str, namespace: str | None, patch: Obj, *,
                    subresource: str | None = None, field_manager: str | None = None) -> Obj:
        res = self.resource(api_version, kind)
        query = [("fieldManager", field_manager)] if field_manager else []
        return self.request("PATCH", res.path(namespace, name, subresource), query=query,
                            body=patch, content_type=MERGE_PATCH)

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None, *,
               propagation: str = "Background") -> bool:
        """Delete; False when it was already gone."""
        res = self.resource(api_version, kind)
        try:
            self.request("DELETE", res.path(namespace, name),
                         body={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation})
        except ApiError as err:
            if err.not_found:
                return False
            raise
        return True


def _error_from(status: int, reason: str, body: Any) -> ApiError:
    doc: Obj = {}
    if body:
        try:
            doc = json.loads(body)
        except (ValueError, TypeError):
            doc = {}
    if isinstance(doc, dict) and doc.get("kind") == "Status":
        return ApiError(status, doc.get("reason") or reason, doc.get("message") or reason, doc.get("details"))
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body or reason)
    return ApiError(status, reason or "Unknown", text.strip() or f"HTTP {status}")
