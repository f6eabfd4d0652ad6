"""A requests Session built from a kubeconfig the way a real client reads it (server URL, CA, client
certificate), for raw calls to a lab cluster that runs in another process."""

from __future__ import annotations

import base64
from pathlib import Path

import requests
import yaml


def kubeconfig_session(kubeconfig: Path, scratch: Path) -> tuple[requests.Session, str]:
    """(session, server URL) for the kubeconfig's current context; PEM files are written under `scratch`."""
    doc = yaml.safe_load(kubeconfig.read_text())
    context = next(c["context"] for c in doc["contexts"] if c["name"] == doc["current-context"])
    cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in doc["users"] if u["name"] == context["user"]) or {}
    session = requests.Session()
    scratch.mkdir(parents=True, exist_ok=True)

    def pem(field: str, data: str) -> str:
        path = scratch / f"{field}.pem"
        path.write_bytes(base64.b64decode(data))
        return str(path)

    if "certificate-authority-data" in cluster:
        session.trust_env = False  # else $REQUESTS_CA_BUNDLE would replace the cluster's CA
        session.verify = pem("ca", cluster["certificate-authority-data"])
    if "client-certificate-data" in user:
        session.cert = (pem("cert", user["client-certificate-data"]), pem("key", user["client-key-data"]))
    return session, str(cluster["server"])
