"""StatefulSets, DaemonSets, Jobs, volumes and endpoints progress the way they do on kind."""

from __future__ import annotations

from workshop.cluster.embedded.simulate import Simulation
from workshop.cluster.embedded.simulate.common import (
    CONFIGMAPS,
    DAEMONSETS,
    ENDPOINTS,
    JOBS,
    NAMESPACES,
    PODS,
    PVCS,
    PVS,
    SERVICEACCOUNTS,
    SERVICES,
    STATEFULSETS,
)

from .fakestore import FakeStore


def _template(app: str, image: str = "nginx:1.25", **spec: object) -> dict:
    return {"metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": app, "image": image, "ports": [{"containerPort": 80, "name": "http"}]}],
                     **spec}}


def test_statefulset_pods_in_order_with_bound_claims(store: FakeStore, sim: Simulation) -> None:
    store.create(STATEFULSETS, {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
        "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                 "template": _template("db"),
                 "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                           "spec": {"accessModes": ["ReadWriteOnce"],
                                                    "resources": {"requests": {"storage": "1Gi"}}}}]}})
    sim.run_until_idle()
    pods = store.list(PODS, "default")
    assert [p["metadata"]["name"] for p in pods] == ["db-0", "db-1"]
    assert all(p["status"]["phase"] == "Running" for p in pods)
    assert pods[0]["spec"]["hostname"] == "db-0" and pods[0]["spec"]["subdomain"] == "db"
    claims = store.list(PVCS, "default")
    assert [c["metadata"]["name"] for c in claims] == ["data-db-0", "data-db-1"]
    for claim in claims:
        assert claim["status"]["phase"] == "Bound"
        assert claim["spec"]["storageClassName"] == "standard"
        assert claim["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes"
        pv = store.get(PVS, None, claim["spec"]["volumeName"])
        assert pv["metadata"]["name"] == f"pvc-{claim['metadata']['uid']}"
        assert pv["status"]["phase"] == "Bound" and pv["spec"]["claimRef"]["name"] == claim["metadata"]["name"]
    status = store.get(STATEFULSETS, "default", "db")["status"]
    assert status["replicas"] == status["readyReplicas"] == status["currentReplicas"] == 2
    assert status["updatedReplicas"] == status["availableReplicas"] == 2
    assert status["currentRevision"] == status["updateRevision"]
    assert status["observedGeneration"] == 1 and status["collisionCount"] == 0
    creates = [m for _, r, m in store.events("db") if r == "SuccessfulCreate"]
    assert creates[:2] == ["create Claim data-db-0 Pod db-0 in StatefulSet db success",
                           "create Pod db-0 in StatefulSet db successful"]


def test_statefulset_rolling_update_goes_from_highest_ordinal(store: FakeStore, sim: Simulation) -> None:
    sts = store.create(STATEFULSETS, {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "db"}}, "template": _template("db")}})
    sim.run_until_idle()
    sts = store.get(STATEFULSETS, "default", "db")
    old_revision = sts["status"]["updateRevision"]
    sts["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    store.update(STATEFULSETS, sts)
    sim.run_until_idle()
    status = store.get(STATEFULSETS, "default", "db")["status"]
    assert status["updateRevision"] != old_revision and status["currentRevision"] == status["updateRevision"]
    assert status["updatedReplicas"] == 2
    assert [p["spec"]["containers"][0]["image"] for p in store.list(PODS, "default")] == ["nginx:1.27"] * 2
    deletes = [m for _, r, m in store.events("db") if r == "SuccessfulDelete"]
    assert deletes == ["delete Pod db-1 in StatefulSet db successful", "delete Pod db-0 in StatefulSet db successful"]


def test_claim_with_unknown_class_stays_pending(store: FakeStore, sim: Simulation) -> None:
    store.create(PVCS, {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                        "metadata": {"name": "data", "namespace": "default"},
                        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                                 "resources": {"requests": {"storage": "1Gi"}}}})
    sim.run_until_idle()
    assert store.get(PVCS, "default", "data")["status"]["phase"] == "Pending"
    assert ("Warning", "ProvisioningFailed", 'storageclass.storage.k8s.io "fast" not found') in store.events("data")


