"""The endpoints controller: a pod change reconciles only the Services it concerns, and Endpoints and
EndpointSlices stay what a from-scratch computation over the current pods gives."""

from __future__ import annotations

from typing import Any

import pytest

from workshop.cluster.embedded.simulate import Simulation
from workshop.cluster.embedded.simulate.common import ENDPOINTS, PODS, SERVICES
from workshop.cluster.embedded.simulate.controllers import default_controllers
from workshop.cluster.embedded.simulate.endpoints import ENDPOINTSLICES, POD_KEY_PREFIX, subsets
from workshop.cluster.embedded.simulate.pod_memberships import PodMemberships, fingerprint

from .fakestore import FakeStore


def _pod(name: str, labels: dict[str, str], namespace: str = "default") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25",
                                     "ports": [{"containerPort": 8080, "name": "http"}]}]}}


def _service(name: str, selector: dict[str, str] | None, namespace: str = "default") -> dict[str, Any]:
    spec: dict[str, Any] = {"ports": [{"port": 80, "targetPort": "http"}]}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


class Recorder:
    """Wraps the endpoints controller's reconcile and records the Service keys it reconciles."""

    def __init__(self, sim_controllers: list[Any]) -> None:
        self.controller = next(c for c in sim_controllers if c.name == "endpoints")
        self.services: list[tuple[str | None, str]] = []
        inner = self.controller.reconcile

        def reconcile(ctx: Any, namespace: str | None, name: str) -> None:
            if not name.startswith(POD_KEY_PREFIX):
                self.services.append((namespace, name))
            inner(ctx, namespace, name)

        self.controller.reconcile = reconcile


@pytest.fixture
def recorded(store: FakeStore) -> tuple[Simulation, Recorder]:
    controllers = default_controllers()
    recorder = Recorder(controllers)
    simulation = Simulation(store, controllers=controllers)
    simulation.resync()
    simulation.run_until_idle()
    return simulation, recorder


def _relabel(store: FakeStore, name: str, labels: dict[str, str], namespace: str = "default") -> None:
    pod = store.get(PODS, namespace, name)
    pod["metadata"]["labels"] = labels
    store.update(PODS, pod)


def _listed(store: FakeStore, service: str, namespace: str = "default") -> tuple[list[str], list[str]]:
    """The pod names in a Service's Endpoints and in its EndpointSlice."""
    endpoints = store.get(ENDPOINTS, namespace, service)
    in_endpoints = sorted(a["targetRef"]["name"] for s in endpoints.get("subsets") or []
                          for a in s.get("addresses", []) + s.get("notReadyAddresses", []))
    slices = store.list(ENDPOINTSLICES, namespace, f"kubernetes.io/service-name={service}")
    in_slices = sorted(e["targetRef"]["name"] for s in slices for e in s.get("endpoints") or [])
    return in_endpoints, in_slices


def _assert_from_scratch(store: FakeStore, namespace: str = "default") -> None:
    """Every selector Service's Endpoints equal subsets() over the pods it selects now."""
    for svc in store.list(SERVICES, namespace):
        selector = svc["spec"].get("selector")
        if not selector:
            continue
        pods = [p for p in store.list(PODS, namespace)
                if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
                and p.get("status", {}).get("podIP") and not p["metadata"].get("deletionTimestamp")
                and p["status"].get("phase") not in ("Succeeded", "Failed")]
        endpoints = store.get(ENDPOINTS, namespace, svc["metadata"]["name"])
        assert endpoints.get("subsets") == (subsets(svc, pods) or None), svc["metadata"]["name"]
        names = sorted(p["metadata"]["name"] for p in pods)
        assert _listed(store, svc["metadata"]["name"], namespace) == (names, names)


def test_pod_relabel_reconciles_only_its_old_and_new_services(store: FakeStore,
                                                            recorded: tuple[Simulation, Recorder]) -> None:
    sim, recorder = recorded
    for app in ("a", "b", "c"):
        store.create(SERVICES, _service(app, {"app": app}))
        store.create(PODS, _pod(f"pod-{app}", {"app": app}))
    sim.run_until_idle()
    assert _listed(store, "a") == (["pod-a"], ["pod-a"])
    recorder.services.clear()
    _relabel(store, "pod-a", {"app": "b"})
    sim.run_until_idle()
    assert sorted(set(recorder.services)) == [("default", "a"), ("default", "b")]
    assert _listed(store, "a") == ([], [])
    assert _listed(store, "b") == (["pod-a", "pod-b"], ["pod-a", "pod-b"])
    assert _listed(store, "c") == (["pod-c"], ["pod-c"])
    _assert_from_scratch(store)


