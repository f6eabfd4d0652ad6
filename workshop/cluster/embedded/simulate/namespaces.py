"""The ServiceAccount and root-CA publisher controllers: `default` SA and `kube-root-ca.crt` in every namespace."""

from __future__ import annotations

import base64
import hashlib
import textwrap
from collections.abc import Iterable

from workshop.cluster.embedded.api import ObjectStore, StoreError, WatchEvent

from .common import CONFIGMAPS, NAMESPACES, SERVICEACCOUNTS, deleting
from .core import Context

ROOT_CA_NAME = "kube-root-ca.crt"
ROOT_CA_DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
                       "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
                       "guaranteed across distributions of Kubernetes clusters.")
DESCRIPTION = "kubernetes.io/description"


def lab_ca_bundle() -> str:
    """A stable stand-in CA bundle as PEM text, for a lab that serves plain HTTP (no CA of its own)."""
    body = b"".join(hashlib.sha256(f"lab-ca-{i}".encode()).digest() for i in range(24))
    lines = textwrap.wrap(base64.b64encode(body).decode(), 64)
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


class NamespaceDefaults:
    """Creates (and recreates after deletion) the per-namespace objects a fresh namespace gets; keeps each
    `kube-root-ca.crt` holding the cluster's CA, as kube-controller-manager's root-ca-cert-publisher does."""

    name = "serviceaccount"

    def __init__(self, ca_bundle: str | None = None) -> None:
        #: the PEM the lab's API server certificate chains to (a stand-in when it serves plain HTTP)
        self.ca_bundle = ca_bundle or lab_ca_bundle()

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        meta = event.obj.get("metadata") or {}
        if event.gvr == NAMESPACES and event.type != "DELETED":
            yield None, meta.get("name", "")
        elif event.gvr == CONFIGMAPS and meta.get("name") == ROOT_CA_NAME:
            yield None, meta.get("namespace", "")  # deleted or edited: the publisher puts it back
        elif event.type == "DELETED" and event.gvr == SERVICEACCOUNTS and meta.get("name") == "default":
            yield None, meta.get("namespace", "")

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        for ns in store.list(NAMESPACES):
            yield None, ns["metadata"]["name"]

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        ns = ctx.store.get(NAMESPACES, None, name)
        if ns is None or deleting(ns) or (ns.get("status") or {}).get("phase") == "Terminating":
            return
        if ctx.store.get(SERVICEACCOUNTS, name, "default") is None:
            _create(ctx, SERVICEACCOUNTS, {"apiVersion": "v1", "kind": "ServiceAccount",
                                           "metadata": {"name": "default", "namespace": name}})
        root_ca = ctx.store.get(CONFIGMAPS, name, ROOT_CA_NAME)
        if root_ca is None:
            _create(ctx, CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                                      "metadata": {"name": ROOT_CA_NAME, "namespace": name,
                                                   "annotations": {"kubernetes.io/description": ROOT_CA_DESCRIPTION}},
                                      "data": {"ca.crt": self.ca_bundle}})
        elif not deleting(root_ca) and (root_ca.get("data") != {"ca.crt": self.ca_bundle}
                                        or not (root_ca["metadata"].get("annotations") or {}).get(DESCRIPTION)):
            meta = root_ca["metadata"]
            fixed = {**root_ca, "data": {"ca.crt": self.ca_bundle},
                     "metadata": {**meta, "annotations": {**(meta.get("annotations") or {}),
                                                          DESCRIPTION: ROOT_CA_DESCRIPTION}}}
            try:
                ctx.store.update(CONFIGMAPS, fixed)
            except StoreError as err:
                if err.code not in (404, 409):
                    raise


def _create(ctx: Context, gvr, obj) -> None:  # type: ignore[no-untyped-def]
    try:
        ctx.store.create(gvr, obj)
    except StoreError as err:
        if err.code not in (403, 404, 409):
            raise
