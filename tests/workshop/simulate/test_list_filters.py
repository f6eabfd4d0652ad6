"""ObjectStore.list(where=..., controller_uid=...): filters stored objects before copying, with the owner
semantics the controllers had when they filtered full lists themselves."""

from __future__ import annotations

from typing import Any

import pytest

import workshop.cluster.embedded.store as store_module
from workshop.cluster.embedded.api import ObjectStore
from workshop.cluster.embedded.simulate.common import CONFIGMAPS, NAMESPACES, PODS, REPLICASETS, owned_by
from workshop.cluster.embedded.simulate.core import Clock, Context
from workshop.cluster.embedded.simulate.kubelet import pod_ip_for
from workshop.cluster.embedded.simulate.replicaset import owned_pods
from workshop.cluster.embedded.store import Store

from .fakestore import FakeStore


def _store(kind: str) -> ObjectStore:
    store: ObjectStore = Store() if kind == "embedded" else FakeStore()
    store.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    return store


def _context(store: ObjectStore) -> Context:
    return Context(store, Clock(), lambda image: True, lambda key: None, lambda key, when: None)


def _pod(name: str, labels: dict[str, str], owners: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "default", "labels": labels}
    if owners:
        meta["ownerReferences"] = owners
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}


def test_embedded_store_copies_only_the_objects_where_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store("embedded")
    for i in range(20):
        store.create(CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                                  "metadata": {"name": f"cm-{i:02d}", "labels": {"even": str(i % 2 == 0).lower()}}})
    copies: list[str] = []
    real_clone = store_module.clone

    def counting_clone(obj: Any) -> Any:
        copies.append(obj["metadata"]["name"])
        return real_clone(obj)

    monkeypatch.setattr(store_module, "clone", counting_clone)

    found = store.list(CONFIGMAPS, "default", "even=true", where=lambda o: o["metadata"]["name"] > "cm-13")

    assert [o["metadata"]["name"] for o in found] == ["cm-14", "cm-16", "cm-18"]
    assert copies == ["cm-14", "cm-16", "cm-18"]
    found[0]["metadata"]["labels"]["even"] = "changed"
    assert (store.get(CONFIGMAPS, "default", "cm-14") or {})["metadata"]["labels"]["even"] == "true"


@pytest.mark.parametrize("kind", ["embedded", "fake"])
def test_owned_pods_follow_the_controller_reference_not_the_labels(kind: str) -> None:
    store = _store(kind)
    rs = store.create(REPLICASETS, {
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "default"},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}})
    ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": rs["metadata"]["uid"]}
    store.create(PODS, _pod("web-1-b", {"app": "web"}, [{**ref, "controller": True}]))
    store.create(PODS, _pod("web-1-a", {"app": "relabelled"}, [{**ref, "controller": True}]))
    store.create(PODS, _pod("stray", {"app": "web"}))
    store.create(PODS, _pod("not-controlled", {"app": "web"}, [ref]))

    names = [p["metadata"]["name"] for p in owned_pods(_context(store), rs)]

    assert names == ["web-1-a", "web-1-b"]
    assert names == [p["metadata"]["name"] for p in store.list(PODS, "default") if owned_by(p, rs)]


@pytest.mark.parametrize("kind", ["embedded", "fake"])
def test_controller_uid_follows_owner_reference_changes(kind: str) -> None:
    store = _store(kind)
    owners = [store.create(CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})
              for name in ("first", "second")]
    refs = [{"apiVersion": "v1", "kind": "ConfigMap", "name": o["metadata"]["name"], "uid": o["metadata"]["uid"],
             "controller": True} for o in owners]
    pod = store.create(PODS, _pod("moved", {}, [refs[0]]))
    store.create(PODS, _pod("orphaned", {}, [refs[0]]))
    first, second = (o["metadata"]["uid"] for o in owners)
    assert [p["metadata"]["name"] for p in store.list(PODS, controller_uid=first)] == ["moved", "orphaned"]

    pod["metadata"]["ownerReferences"] = [{**refs[0], "controller": False}, refs[1]]
    store.update(PODS, pod)
    orphan = store.get(PODS, "default", "orphaned") or {}
    del orphan["metadata"]["ownerReferences"]
    store.update(PODS, orphan)

    assert store.list(PODS, controller_uid=first) == []
    assert [p["metadata"]["name"] for p in store.list(PODS, "default", controller_uid=second)] == ["moved"]
    assert store.list(PODS, "other", controller_uid=second) == []


def test_pod_ip_skips_addresses_taken_by_other_pods() -> None:
    first = pod_ip_for("default", "web", lambda ip: False)
    asked: list[str] = []

    def taken(ip: str) -> bool:
        asked.append(ip)
        return ip == first

    second = pod_ip_for("default", "web", taken)

    assert first.startswith("10.244.0.") and second.startswith("10.244.0.")
    assert second != first and asked == [first, second]