def test_job_runs_to_completion(store: FakeStore, sim: Simulation) -> None:
    store.create(JOBS, {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi", "namespace": "default"},
                        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                            {"name": "pi", "image": "perl:5.34", "command": ["perl", "-e", "print 1"]}]}}}})
    sim.run_until_idle()
    job = store.get(JOBS, "default", "pi")
    status = job["status"]
    assert status["succeeded"] == 1 and status["ready"] == 0 and "active" not in status
    assert status["startTime"] and status["completionTime"]
    assert [(c["type"], c["reason"], c["message"]) for c in status["conditions"]] == [
        ("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"),
        ("Complete", "CompletionsReached", "Reached expected number of succeeded pods")]
    pods = store.list(PODS, "default")
    assert len(pods) == 1 and pods[0]["status"]["phase"] == "Succeeded"
    assert pods[0]["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "pi"
    assert "finalizers" not in pods[0]["metadata"] or not pods[0]["metadata"]["finalizers"]
    terminated = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 0 and terminated["reason"] == "Completed"
    assert ("Normal", "Completed", "Job completed") in store.events("pi")


def test_failing_job_reaches_backoff_limit(store: FakeStore, sim: Simulation) -> None:
    store.create(JOBS, {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "bad", "namespace": "default"},
                        "spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "Never", "containers": [
                            {"name": "sh", "image": "busybox:1.36", "command": ["sh", "-c", "exit 3"]}]}}}})
    sim.run_until_idle()
    status = store.get(JOBS, "default", "bad")["status"]
    assert status["failed"] == 3
    assert [(c["type"], c["reason"]) for c in status["conditions"]] == [
        ("FailureTarget", "BackoffLimitExceeded"), ("Failed", "BackoffLimitExceeded")]
    pods = store.list(PODS, "default")
    assert len(pods) == 3 and {p["status"]["phase"] for p in pods} == {"Failed"}
    assert pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3


def test_daemonset_runs_one_pod_on_the_node(store: FakeStore, sim: Simulation) -> None:
    store.create(DAEMONSETS, {"apiVersion": "apps/v1", "kind": "DaemonSet",
                              "metadata": {"name": "agent", "namespace": "kube-system"},
                              "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": _template("agent")}})
    sim.run_until_idle()
    pods = store.list(PODS, "kube-system")
    assert len(pods) == 1 and pods[0]["status"]["phase"] == "Running"
    status = store.get(DAEMONSETS, "kube-system", "agent")["status"]
    assert status == {"currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberAvailable": 1,
                      "numberMisscheduled": 0, "numberReady": 1, "observedGeneration": 1,
                      "updatedNumberScheduled": 1}


def test_service_endpoints_follow_ready_pods(store: FakeStore, sim: Simulation) -> None:
    from workshop.cluster.embedded.simulate.common import DEPLOYMENTS

    from .test_deployment import deployment

    store.create(SERVICES, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
                            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}})
    store.create(DEPLOYMENTS, deployment(replicas=2))
    sim.run_until_idle()
    endpoints = store.get(ENDPOINTS, "default", "web")
    subset = endpoints["subsets"][0]
    pod_ips = sorted(p["status"]["podIP"] for p in store.list(PODS, "default"))
    assert [a["ip"] for a in subset["addresses"]] == pod_ips
    assert subset["ports"] == [{"port": 80, "protocol": "TCP"}]


def test_every_namespace_gets_default_service_account_and_root_ca(store: FakeStore, sim: Simulation) -> None:
    store.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}})
    sim.run_until_idle()
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease", "apps"):
        assert store.get(SERVICEACCOUNTS, ns, "default") is not None
        assert store.get(CONFIGMAPS, ns, "kube-root-ca.crt")["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE")
    store.delete(SERVICEACCOUNTS, "apps", "default")
    sim.run_until_idle()
    assert store.get(SERVICEACCOUNTS, "apps", "default") is not None


