"""Watch: the Python client's watch.Watch, resuming from a resourceVersion, selectors, 410 Expired, bookmarks."""

from __future__ import annotations

import json
import threading
import time

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException


def _cm(name: str, **labels: str) -> dict:
    return {"metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}


def test_watch_stream_sees_changes_in_order(api):
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_config_map("default").metadata.resource_version

    def writer() -> None:
        time.sleep(0.2)
        core.create_namespaced_config_map("default", _cm("w1"))
        core.patch_namespaced_config_map("w1", "default", {"data": {"k": "changed"}})
        core.delete_namespaced_config_map("w1", "default")

    t = threading.Thread(target=writer)
    t.start()
    seen = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=5):
        seen.append((ev["type"], ev["object"].metadata.name, (ev["object"].data or {}).get("k")))
        if ev["type"] == "DELETED":
            w.stop()
    t.join()
    assert seen == [("ADDED", "w1", "v"), ("MODIFIED", "w1", "changed"), ("DELETED", "w1", "changed")]


def test_watch_resumes_from_resource_version_and_filters(api):
    core = client.CoreV1Api(api)
    first = core.create_namespaced_config_map("default", _cm("a", app="x"))
    core.create_namespaced_config_map("default", _cm("b", app="y"))
    core.patch_namespaced_config_map("a", "default", {"metadata": {"labels": {"app": "y"}}})
    events = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        core.list_namespaced_config_map, "default", resource_version=first.metadata.resource_version,
        label_selector="app=y", timeout_seconds=1)]
    # b was created with app=y; a started matching when relabelled, which a watcher sees as ADDED
    assert events == [("ADDED", "b"), ("ADDED", "a")]

    named = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        core.list_namespaced_config_map, "default", field_selector="metadata.name=b", timeout_seconds=1)]
    assert named == [("ADDED", "b")]


def test_watch_from_a_compacted_version_is_410(api, embedded_cluster):
    store = embedded_cluster.store
    store._log_floor = store.resource_version  # the history before now has been compacted
    core = client.CoreV1Api(api)
    with pytest.raises(ApiException) as exc:
        for _ in watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version="1",
                                      timeout_seconds=1):
            pass
    assert exc.value.status == 410


def test_raw_watch_protocol_bookmarks_and_initial_events(embedded_cluster, http):
    url = f"{embedded_cluster.url}/api/v1/namespaces/default/configmaps"
    http.post(url, json=_cm("raw"), timeout=5)
    r = http.get(url, params={"watch": "true", "sendInitialEvents": "true", "allowWatchBookmarks": "true",
                              "resourceVersionMatch": "NotOlderThan", "timeoutSeconds": "1"},
                 stream=True, timeout=5)
    assert r.headers["Transfer-Encoding"] == "chunked"
    lines = [json.loads(line) for line in r.iter_lines() if line]
    types = [e["type"] for e in lines]
    assert types[-1] == "BOOKMARK"
    assert lines[-1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert {e["object"]["metadata"]["name"] for e in lines if e["type"] == "ADDED"} >= {"raw", "kube-root-ca.crt"}


def test_watch_ends_when_client_disconnects(embedded_cluster, http):
    store = embedded_cluster.store
    before = len(store._watchers)
    r = http.get(f"{embedded_cluster.url}/api/v1/namespaces?watch=1&timeoutSeconds=300", stream=True,
                 timeout=5)
    lines = r.iter_lines()  # kept: a dropped, half-read iterator closes the connection
    next(lines)
    assert len(store._watchers) == before + 1
    r.close()
    deadline = time.monotonic() + 5
    while len(store._watchers) > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(store._watchers) == before


def test_table_watch_events(embedded_cluster, http):
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    r = http.get(f"{embedded_cluster.url}/api/v1/namespaces", params={"watch": "1", "timeoutSeconds": "1"},
                 headers={"Accept": accept}, stream=True, timeout=5)
    events = [json.loads(line) for line in r.iter_lines() if line]
    assert events[0]["object"]["kind"] == "Table"
    assert [c["name"] for c in events[0]["object"]["columnDefinitions"]] == ["Name", "Status", "Age"]
    assert events[1]["object"]["columnDefinitions"] == []
    assert events[0]["object"]["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
