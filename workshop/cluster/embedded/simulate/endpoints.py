"""The endpoints and endpointslice controllers: a Service's selected pods as addresses and ports.

A Service's own events queue the Service; a Pod event queues a pod key, whose reconcile queues only the
Services the change concerns (see pod_memberships), as kube-controller-manager's controllers do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.labels import Selector, from_object
from workshop.cluster.embedded.api import GVR, Obj, ObjectStore, StoreError, WatchEvent

from .common import (
    ENDPOINTS,
    PODS,
    SERVICES,
    deep,
    deleting,
    owned,
    owner_reference,
    pod_ready,
    stable_name_suffix,
)
from .pod_memberships import PodMemberships, fingerprint

ENDPOINTSLICES = GVR("discovery.k8s.io", "v1", "endpointslices")
#: the queue-key prefix of a pod change (a Service name, a DNS-1035 label, cannot contain "/")
POD_KEY_PREFIX = "pod/"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
SLICE_CONTROLLER = "endpointslice-controller.k8s.io"


def _target_port(port: dict[str, Any], pod: Obj) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for cport in container.get("ports") or []:
            if cport.get("name") == target and cport.get("protocol", "TCP") == port.get("protocol", "TCP"):
                return cport.get("containerPort")
    return None


def _serves(pod: Obj) -> bool:
    """Whether a pod can be an endpoint: it has an IP and is neither terminating nor finished."""
    status = pod.get("status") or {}
    return bool(status.get("podIP")) and not deleting(pod) and status.get("phase") not in ("Succeeded", "Failed")


def _endpoint_of(selector: Selector, pod: Obj) -> bool:
    """Whether a Service with this (parsed) selector lists the pod: selected and serving."""
    return selector.matches(pod["metadata"].get("labels")) and _serves(pod)


def _address(pod: Obj) -> dict[str, Any]:
    meta = pod["metadata"]
    address: dict[str, Any] = {"ip": pod["status"]["podIP"]}
    if (pod.get("spec") or {}).get("nodeName"):
        address["nodeName"] = pod["spec"]["nodeName"]
    address["targetRef"] = {"kind": "Pod", "name": meta["name"], "namespace": meta["namespace"],
                            "uid": meta.get("uid")}
    return address


def subsets(service: Obj, pods: list[Obj]) -> list[dict[str, Any]]:
    """Endpoints subsets: pods grouped by their resolved port set, ready and not-ready addresses apart."""
    groups: dict[str, dict[str, Any]] = {}
    for pod in sorted(pods, key=lambda p: (p["status"]["podIP"], p["metadata"]["name"])):
        ports = []
        for port in (service.get("spec") or {}).get("ports") or []:
            number = _target_port(port, pod)
            if number is None:
                continue
            entry = {"port": number, "protocol": port.get("protocol", "TCP")}
            if port.get("name"):
                entry = {"name": port["name"], **entry}
            if port.get("appProtocol"):
                entry["appProtocol"] = port["appProtocol"]
            ports.append(entry)
        key = repr(sorted((p.get("name", ""), p["port"]) for p in ports))
        group = groups.setdefault(key, {"ports": ports})
        group.setdefault("addresses" if pod_ready(pod) else "notReadyAddresses", []).append(_address(pod))
    result: list[dict[str, Any]] = []
    for group in groups.values():
        ordered: dict[str, Any] = {k: group[k] for k in ("addresses", "notReadyAddresses", "ports") if k in group}
        result.append(ordered)
    return result


class EndpointsController:
    """Keeps Endpoints (and EndpointSlices when served) in line with each selector Service's pods."""

    name = "endpoints"

    def __init__(self) -> None:
        self._slices_served: bool | None = None
        self._members = PodMemberships()

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        meta = event.obj.get("metadata") or {}
        if event.gvr == SERVICES:
            yield meta.get("namespace"), meta.get("name", "")
        elif event.gvr == PODS:
            yield meta.get("namespace"), POD_KEY_PREFIX + meta.get("name", "")

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        for svc in store.list(SERVICES):
            yield svc["metadata"]["namespace"], svc["metadata"]["name"]

    def reconcile(self, ctx: Any, namespace: str | None, name: str) -> None:
        if name.startswith(POD_KEY_PREFIX):
            self._pod_changed(ctx, namespace, name[len(POD_KEY_PREFIX):])
            return
        svc = ctx.store.get(SERVICES, namespace, name)
        if svc is None or deleting(svc):
            self._members.forget(namespace, name)
            self._drop(ctx, namespace, name)
            return
        selector = (svc.get("spec") or {}).get("selector")
        if not selector or not isinstance(selector, dict):  # no selector: the Endpoints are the user's
            self._members.forget(namespace, name)
            return
        self._members.set_selector(namespace, name, selector)
        selects = from_object({"matchLabels": selector})
        pods = ctx.store.list(PODS, namespace, where=lambda p: _endpoint_of(selects, p))
        counted = {p["metadata"]["name"]: fingerprint(p) for p in pods}
        # until both writes land, every pod listed before or now counts as changed for this Service
        self._members.set_counted(namespace, name,
                                  dict.fromkeys(self._members.counted_pods(namespace, name) | counted.keys()))
        self._endpoints(ctx, svc, pods)
        self._slice(ctx, svc, pods)
        self._members.set_counted(namespace, name, counted)

    def _pod_changed(self, ctx: Any, namespace: str | None, pod_name: str) -> None:
        """Queue the Services a pod's change concerns: those that listed it and those that select it now."""
        if not self._members.concerns(namespace):
            return
        pod = ctx.store.get(PODS, namespace, pod_name)
        for service in self._members.to_update(namespace, pod_name, pod, pod is not None and _serves(pod)):
            ctx.enqueue((self.name, namespace, service))

    def _endpoints(self, ctx: Any, svc: Obj, pods: list[Obj]) -> None:
        meta = svc["metadata"]
        labels = dict(meta.get("labels") or {})
        if (svc.get("spec") or {}).get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        desired: dict[str, Any] = {"apiVersion": "v1", "kind": "Endpoints",
                                   "metadata": {"name": meta["name"], "namespace": meta["namespace"]}}
        if labels:
            desired["metadata"]["labels"] = labels
        found = subsets(svc, pods)
        if found:
            desired["subsets"] = found
        current = ctx.store.get(ENDPOINTS, meta["namespace"], meta["name"])
        if current is None:
            ctx.store.create(ENDPOINTS, desired)
            return
        if current.get("subsets") == desired.get("subsets") and (current["metadata"].get("labels") or {}) == labels:
            return
        updated = deep(current)
        updated["metadata"]["labels"] = labels
        updated.pop("subsets", None)
        if found:
            updated["subsets"] = found
        ctx.store.update(ENDPOINTS, updated)

    def _slice(self, ctx: Any, svc: Obj, pods: list[Obj]) -> None:
        if self._slices_served is False:
            return
        meta = svc["metadata"]
        ports = []
        for port in (svc.get("spec") or {}).get("ports") or []:
            number = _target_port(port, pods[0]) if pods else None
            entry: dict[str, Any] = {"name": port.get("name", ""), "port": number, "protocol": port.get("protocol",
                                                                                                      "TCP")}
            if port.get("appProtocol"):
                entry["appProtocol"] = port["appProtocol"]
            ports.append(entry)
        endpoints = []
        for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
            ready = pod_ready(pod)
            endpoints.append({"addresses": [pod["status"]["podIP"]],
                              "conditions": {"ready": ready, "serving": ready, "terminating": False},
                              "nodeName": pod["spec"].get("nodeName"),
                              "targetRef": {"kind": "Pod", "name": pod["metadata"]["name"],
                                            "namespace": meta["namespace"], "uid": pod["metadata"].get("uid")}})
        labels = dict(meta.get("labels") or {})
        labels.update({SERVICE_NAME_LABEL: meta["name"], MANAGED_BY: SLICE_CONTROLLER})
        existing = self._list_slices(ctx, svc)
        if self._slices_served is False:
            return
        if not existing:
            name = f"{meta['name']}-{stable_name_suffix(meta['namespace'], meta['name'], 'slice')}"
            body = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                    "metadata": {"name": name, "generateName": f"{meta['name']}-", "namespace": meta["namespace"],
                                 "labels": labels, "ownerReferences": [owner_reference(svc)]},
                    "endpoints": endpoints or None, "ports": ports if pods else None}
            try:
                ctx.store.create(ENDPOINTSLICES, body)
                self._slices_served = True
            except StoreError as err:
                if err.code == 404 and ctx.store.get(SERVICES, meta["namespace"], meta["name"]) is not None:
                    self._slices_served = False
                elif err.code != 409:
                    raise
            return
        current = existing[0]
        want_ports = ports if pods else None
        if current.get("endpoints") == (endpoints or None) and current.get("ports") == want_ports and \
                (current["metadata"].get("labels") or {}) == labels:
            return
        updated = deep(current)
        updated["endpoints"] = endpoints or None
        updated["ports"] = want_ports
        updated["metadata"]["labels"] = labels
        ctx.store.update(ENDPOINTSLICES, updated)

    def _list_slices(self, ctx: Any, svc: Obj) -> list[Obj]:
        try:
            return owned(ctx.store, ENDPOINTSLICES, svc)
        except StoreError as err:
            if err.code == 404:
                self._slices_served = False
                return []
            raise

    def _drop(self, ctx: Any, namespace: str | None, name: str) -> None:
        try:
            current = ctx.store.get(ENDPOINTS, namespace, name)
            if current is not None and name != "kubernetes":
                ctx.store.delete(ENDPOINTS, namespace, name)
        except StoreError as err:
            if err.code != 404:
                raise
