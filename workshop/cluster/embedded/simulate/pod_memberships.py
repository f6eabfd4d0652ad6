"""Which Services a pod change concerns: the endpoints controller's memory of selectors and counted pods.

kube-controller-manager's endpoints and endpointslice controllers answer a Pod event by queueing only the
Services whose selector matches the pod's new labels or its old ones (`GetPodServiceMemberships` on both
pods, `GetServicesToUpdate`), and none when the pod changed nothing an endpoint shows (`podEndpointsChanged`).
A store event here carries no old object, so this memory stands in for it: for each Service, its selector
and the pods its last reconcile counted with what their endpoint showed. A pod that stops matching, loses its
IP or goes away is still found through the Services that counted it.

It is read and written only from the simulation's worker thread (Service and pod-key reconciles), so a
Service's memory always describes its last completed reconcile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.labels import Selector, from_object
from workshop.cluster.embedded.api import Obj

from .common import pod_ready

PodKey = tuple[str | None, str]
ServiceKey = tuple[str | None, str]
#: what a pod contributes to an Endpoints/EndpointSlice entry; None = unknown (always differs)
Fingerprint = tuple[Any, ...] | None


def fingerprint(pod: Obj) -> tuple[Any, ...]:
    """The pod fields a Service's endpoints show: uid, IP, node, readiness, and the container ports that named
    target ports resolve to."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ports = tuple((p.get("name"), p.get("protocol", "TCP"), p.get("containerPort"))
                  for c in spec.get("containers") or [] for p in c.get("ports") or [])
    return ((pod.get("metadata") or {}).get("uid"), status.get("podIP"), spec.get("nodeName"), pod_ready(pod),
            ports)


class PodMemberships:
    """Service selectors by namespace (indexed by one label pair each) and the pods each Service counted."""

    def __init__(self) -> None:
        self._selectors: dict[str | None, dict[str, dict[str, Any]]] = {}
        self._matchers: dict[str | None, dict[str, Selector]] = {}
        self._by_pair: dict[str | None, dict[tuple[str, str], set[str]]] = {}
        self._counted: dict[ServiceKey, dict[str, Fingerprint]] = {}
        self._member_of: dict[PodKey, set[str]] = {}

    # ------------------------------------------------------------ what Service reconciles record
    def set_selector(self, namespace: str | None, service: str, selector: dict[str, Any] | None) -> None:
        """Remember a Service's selector as its reconcile saw it (None or empty: it selects no pods)."""
        old = self._selectors.get(namespace, {}).get(service)
        if old == selector or (not old and not selector):
            return
        if old:
            pairs = self._by_pair.get(namespace, {})
            members = pairs.get(_index_pair(old))
            if members is not None:
                members.discard(service)
                if not members:
                    del pairs[_index_pair(old)]
            del self._selectors[namespace][service]
            del self._matchers[namespace][service]
            if not self._selectors[namespace]:
                del self._selectors[namespace], self._matchers[namespace], self._by_pair[namespace]
        if selector:
            self._selectors.setdefault(namespace, {})[service] = dict(selector)
            self._matchers.setdefault(namespace, {})[service] = from_object({"matchLabels": selector})
            self._by_pair.setdefault(namespace, {}).setdefault(_index_pair(selector), set()).add(service)

    def set_counted(self, namespace: str | None, service: str, pods: Mapping[str, Fingerprint]) -> None:
        """Remember the pods (name → fingerprint) a Service's endpoints now list."""
        key = (namespace, service)
        old = self._counted.pop(key, {})
        for name in old.keys() - pods.keys():
            members = self._member_of.get((namespace, name))
            if members is not None:
                members.discard(service)
                if not members:
                    del self._member_of[(namespace, name)]
        for name in pods.keys() - old.keys():
            self._member_of.setdefault((namespace, name), set()).add(service)
        if pods:
            self._counted[key] = dict(pods)

    def forget(self, namespace: str | None, service: str) -> None:
        """A Service is gone or selects nothing: it no longer depends on any pod."""
        self.set_selector(namespace, service, None)
        self.set_counted(namespace, service, {})

    # ------------------------------------------------------------ what a pod change asks for
    def concerns(self, namespace: str | None) -> bool:
        """Whether any Service of the namespace selects pods or lists one (else a pod change needs no lookup)."""
        return bool(self._selectors.get(namespace))

    def counted_pods(self, namespace: str | None, service: str) -> set[str]:
        """The pods a Service's last reconcile listed."""
        return set(self._counted.get((namespace, service), ()))

    def counted_in(self, namespace: str | None, pod: str) -> set[str]:
        """The Services whose last reconcile listed this pod."""
        return set(self._member_of.get((namespace, pod), ()))

    def selecting(self, namespace: str | None, labels: dict[str, Any] | None) -> set[str]:
        """The Services whose remembered selector matches these labels."""
        pairs = self._by_pair.get(namespace)
        if not pairs or not labels:
            return set()
        matchers = self._matchers[namespace]
        found: set[str] = set()
        for pair in labels.items():
            for service in pairs.get((pair[0], str(pair[1])), ()):
                if service not in found and matchers[service].matches(labels):
                    found.add(service)
        return found

    def to_update(self, namespace: str | None, name: str, pod: Obj | None, eligible: bool) -> list[str]:
        """The Services to reconcile after this pod changed (pod None: it is gone), sorted by name.

        A Service that listed the pod is due when the pod left it (gone, no longer an endpoint, no longer
        selected) or shows something else now; a selecting Service that did not list it is due when the pod
        is an endpoint now.
        """
        due: set[str] = set()
        selecting = self.selecting(namespace, (pod.get("metadata") or {}).get("labels")) if pod else set()
        now = fingerprint(pod) if pod is not None and eligible else None
        for service in self.counted_in(namespace, name):
            seen = self._counted.get((namespace, service), {}).get(name)
            if now is None or service not in selecting or seen is None or seen != now:
                due.add(service)
        if now is not None:
            due |= {s for s in selecting if name not in self._counted.get((namespace, s), {})}
        return sorted(due)


def _index_pair(selector: dict[str, Any]) -> tuple[str, str]:
    """The selector pair a Service is indexed under (its first key in sorted order)."""
    key = min(selector)
    return key, str(selector[key])
