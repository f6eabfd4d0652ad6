"""`kubectl create <kind>` generators send protobuf bodies for every built-in kind; the server decodes them all."""

from __future__ import annotations

import json


def test_kubectl_create_generators(kubectl, embedded_cluster):
    kubectl("create", "namespace", "team")
    created = [
        kubectl("create", "serviceaccount", "deployer", "-n", "team"),
        kubectl("create", "service", "clusterip", "web", "--tcp=80:8080", "-n", "team"),
        kubectl("create", "job", "once", "--image=busybox:1.36", "-n", "team", "--", "echo", "hi"),
        kubectl("create", "cronjob", "nightly", "--image=busybox:1.36", "--schedule=*/5 * * * *", "-n", "team",
                "--", "date"),
        kubectl("create", "role", "pod-reader", "--verb=get,list", "--resource=pods", "--resource-name=a",
                "-n", "team"),
        kubectl("create", "rolebinding", "readers", "--role=pod-reader", "--serviceaccount=team:deployer",
                "--user=alice", "--group=devs", "-n", "team"),
        kubectl("create", "quota", "small", "--hard=cpu=1,memory=1G,pods=2", "-n", "team"),
        kubectl("create", "pdb", "web", "--selector=app=web", "--min-available=1", "-n", "team"),
        kubectl("create", "ingress", "web", "--rule=foo.example/bar=web:80", "-n", "team"),
    ]
    assert [p.stdout.strip() for p in created] == [
        "serviceaccount/deployer created", "service/web created", "job.batch/once created",
        "cronjob.batch/nightly created", "role.rbac.authorization.k8s.io/pod-reader created",
        "rolebinding.rbac.authorization.k8s.io/readers created", "resourcequota/small created",
        "poddisruptionbudget.policy/web created", "ingress.networking.k8s.io/web created"]

    def get(kind: str, name: str) -> dict:
        return json.loads(kubectl("get", kind, name, "-n", "team", "-o", "json").stdout)

    svc = get("service", "web")
    assert svc["spec"]["ports"] == [{"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}]
    assert svc["spec"]["selector"] == {"app": "web"}
    assert get("job", "once")["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    assert get("cronjob", "nightly")["spec"]["schedule"] == "*/5 * * * *"
    assert get("role", "pod-reader")["rules"] == [{"apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"],
                                                   "verbs": ["get", "list"]}]
    binding = get("rolebinding", "readers")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"}
    assert {(s["kind"], s["name"]) for s in binding["subjects"]} == {("User", "alice"), ("Group", "devs"),
                                                                     ("ServiceAccount", "deployer")}
    assert get("quota", "small")["spec"]["hard"] == {"cpu": "1", "memory": "1G", "pods": "2"}
    assert get("pdb", "web")["spec"]["minAvailable"] == 1
    rule = get("ingress", "web")["spec"]["rules"][0]
    assert rule["host"] == "foo.example"
    assert rule["http"]["paths"][0]["backend"] == {"service": {"name": "web", "port": {"number": 80}}}

    made = kubectl("create", "job", "manual", "--from=cronjob/nightly", "-n", "team")
    assert made.stdout.strip() == "job.batch/manual created"
    job = get("job", "manual")
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["date"]
