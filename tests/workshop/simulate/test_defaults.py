"""Defaulting matches what a v1.32 API server stores for built-in kinds."""

from __future__ import annotations

from workshop.cluster.embedded.api import GVR
from workshop.cluster.embedded.defaults import allocate_cluster_ip, apply_defaults

DEPLOYMENTS = GVR("apps", "v1", "deployments")


def _deployment() -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx",
                                                           "ports": [{"containerPort": 80}]}]}}}}


def test_deployment_defaults() -> None:
    obj = _deployment()
    apply_defaults(DEPLOYMENTS, obj)
    spec = obj["spec"]
    assert spec["replicas"] == 1 and spec["revisionHistoryLimit"] == 10 and spec["progressDeadlineSeconds"] == 600
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    pod = spec["template"]["spec"]
    assert {k: pod[k] for k in ("dnsPolicy", "restartPolicy", "schedulerName", "securityContext",
                                "terminationGracePeriodSeconds")} == {
        "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
        "securityContext": {}, "terminationGracePeriodSeconds": 30}
    container = pod["containers"][0]
    assert container["imagePullPolicy"] == "Always"
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["terminationMessagePolicy"] == "File"
    assert container["resources"] == {} and container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert "serviceAccountName" not in pod and "enableServiceLinks" not in pod


def test_defaulting_is_idempotent_and_keeps_user_values() -> None:
    obj = _deployment()
    obj["spec"]["replicas"] = 0
    obj["spec"]["strategy"] = {"type": "Recreate"}
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.25"
    apply_defaults(DEPLOYMENTS, obj)
    once = repr(obj)
    apply_defaults(DEPLOYMENTS, obj)
    assert repr(obj) == once
    assert obj["spec"]["replicas"] == 0 and obj["spec"]["strategy"] == {"type": "Recreate"}
    assert obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_pull_policy_follows_the_tag() -> None:
    from workshop.cluster.embedded.defaults import _image_pull_policy

    assert _image_pull_policy("nginx") == "Always"
    assert _image_pull_policy("nginx:latest") == "Always"
    assert _image_pull_policy("localhost:5000/app") == "Always"
    assert _image_pull_policy("localhost:5000/app:v1") == "IfNotPresent"
    assert _image_pull_policy("nginx@sha256:" + "a" * 64) == "IfNotPresent"


def test_service_defaults_and_stable_cluster_ip() -> None:
    svc = {"metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    apply_defaults(GVR("", "v1", "services"), svc)
    spec = svc["spec"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert spec["clusterIP"] == allocate_cluster_ip("default", "web") and spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["clusterIP"].startswith("10.96.")
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert allocate_cluster_ip("default", "kubernetes") == "10.96.0.1"
    headless = {"metadata": {"name": "db", "namespace": "default"}, "spec": {"clusterIP": "None", "ports": []}}
    apply_defaults(GVR("", "v1", "services"), headless)
    assert headless["spec"]["clusterIPs"] == ["None"]
    node_port = {"metadata": {"name": "np", "namespace": "default"},
                 "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    apply_defaults(GVR("", "v1", "services"), node_port)
    assert 30000 <= node_port["spec"]["ports"][0]["nodePort"] <= 32767
    assert node_port["spec"]["externalTrafficPolicy"] == "Cluster"


def test_statefulset_job_cronjob_defaults() -> None:
    sts = {"metadata": {"name": "db"}, "spec": {"template": {"spec": {"containers": []}},
                                                "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                                                          "spec": {}}]}}
    apply_defaults(GVR("apps", "v1", "statefulsets"), sts)
    assert sts["spec"]["podManagementPolicy"] == "OrderedReady"
    assert sts["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["volumeMode"] == "Filesystem" and claim["status"] == {"phase": "Pending"}
    job = {"metadata": {"name": "pi", "uid": "u-1"},
           "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": []}}}}
    apply_defaults(GVR("batch", "v1", "jobs"), job)
    spec = job["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["completionMode"] == "NonIndexed" and spec["suspend"] is False
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}}
    assert spec["template"]["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": "u-1", "batch.kubernetes.io/job-name": "pi",
        "controller-uid": "u-1", "job-name": "pi"}
    cron = {"metadata": {"name": "c"}, "spec": {"schedule": "* * * * *",
                                                "jobTemplate": {"spec": {"template": {"spec": {}}}}}}
    apply_defaults(GVR("batch", "v1", "cronjobs"), cron)
    assert {k: cron["spec"][k] for k in ("concurrencyPolicy", "suspend", "successfulJobsHistoryLimit",
                                         "failedJobsHistoryLimit")} == {
        "concurrencyPolicy": "Allow", "suspend": False, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1}
    assert "backoffLimit" not in cron["spec"]["jobTemplate"]["spec"]


def test_pod_admission_defaults() -> None:
    pod = {"metadata": {"name": "p", "namespace": "default"},
           "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                                    "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}}
    apply_defaults(GVR("", "v1", "pods"), pod)
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "default" and spec["enableServiceLinks"] is True
    assert spec["priority"] == 0 and spec["preemptionPolicy"] == "PreemptLowerPriority"
    assert [t["key"] for t in spec["tolerations"]] == ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]
    volume = spec["volumes"][0]["name"]
    assert volume.startswith("kube-api-access-")
    assert spec["containers"][0]["volumeMounts"][0] == {
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": volume, "readOnly": True}
    assert spec["containers"][0]["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert pod["status"] == {"phase": "Pending", "qosClass": "Guaranteed"}
    again = repr(pod)
    apply_defaults(GVR("", "v1", "pods"), pod)
    assert repr(pod) == again


def test_namespace_secret_pvc_defaults() -> None:
    ns = {"metadata": {"name": "apps"}}
    apply_defaults(GVR("", "v1", "namespaces"), ns)
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "apps"}
    assert ns["spec"] == {"finalizers": ["kubernetes"]} and ns["status"] == {"phase": "Active"}
    secret = {"metadata": {"name": "s"}, "data": {}}
    apply_defaults(GVR("", "v1", "secrets"), secret)
    assert secret["type"] == "Opaque"
    pvc = {"metadata": {"name": "d"}, "spec": {"accessModes": ["ReadWriteOnce"]}}
    apply_defaults(GVR("", "v1", "persistentvolumeclaims"), pvc)
    assert pvc["spec"]["volumeMode"] == "Filesystem" and "storageClassName" not in pvc["spec"]
    cm = {"metadata": {"name": "c"}, "data": {"a": "b"}}
    apply_defaults(GVR("", "v1", "configmaps"), cm)
    assert cm == {"metadata": {"name": "c"}, "data": {"a": "b"}}