def test_pod_change_an_endpoint_does_not_show_reconciles_no_service(
        store: FakeStore, recorded: tuple[Simulation, Recorder]) -> None:
    sim, recorder = recorded
    store.create(SERVICES, _service("a", {"app": "a"}))
    store.create(PODS, _pod("pod-a", {"app": "a"}))
    sim.run_until_idle()
    recorder.services.clear()
    pod = store.get(PODS, "default", "pod-a")
    pod["metadata"]["annotations"] = {"note": "not shown in endpoints"}
    pod["metadata"]["labels"]["extra"] = "label"  # still selected, same endpoint
    store.update(PODS, pod)
    sim.run_until_idle()
    assert recorder.services == []
    assert _listed(store, "a") == (["pod-a"], ["pod-a"])


def test_deleted_pod_leaves_the_services_that_listed_it(store: FakeStore,
                                                        recorded: tuple[Simulation, Recorder]) -> None:
    sim, recorder = recorded
    store.create(SERVICES, _service("a", {"app": "a"}))
    store.create(SERVICES, _service("other", {"app": "other"}))
    store.create(PODS, _pod("pod-1", {"app": "a"}))
    store.create(PODS, _pod("pod-2", {"app": "a"}))
    sim.run_until_idle()
    assert _listed(store, "a") == (["pod-1", "pod-2"], ["pod-1", "pod-2"])
    recorder.services.clear()
    store.delete(PODS, "default", "pod-1")
    sim.run_until_idle()
    assert _listed(store, "a") == (["pod-2"], ["pod-2"])
    assert ("default", "other") not in recorder.services
    _assert_from_scratch(store)


def test_readiness_change_moves_the_address_and_the_slice_condition(
        store: FakeStore, recorded: tuple[Simulation, Recorder]) -> None:
    sim, recorder = recorded
    store.create(SERVICES, _service("a", {"app": "a"}))
    store.create(SERVICES, _service("b", {"app": "b"}))
    store.create(PODS, _pod("pod-a", {"app": "a"}))
    sim.run_until_idle()
    recorder.services.clear()
    pod = store.get(PODS, "default", "pod-a")
    for cond in pod["status"]["conditions"]:
        if cond["type"] == "Ready":
            cond["status"] = "False"
    store.update(PODS, pod, subresource="status")
    sim.run_until_idle()
    assert recorder.services == [("default", "a")]
    subset = store.get(ENDPOINTS, "default", "a")["subsets"][0]
    assert "addresses" not in subset
    assert [a["targetRef"]["name"] for a in subset["notReadyAddresses"]] == ["pod-a"]
    endpoint = store.list(ENDPOINTSLICES, "default", "kubernetes.io/service-name=a")[0]["endpoints"][0]
    assert endpoint["conditions"] == {"ready": False, "serving": False, "terminating": False}
    _assert_from_scratch(store)


def test_selector_changes_and_new_pods_keep_endpoints_exact(store: FakeStore, sim: Simulation) -> None:
    store.create(SERVICES, _service("web", {"app": "web"}))
    store.create(SERVICES, _service("tier", {"app": "web", "tier": "front"}))
    store.create(SERVICES, _service("manual", None))
    for i, labels in enumerate([{"app": "web"}, {"app": "web", "tier": "front"}, {"app": "api"}]):
        store.create(PODS, _pod(f"pod-{i}", labels))
    sim.run_until_idle()
    _assert_from_scratch(store)
    assert _listed(store, "tier") == (["pod-1"], ["pod-1"])
    svc = store.get(SERVICES, "default", "web")
    svc["spec"]["selector"] = {"app": "api"}
    store.update(SERVICES, svc)
    sim.run_until_idle()
    assert _listed(store, "web") == (["pod-2"], ["pod-2"])
    _relabel(store, "pod-0", {"app": "api"})  # joins web through its new selector
    _relabel(store, "pod-1", {"app": "web"})  # leaves tier
    store.create(PODS, _pod("pod-3", {"app": "web", "tier": "front"}))
    sim.run_until_idle()
    assert _listed(store, "web") == (["pod-0", "pod-2"], ["pod-0", "pod-2"])
    assert _listed(store, "tier") == (["pod-3"], ["pod-3"])
    _assert_from_scratch(store)
    store.delete(SERVICES, "default", "tier")
    sim.run_until_idle()
    assert store.get(ENDPOINTS, "default", "tier") is None
    _relabel(store, "pod-3", {"app": "api"})
    sim.run_until_idle()
    _assert_from_scratch(store)