def test_crashing_container_backs_off_and_restarts(store: FakeStore, sim: Simulation) -> None:
    from workshop.cluster.embedded.simulate.common import DEPLOYMENTS

    from .test_deployment import deployment

    body = deployment(replicas=1, image="busybox:1.36")
    body["spec"]["template"]["spec"]["containers"][0]["command"] = ["sh", "-c", "exit 2"]
    store.create(DEPLOYMENTS, body)
    sim.run_until_idle()
    pod = store.list(PODS, "default")[0]
    container = pod["status"]["containerStatuses"][0]
    assert pod["status"]["phase"] == "Running" and container["restartCount"] == 1
    assert container["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert container["state"]["waiting"]["message"].startswith("back-off 10s restarting failed container=app pod=")
    assert container["lastState"]["terminated"]["exitCode"] == 2
    assert container["lastState"]["terminated"]["reason"] == "Error"
    sim.advance(11)
    sim.run_until_idle()
    container = store.list(PODS, "default")[0]["status"]["containerStatuses"][0]
    assert container["restartCount"] == 2
    assert container["state"]["waiting"]["message"].startswith("back-off 20s ")
    assert sum(1 for _, r, _ in store.events(pod["metadata"]["name"]) if r == "BackOff") == 2


def test_on_failure_job_counts_restarts_against_backoff_limit(store: FakeStore, sim: Simulation) -> None:
    store.create(JOBS, {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "flaky", "namespace": "default"},
                        "spec": {"backoffLimit": 1, "template": {"spec": {"restartPolicy": "OnFailure", "containers": [
                            {"name": "sh", "image": "busybox:1.36", "command": ["false"]}]}}}})
    sim.run_until_idle()
    assert "conditions" not in store.get(JOBS, "default", "flaky")["status"]
    sim.advance(11)
    sim.run_until_idle()
    status = store.get(JOBS, "default", "flaky")["status"]
    assert [c["type"] for c in status["conditions"]] == ["FailureTarget", "Failed"]
    assert store.list(PODS, "default") == []


def test_cron_schedules() -> None:
    from datetime import UTC, datetime

    from workshop.cluster.embedded.simulate import cron

    start = datetime(2026, 11, 21, 1, 7, 30, tzinfo=UTC)
    assert cron.parse("*/5 * * * *").next_after(start) == datetime(2026, 11, 21, 1, 10, tzinfo=UTC)
    assert cron.parse("@hourly").next_after(start) == datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    assert cron.parse("0 9 * * mon-fri").next_after(start) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert cron.parse("0 0 1,15 * *").next_after(start) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    import pytest

    with pytest.raises(cron.CronError):
        cron.parse("* * *")


def test_cronjob_creates_jobs_on_schedule(store: FakeStore, sim: Simulation) -> None:
    from workshop.cluster.embedded.simulate.cronjob import CRONJOBS

    store.create(CRONJOBS, {"apiVersion": "batch/v1", "kind": "CronJob",
                            "metadata": {"name": "tick", "namespace": "default"},
                            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                                "restartPolicy": "OnFailure",
                                "containers": [{"name": "tick", "image": "busybox:1.36", "command": ["date"]}]}}}}}})
    sim.run_until_idle()
    assert store.list(JOBS, "default") == []
    sim.advance(61)
    sim.run_until_idle()
    jobs = store.list(JOBS, "default")
    assert len(jobs) == 1 and jobs[0]["metadata"]["name"].startswith("tick-")
    assert int(jobs[0]["metadata"]["name"].split("-")[1]) > 29_000_000
    assert jobs[0]["status"]["succeeded"] == 1
    status = store.get(CRONJOBS, "default", "tick")["status"]
    assert status["lastScheduleTime"] and status["lastSuccessfulTime"] and "active" not in status
    reasons = [r for _, r, _ in store.events("tick")]
    assert reasons[:2] == ["SuccessfulCreate", "SawCompletedJob"]
    for _ in range(4):
        sim.advance(60)
        sim.run_until_idle()
    assert len(store.list(JOBS, "default")) == 3


