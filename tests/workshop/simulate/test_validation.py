"""Validation causes and the 422 message read like a v1.32 API server's."""

from __future__ import annotations

import copy

from workshop.cluster.embedded.api import GVR
from workshop.cluster.embedded.defaults import apply_defaults
from workshop.cluster.embedded.validation import format_invalid_message, validate

DEPLOYMENTS = GVR("apps", "v1", "deployments")


def _deployment(labels: dict | None = None) -> dict:
    labels = labels or {"app": "web"}
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": {"matchLabels": dict(labels)},
                    "template": {"metadata": {"labels": dict(labels)},
                                 "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}}
    apply_defaults(DEPLOYMENTS, obj)
    return obj


def test_valid_deployment_has_no_causes() -> None:
    assert validate(DEPLOYMENTS, _deployment(), None) == []


def test_selector_change_is_immutable_with_kubernetes_wording() -> None:
    old = _deployment()
    new = _deployment({"app": "web2"})
    causes = validate(DEPLOYMENTS, new, old)
    assert causes == [{"reason": "FieldValueInvalid", "field": "spec.selector",
                       "message": 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, '
                                  "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"}]
    assert format_invalid_message("Deployment", "apps", "web", causes) == (
        'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:'
        'map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable')


def test_selector_must_match_template_and_messages_aggregate() -> None:
    obj = _deployment()
    obj["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    del obj["spec"]["template"]["spec"]["containers"][0]["image"]
    causes = validate(DEPLOYMENTS, obj, None)
    assert [(c["field"], c["reason"]) for c in causes] == [
        ("spec.template.metadata.labels", "FieldValueInvalid"), ("spec.template.spec.containers[0].image",
                                                                 "FieldValueRequired")]
    assert causes[0]["message"] == ('Invalid value: map[string]string{"app":"other"}: `selector` does not match '
                                    "template `labels`")
    assert format_invalid_message("Deployment", "apps", "web", causes) == (
        'Deployment.apps "web" is invalid: [spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"other"}: `selector` does not match template `labels`, '
        "spec.template.spec.containers[0].image: Required value]")


def test_names_follow_the_rule_of_each_kind() -> None:
    bad = {"metadata": {"name": "Web_1"}, "data": {}}
    causes = validate(GVR("", "v1", "configmaps"), bad, None)
    assert causes[0]["field"] == "metadata.name"
    assert causes[0]["message"].startswith('Invalid value: "Web_1": a lowercase RFC 1123 subdomain')
    svc = {"metadata": {"name": "1web"}, "spec": {"ports": [{"port": 80}]}}
    assert validate(GVR("", "v1", "services"), svc, None)[0]["message"].startswith(
        'Invalid value: "1web": a DNS-1035 label')
    ns = {"metadata": {"name": "a.b"}}
    assert validate(GVR("", "v1", "namespaces"), ns, None)[0]["message"].startswith(
        'Invalid value: "a.b": a lowercase RFC 1123 label')
    assert validate(GVR("", "v1", "configmaps"), {"metadata": {}}, None) == [
        {"reason": "FieldValueRequired", "message": "Required value: name or generateName is required",
         "field": "metadata.name"}]
    assert format_invalid_message("ConfigMap", "", "", validate(GVR("", "v1", "configmaps"), {"metadata": {}},
                                                                 None)) == (
        'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required')


def test_required_containers_and_selector() -> None:
    obj = _deployment()
    del obj["spec"]["selector"]
    obj["spec"]["template"]["spec"]["containers"] = []
    fields = [c["field"] for c in validate(DEPLOYMENTS, obj, None)]
    assert fields == ["spec.selector", "spec.template.spec.containers"]


def test_job_template_and_statefulset_spec_are_immutable() -> None:
    jobs = GVR("batch", "v1", "jobs")
    job = {"metadata": {"name": "pi", "uid": "u"},
           "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}}}}
    apply_defaults(jobs, job)
    changed = copy.deepcopy(job)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "perl:5"
    causes = validate(jobs, changed, job)
    assert [(c["field"], c["message"].endswith("field is immutable")) for c in causes] == [("spec.template", True)]
    always = copy.deepcopy(job)
    always["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert validate(jobs, always, None)[0]["message"] == (
        'Unsupported value: "Always": supported values: "OnFailure", "Never"')
    sts_gvr = GVR("apps", "v1", "statefulsets")
    sts = {"metadata": {"name": "db"}, "spec": {"serviceName": "db", "selector": {"matchLabels": {"a": "b"}},
                                                "template": {"metadata": {"labels": {"a": "b"}},
                                                             "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    apply_defaults(sts_gvr, sts)
    scaled = copy.deepcopy(sts)
    scaled["spec"]["replicas"] = 3
    assert validate(sts_gvr, scaled, sts) == []
    renamed = copy.deepcopy(sts)
    renamed["spec"]["serviceName"] = "other"
    cause = validate(sts_gvr, renamed, sts)[0]
    assert cause["reason"] == "FieldValueForbidden" and cause["field"] == "spec"
    assert "updates to statefulset spec for fields other than 'replicas'" in cause["message"]


def test_service_cluster_ip_and_immutable_configmap() -> None:
    services = GVR("", "v1", "services")
    old = {"metadata": {"name": "web", "namespace": "default"}, "spec": {"ports": [{"port": 80}]}}
    apply_defaults(services, old)
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.96.9.9"
    new["spec"]["clusterIPs"] = ["10.96.9.9"]
    assert validate(services, new, old)[0]["message"] == 'Invalid value: []string{"10.96.9.9"}: may not change once set'
    configmaps = GVR("", "v1", "configmaps")
    cm = {"metadata": {"name": "c"}, "data": {"a": "1"}, "immutable": True}
    edited = {"metadata": {"name": "c"}, "data": {"a": "2"}, "immutable": True}
    assert validate(configmaps, edited, cm) == [
        {"reason": "FieldValueForbidden", "message": "Forbidden: field is immutable when `immutable` is set",
         "field": "data"}]


def test_pvc_may_only_grow() -> None:
    pvcs = GVR("", "v1", "persistentvolumeclaims")
    old = {"metadata": {"name": "d"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                                               "resources": {"requests": {"storage": "1Gi"}}}}
    grown = copy.deepcopy(old)
    grown["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert validate(pvcs, grown, old) == []
    shrunk = copy.deepcopy(old)
    shrunk["spec"]["resources"]["requests"]["storage"] = "500Mi"
    assert validate(pvcs, shrunk, old)[0]["field"] == "spec.resources.requests.storage"
    moved = copy.deepcopy(old)
    moved["spec"]["accessModes"] = ["ReadWriteMany"]
    assert validate(pvcs, moved, old)[0]["message"].startswith("Forbidden: spec is immutable after creation")