def test_restarted_controller_still_drops_a_pod_that_stops_matching(store: FakeStore, sim: Simulation) -> None:
    store.create(SERVICES, _service("a", {"app": "a"}))
    store.create(PODS, _pod("pod-a", {"app": "a"}))
    sim.run_until_idle()
    restarted = Simulation(store)  # a fresh controller memory, rebuilt by the resync of every Service
    restarted.resync()
    restarted.run_until_idle()
    _relabel(store, "pod-a", {"app": "gone"})
    restarted.run_until_idle()
    assert _listed(store, "a") == ([], [])


def test_pods_of_another_namespace_do_not_reach_a_service(store: FakeStore, sim: Simulation) -> None:
    from workshop.cluster.embedded.simulate.common import NAMESPACES

    store.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}})
    store.create(SERVICES, _service("a", {"app": "a"}))
    store.create(PODS, _pod("pod-a", {"app": "a"}, namespace="apps"))
    sim.run_until_idle()
    assert _listed(store, "a") == ([], [])


# ---------------------------------------------------------------- the membership memory on its own

def _running(name: str, labels: dict[str, str], *, ip: str = "10.244.0.5", ready: bool = True) -> dict[str, Any]:
    pod = _pod(name, labels)
    pod["metadata"]["uid"] = f"uid-{name}"
    pod["spec"]["nodeName"] = "node"
    pod["status"] = {"podIP": ip, "phase": "Running",
                     "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    return pod


def test_memberships_select_by_every_selector_pair() -> None:
    members = PodMemberships()
    members.set_selector("ns", "front", {"app": "web", "tier": "front"})
    members.set_selector("ns", "web", {"app": "web"})
    assert members.selecting("ns", {"app": "web"}) == {"web"}
    assert members.selecting("ns", {"tier": "front", "app": "web", "x": "y"}) == {"front", "web"}
    assert members.selecting("other", {"app": "web"}) == set()
    members.set_selector("ns", "web", {"app": "api"})
    assert members.selecting("ns", {"app": "web"}) == set()
    assert members.selecting("ns", {"app": "api"}) == {"web"}
    members.forget("ns", "web")
    members.forget("ns", "front")
    assert not members.concerns("ns")


def test_memberships_due_services_for_each_kind_of_pod_change() -> None:
    members = PodMemberships()
    members.set_selector("ns", "a", {"app": "a"})
    members.set_selector("ns", "b", {"app": "b"})
    pod = _running("p", {"app": "a"})
    assert members.to_update("ns", "p", pod, True) == ["a"]  # selected, not listed yet
    members.set_counted("ns", "a", {"p": fingerprint(pod)})
    assert members.to_update("ns", "p", pod, True) == []  # nothing an endpoint shows changed
    assert members.to_update("ns", "p", _running("p", {"app": "a"}, ready=False), True) == ["a"]
    assert members.to_update("ns", "p", _running("p", {"app": "a"}, ip="10.244.0.6"), True) == ["a"]
    assert members.to_update("ns", "p", _running("p", {"app": "b"}), True) == ["a", "b"]
    assert members.to_update("ns", "p", _running("p", {"app": "b"}), False) == ["a"]  # b: not an endpoint
    assert members.to_update("ns", "p", pod, False) == ["a"]  # terminating or lost its IP
    assert members.to_update("ns", "p", None, False) == ["a"]  # gone
    members.set_counted("ns", "a", {"p": None})  # a write in flight: the pod counts as changed
    assert members.to_update("ns", "p", pod, True) == ["a"]
    members.set_counted("ns", "a", {})
    assert members.counted_in("ns", "p") == set()
    assert members.to_update("ns", "p", None, False) == []


def test_service_without_a_map_selector_is_left_alone(store: FakeStore, sim: Simulation) -> None:
    store.create(SERVICES, {**_service("odd", None), "spec": {"selector": "app=a", "ports": [{"port": 80}]}})
    store.create(PODS, _pod("pod-a", {"app": "a"}))
    sim.run_until_idle()
    assert sim.errors == []
    assert store.get(ENDPOINTS, "default", "odd") is None
