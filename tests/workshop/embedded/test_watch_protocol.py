"""Watch and response details real clients depend on: keep-alive watch responses (no `Connection: close`), a watch
event never ahead of the write's own response, Status bodies as a real server writes them, and managedFields
entries of subresource writes."""

from __future__ import annotations

import json
import threading
import time

from kubernetes import client, watch

from workshop.cluster.embedded import server as transport


def test_watch_response_keeps_the_connection(embedded_cluster):
    conn = embedded_cluster.http_connection(timeout=10)
    conn.request("GET", "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1")
    resp = conn.getresponse()
    assert resp.getheader("Connection") is None and resp.getheader("Transfer-Encoding") == "chunked"
    resp.read()  # the stream ends when the server's timeout expires
    conn.request("GET", "/api/v1/namespaces/default")  # the same connection serves the next request
    again = conn.getresponse()
    assert again.status == 200 and json.loads(again.read())["metadata"]["name"] == "default"
    conn.close()


def test_python_watch_stop_ends_the_stream(api):
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="w")))
    w = watch.Watch()
    seen = []
    for event in w.stream(core.list_namespaced_config_map, "default"):
        seen.append(event["object"].metadata.name)
        w.stop()
    assert len(seen) == 1  # stop() ended the stream after the first event
    assert core.read_namespaced_config_map("w", "default").metadata.name == "w"  # the client's pool still works


def test_watch_event_never_arrives_before_the_write_response(embedded_cluster, http, monkeypatch):
    order: list[str] = []
    original = transport._Handler._send

    def slow_send(self, resp, head_only=False):  # type: ignore[no-untyped-def]
        if self.command == "POST":
            time.sleep(0.3)  # the write's response is slow to leave; its event must still come after it
        original(self, resp, head_only)
        if self.command == "POST":
            order.append("response sent")

    monkeypatch.setattr(transport._Handler, "_send", slow_send)
    conn = embedded_cluster.http_connection(timeout=10)
    conn.request("GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion="
                 f"{embedded_cluster.store.resource_version}&timeoutSeconds=5")
    stream = conn.getresponse()

    def read_event() -> None:
        line = stream.fp.readline()
        while line.strip() in (b"", b"0") or all(c in b"0123456789abcdef\r\n" for c in line):
            line = stream.fp.readline()
        order.append("event:" + json.loads(line)["object"]["metadata"]["name"])

    reader = threading.Thread(target=read_event)
    reader.start()
    created = http.post(f"{embedded_cluster.url}/api/v1/namespaces/default/configmaps",
                        json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ordered"}},
                        timeout=10)
    assert created.status_code == 201
    reader.join(timeout=10)
    conn.close()
    assert order == ["response sent", "event:ordered"]


def test_status_bodies_as_a_real_server_writes_them(embedded_cluster, http):
    url = f"{embedded_cluster.url}/api/v1/namespaces/default/configmaps"
    http.post(url, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dup"}}, timeout=5)
    again = http.post(url, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dup"}},
                      timeout=5)
    assert again.text == ('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":'
                          '"configmaps \\"dup\\" already exists","reason":"AlreadyExists","details":{"name":"dup",'
                          '"kind":"configmaps"},"code":409}\n')
    assert http.get(f"{url}/dup", timeout=5).text.endswith("}\n")


def test_scale_writes_are_recorded_with_their_subresource(kubectl, api):
    kubectl("create", "deployment", "web", "--image=nginx:1.27")
    kubectl("scale", "deployment", "web", "--replicas=3")
    entries = client.AppsV1Api(api).read_namespaced_deployment("web", "default").metadata.managed_fields
    scale = [e for e in entries if e.subresource == "scale"]
    assert len(scale) == 1 and scale[0].manager == "kubectl" and scale[0].operation == "Update"
    assert scale[0].fields_v1 == {"f:spec": {"f:replicas": {}}}
