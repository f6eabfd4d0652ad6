"""ReplicationControllers get their defaults (selector and labels from the template, replicas, status.replicas)
and a controller like ReplicaSet's: pods, scale, status, cascading deletion."""

from __future__ import annotations

from kubernetes import client

RC = """apiVersion: v1
kind: ReplicationController
metadata: {name: rc}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: rc}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
"""


def test_defaults_for_typed_clients(api):
    core = client.CoreV1Api(api)
    rc = core.create_namespaced_replication_controller("default", client.V1ReplicationController(
        metadata=client.V1ObjectMeta(name="typed"), spec=client.V1ReplicationControllerSpec(
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels={"app": "typed"}),
                                              spec=client.V1PodSpec(containers=[client.V1Container(
                                                  name="c", image="nginx:1.27")])))))
    assert rc.spec.replicas == 1 and rc.spec.selector == {"app": "typed"}
    assert rc.metadata.labels == {"app": "typed"} and rc.status.replicas == 0


def test_controller_keeps_replicas_and_scales(kubectl, embedded_cluster, api):
    kubectl("apply", "-f", "-", input=RC)
    embedded_cluster.wait_settled()
    core = client.CoreV1Api(api)
    rc = core.read_namespaced_replication_controller("rc", "default")
    assert (rc.status.replicas, rc.status.ready_replicas, rc.status.available_replicas) == (2, 2, 2)
    pods = core.list_namespaced_pod("default", label_selector="app=rc").items
    assert len(pods) == 2 and all(p.metadata.owner_references[0].kind == "ReplicationController" for p in pods)
    kubectl("scale", "rc", "rc", "--replicas=1")
    embedded_cluster.wait_settled()
    assert len(core.list_namespaced_pod("default", label_selector="app=rc").items) == 1
    row = kubectl("get", "rc", "rc").stdout.splitlines()[1].split()
    assert row[:4] == ["rc", "1", "1", "1"]
    kubectl("delete", "rc", "rc")
    embedded_cluster.wait_settled()
    assert core.list_namespaced_pod("default", label_selector="app=rc").items == []