def test_statefulset_pod_rejected_by_validation_is_a_failed_create_event(store: FakeStore, sim: Simulation) -> None:
    store.create(STATEFULSETS, {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}},
                              "spec": {"containers": [{"name": "db", "image": "postgres:16",
                                                       "volumeMounts": [{"name": "data", "mountPath": "/d"},
                                                                        {"name": "scratch", "mountPath": "/s"}]}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                     "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
    sim.run_until_idle()
    assert store.list(PODS, "default") == []
    assert ("Warning", "FailedCreate", 'create Pod db-0 in StatefulSet db failed error: Pod "db-0" is invalid: '
            'spec.containers[0].volumeMounts[1].name: Not found: "scratch"') in store.events("db")
    assert sim.errors == []


def test_init_containers_run_before_the_app(store: FakeStore, sim: Simulation) -> None:
    from workshop.cluster.embedded.simulate.common import DEPLOYMENTS

    from .test_deployment import deployment

    body = deployment(replicas=1)
    body["spec"]["template"]["spec"]["initContainers"] = [
        {"name": "migrate", "image": "busybox:1.36", "command": ["sh", "-c", "echo migrated"]}]
    store.create(DEPLOYMENTS, body)
    failing = deployment(name="broken", replicas=1)
    failing["spec"]["template"]["spec"]["initContainers"] = [
        {"name": "wait", "image": "busybox:1.36", "command": ["sh", "-c", "exit 1"]}]
    store.create(DEPLOYMENTS, failing)
    start = len(store.log)
    sim.run_until_idle()
    pod = store.list(PODS, "default", label_selector="app=web")[0]
    assert pod["status"]["phase"] == "Running"
    init = pod["status"]["initContainerStatuses"][0]
    assert init["state"]["terminated"]["reason"] == "Completed" and init["ready"] is True
    assert {c["type"]: c["status"] for c in pod["status"]["conditions"]}["Initialized"] == "True"
    initialising = [e.obj for e in store.log[start:] if e.gvr == PODS and e.obj["metadata"]["name"] ==
                    pod["metadata"]["name"] and e.obj.get("status", {}).get("initContainerStatuses")]
    first = {c["type"]: c for c in initialising[0]["status"]["conditions"]}["Initialized"]
    assert first["status"] == "False" and first["message"] == "containers with incomplete status: [migrate]"
    broken = store.list(PODS, "default", label_selector="app=broken")[0]
    assert broken["status"]["phase"] == "Pending"
    waiting = broken["status"]["initContainerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "CrashLoopBackOff"
    assert broken["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "PodInitializing"


def test_job_deadline_and_ttl(store: FakeStore, sim: Simulation) -> None:
    store.create(JOBS, {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "slow", "namespace": "default"},
                        "spec": {"activeDeadlineSeconds": 30, "template": {"spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "w", "image": "busybox:missing"}]}}}})
    store.create(JOBS, {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": "default"},
                        "spec": {"ttlSecondsAfterFinished": 60, "template": {"spec": {
                            "restartPolicy": "Never", "containers": [{"name": "w", "image": "busybox:1.36",
                                                                      "command": ["true"]}]}}}})
    sim.image_available = lambda image: not image.endswith(":missing")
    sim.run_until_idle()
    assert "conditions" not in store.get(JOBS, "default", "slow")["status"]
    assert store.get(JOBS, "default", "once")["status"]["succeeded"] == 1
    sim.advance(31)
    sim.run_until_idle()
    status = store.get(JOBS, "default", "slow")["status"]
    assert [(c["type"], c["reason"]) for c in status["conditions"]] == [("FailureTarget", "DeadlineExceeded"),
                                                                       ("Failed", "DeadlineExceeded")]
    assert store.get(JOBS, "default", "once") is not None
    sim.advance(30)
    sim.run_until_idle()
    assert store.get(JOBS, "default", "once") is None
