"""core/v1 and events.k8s.io/v1 Events are two views of the same objects, as in Kubernetes."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from workshop.cluster.embedded.views import core_to_events, events_to_core

CORE = "/api/v1/namespaces/default/events"
EVENTS = "/apis/events.k8s.io/v1/namespaces/default/events"
JSON = {"Content-Type": "application/json", "Accept": "application/json"}

NEW_STYLE: dict[str, Any] = {
    "apiVersion": "events.k8s.io/v1",
    "kind": "Event",
    "metadata": {"name": "web.1", "namespace": "default"},
    "eventTime": "2026-01-01T00:00:00.000000Z",
    "series": {"count": 3, "lastObservedTime": "2026-01-01T00:05:00.000000Z"},
    "reportingController": "example.com/rollout",
    "reportingInstance": "rollout-1",
    "action": "Scale",
    "reason": "ScaledUp",
    "regarding": {"kind": "Deployment", "namespace": "default", "name": "web", "uid": "u-1",
                  "apiVersion": "apps/v1"},
    "note": "scaled up to 3",
    "type": "Normal",
    "deprecatedSource": {"component": "rollout"},
    "deprecatedFirstTimestamp": "2026-01-01T00:00:00Z",
    "deprecatedLastTimestamp": "2026-01-01T00:05:00Z",
    "deprecatedCount": 3,
}

OLD_STYLE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "db.1", "namespace": "default"},
    "involvedObject": {"kind": "Pod", "namespace": "default", "name": "db-0", "uid": "u-2", "apiVersion": "v1"},
    "reason": "Pulled",
    "message": "image pulled",
    "type": "Normal",
    "source": {"component": "kubelet", "host": "node-1"},
    "firstTimestamp": "2026-01-01T00:00:00Z",
    "lastTimestamp": "2026-01-01T00:01:00Z",
    "count": 2,
    "reportingComponent": "kubelet",
    "reportingInstance": "node-1",
}


def _call(cluster: Any, method: str, path: str, body: Any = None, **params: str) -> Any:
    with cluster.http_session() as http:
        r = http.request(method, cluster.url + path, params=params, headers=JSON, timeout=10,
                         data=None if body is None else json.dumps(body))
    assert r.ok, f"{method} {path}: {r.status_code} {r.text}"
    return r.json()


def _without_server_metadata(obj: dict) -> dict:
    keep = ("name", "namespace")
    return {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k in keep}}


def test_conversion_renames_fields_both_ways_and_keeps_the_rest() -> None:
    core = events_to_core(NEW_STYLE)
    assert core["apiVersion"] == "v1"
    assert core["message"] == "scaled up to 3"
    assert core["involvedObject"]["name"] == "web"
    assert core["reportingComponent"] == "example.com/rollout"
    assert core["source"] == {"component": "rollout"}
    assert (core["firstTimestamp"], core["lastTimestamp"], core["count"]) == (
        "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", 3)
    assert core["series"] == NEW_STYLE["series"] and core["eventTime"] == NEW_STYLE["eventTime"]
    assert not {"note", "regarding", "reportingController", "deprecatedCount"} & set(core)
    assert core_to_events(core) == NEW_STYLE
    assert list(core_to_events(core)) == list(NEW_STYLE)
    assert events_to_core(core_to_events(OLD_STYLE)) == OLD_STYLE
    assert events_to_core(OLD_STYLE) == OLD_STYLE


def test_an_event_created_through_events_k8s_io_is_a_core_event(embedded_cluster: Any) -> None:
    created = _call(embedded_cluster, "POST", EVENTS, NEW_STYLE)
    assert _without_server_metadata(created) == NEW_STYLE

    core = _call(embedded_cluster, "GET", f"{CORE}/web.1")
    assert _without_server_metadata(core) == events_to_core(NEW_STYLE)
    assert core["metadata"]["uid"] == created["metadata"]["uid"]
    assert core["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    listed = _call(embedded_cluster, "GET", CORE, fieldSelector="involvedObject.name=web")
    assert [e["metadata"]["name"] for e in listed["items"]] == ["web.1"]


def test_a_core_event_is_served_by_events_k8s_io(embedded_cluster: Any) -> None:
    _call(embedded_cluster, "POST", CORE, OLD_STYLE)
    new = _call(embedded_cluster, "GET", f"{EVENTS}/db.1")
    assert new["apiVersion"] == "events.k8s.io/v1"
    assert (new["note"], new["regarding"]["name"], new["deprecatedCount"]) == ("image pulled", "db-0", 2)
    assert new["deprecatedSource"] == {"component": "kubelet", "host": "node-1"}
    assert new["reportingController"] == "kubelet"
    assert not {"message", "involvedObject", "count", "source"} & set(new)

    by_regarding = _call(embedded_cluster, "GET", EVENTS, fieldSelector="regarding.name=db-0,regarding.kind=Pod")
    assert [e["metadata"]["name"] for e in by_regarding["items"]] == ["db.1"]
    by_controller = _call(embedded_cluster, "GET", EVENTS, fieldSelector="reportingController=kubelet")
    assert [e["metadata"]["name"] for e in by_controller["items"]] == ["db.1"]
    assert _call(embedded_cluster, "GET", EVENTS, fieldSelector="regarding.name=web")["items"] == []


def test_each_api_takes_only_its_own_field_labels(embedded_cluster: Any, http: Any) -> None:
    for path, label in ((EVENTS, "involvedObject.name"), (CORE, "regarding.name"), (EVENTS, "note")):
        r = http.get(embedded_cluster.url + path, params={"fieldSelector": f"{label}=x"}, timeout=10)
        assert r.status_code == 400
        assert r.json()["message"] == f"field label not supported: {label}"


def test_updates_and_deletes_through_one_api_show_in_the_other(embedded_cluster: Any, http: Any) -> None:
    _call(embedded_cluster, "POST", CORE, OLD_STYLE)
    patched = http.patch(embedded_cluster.url + f"{EVENTS}/db.1", data=json.dumps({"note": "pulled again"}),
                         headers={"Content-Type": "application/merge-patch+json"}, timeout=10)
    assert patched.ok, patched.text
    assert _call(embedded_cluster, "GET", f"{CORE}/db.1")["message"] == "pulled again"

    _call(embedded_cluster, "DELETE", f"{CORE}/db.1")
    assert http.get(embedded_cluster.url + f"{EVENTS}/db.1", timeout=10).status_code == 404
    assert _call(embedded_cluster, "GET", EVENTS)["items"] == []


def test_an_update_through_events_k8s_io_is_owned_in_its_field_names(embedded_cluster: Any) -> None:
    created = _call(embedded_cluster, "POST", EVENTS, NEW_STYLE, fieldManager="rollout")
    [entry] = created["metadata"]["managedFields"]
    assert (entry["manager"], entry["apiVersion"]) == ("rollout", "events.k8s.io/v1")
    assert "f:note" in entry["fieldsV1"] and "f:message" not in entry["fieldsV1"]
    core = _call(embedded_cluster, "GET", f"{CORE}/web.1")
    assert core["metadata"]["managedFields"] == created["metadata"]["managedFields"]


def _watch(cluster: Any, path: str, seen: list, **params: str) -> None:
    with cluster.http_session() as http, http.get(
            cluster.url + path, params={"watch": "true", "timeoutSeconds": "2", **params}, stream=True,
            timeout=10) as r:
        for line in r.iter_lines():
            if line:
                event = json.loads(line)
                seen.append((event["type"], event["object"]["apiVersion"], event["object"]["metadata"]["name"],
                             event["object"].get("note") or event["object"].get("message")))


def test_watches_on_either_api_see_writes_through_the_other(embedded_cluster: Any) -> None:
    rv = _call(embedded_cluster, "GET", CORE)["metadata"]["resourceVersion"]
    new_api: list = []
    old_api: list = []
    watchers = [
        threading.Thread(target=_watch, args=(embedded_cluster, EVENTS, new_api),
                         kwargs={"resourceVersion": rv, "fieldSelector": "regarding.name=db-0"}),
        threading.Thread(target=_watch, args=(embedded_cluster, CORE, old_api), kwargs={"resourceVersion": rv}),
    ]
    for t in watchers:
        t.start()
    time.sleep(0.3)
    _call(embedded_cluster, "POST", CORE, OLD_STYLE)
    _call(embedded_cluster, "POST", EVENTS, NEW_STYLE)
    for t in watchers:
        t.join()
    assert new_api == [("ADDED", "events.k8s.io/v1", "db.1", "image pulled")]
    assert old_api == [("ADDED", "v1", "db.1", "image pulled"), ("ADDED", "v1", "web.1", "scaled up to 3")]


def test_kubectl_get_events_lists_events_from_both_apis(embedded_cluster: Any, kubectl: Any) -> None:
    _call(embedded_cluster, "POST", CORE, OLD_STYLE)
    _call(embedded_cluster, "POST", EVENTS, NEW_STYLE)
    for resource in ("events", "events.events.k8s.io"):
        out = kubectl("get", resource, "-o", "custom-columns=NAME:.metadata.name", "--no-headers").stdout
        assert out.split() == ["db.1", "web.1"], resource
    table = kubectl("get", "events", "--sort-by=.metadata.name").stdout.splitlines()
    assert table[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert table[1].split()[1:] == ["Normal", "Pulled", "pod/db-0", "image", "pulled"]
    assert table[2].split()[1:] == ["Normal", "ScaledUp", "deployment/web", "scaled", "up", "to", "3"]
    new_table = kubectl("get", "events.events.k8s.io", "--sort-by=.metadata.name").stdout.splitlines()
    assert [row.split()[1:] for row in new_table[1:]] == [row.split()[1:] for row in table[1:]]


def test_server_side_apply_through_events_k8s_io_updates_the_core_event(embedded_cluster: Any, http: Any) -> None:
    _call(embedded_cluster, "POST", CORE, OLD_STYLE)
    applied = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "db.1"},
               "note": "applied note", "action": "Pull"}
    r = http.patch(embedded_cluster.url + f"{EVENTS}/db.1", data=json.dumps(applied),
                   params={"fieldManager": "puller"},
                   headers={"Content-Type": "application/apply-patch+yaml"}, timeout=10)
    assert r.ok, r.text
    core = _call(embedded_cluster, "GET", f"{CORE}/db.1")
    assert (core["message"], core["action"], core["involvedObject"]["name"]) == ("applied note", "Pull", "db-0")
    assert "note" not in core
    puller = [e for e in core["metadata"]["managedFields"] if e["manager"] == "puller"]
    assert [(e["operation"], e["apiVersion"]) for e in puller] == [("Apply", "events.k8s.io/v1")]
    assert set(puller[0]["fieldsV1"]) == {"f:note", "f:action"}


def test_a_saved_events_k8s_io_event_is_restored_as_a_core_event() -> None:
    from workshop.cluster.embedded.api import GVR
    from workshop.cluster.embedded.store import Store

    saved = {**NEW_STYLE, "metadata": {**NEW_STYLE["metadata"], "uid": "u-9", "resourceVersion": "7"}}
    store = Store()
    store.restore({"resourceVersion": 7, "objects": [saved]})
    core = store.get(GVR("", "v1", "events"), "default", "web.1")
    assert core is not None and core["message"] == "scaled up to 3"
    assert store.get(GVR("events.k8s.io", "v1", "events"), "default", "web.1") == saved
