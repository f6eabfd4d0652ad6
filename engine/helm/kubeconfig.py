"""A kubeconfig text for the cluster an `ApiClient` talks to, so Helm's client-go reaches the same API server."""

from __future__ import annotations

from typing import Any

import yaml
from kubernetes.client import ApiClient


def kubeconfig_for(api_client: ApiClient) -> str:
    """Server, CA, client certificate/key and bearer token of the client's configuration as kubeconfig YAML."""
    conf = api_client.configuration
    cluster: dict[str, Any] = {"server": conf.host}
    if conf.ssl_ca_cert:
        cluster["certificate-authority"] = conf.ssl_ca_cert
    if not conf.verify_ssl:
        cluster["insecure-skip-tls-verify"] = True
    if getattr(conf, "tls_server_name", None):
        cluster["tls-server-name"] = conf.tls_server_name
    user: dict[str, Any] = {}
    if conf.cert_file:
        user["client-certificate"] = conf.cert_file
    if conf.key_file:
        user["client-key"] = conf.key_file
    token = (conf.api_key or {}).get("authorization") or (conf.api_key or {}).get("BearerToken")
    if token:
        user["token"] = token.removeprefix("Bearer ").strip()
    if conf.username and conf.password:
        user.update(username=conf.username, password=conf.password)
    doc = {
        "apiVersion": "v1", "kind": "Config", "current-context": "engine",
        "clusters": [{"name": "engine", "cluster": cluster}],
        "users": [{"name": "engine", "user": user}],
        "contexts": [{"name": "engine", "context": {"cluster": "engine", "user": "engine"}}],
    }
    return yaml.safe_dump(doc, sort_keys=False)
