"""Custom resources are pruned, defaulted and validated against their CRD version's schema (and CEL rules),
with a real server's 422 wording; deprecated served versions answer with a Warning header."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from engine.api.crds import crd_manifests

GITREPOS = "/apis/source.toolkit.fluxcd.io/v1/namespaces/default/gitrepositories"
KUSTOMIZATIONS = "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/default/kustomizations"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


@pytest.fixture
def url(embedded_cluster: Any, http: Any) -> str:
    for crd in crd_manifests():
        if crd["metadata"]["name"] in ("gitrepositories.source.toolkit.fluxcd.io",
                                       "kustomizations.kustomize.toolkit.fluxcd.io"):
            r = http.post(embedded_cluster.url + CRDS, json=crd, timeout=5)
            assert r.status_code in (201, 409), r.text
    return str(embedded_cluster.url)


def gitrepo(name: str = "x", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "metadata": {"name": name},
            "spec": {"url": "https://github.com/org/repo", "interval": "1m", **spec}}


def test_pattern_violation_is_422_with_the_real_wording(url: str, http: Any) -> None:
    r = http.post(url + GITREPOS, json=gitrepo(url="git@github.com:org/repo"), timeout=5)
    assert r.status_code == 422
    body = r.json()
    assert body["reason"] == "Invalid"
    assert body["message"] == ('GitRepository.source.toolkit.fluxcd.io "x" is invalid: spec.url: Invalid value: '
                               '"git@github.com:org/repo": spec.url in body should match '
                               "'^(http|https|ssh|file)://.*$'")
    assert body["details"] == {"name": "x", "group": "source.toolkit.fluxcd.io", "kind": "GitRepository",
                               "causes": [{"reason": "FieldValueInvalid", "field": "spec.url",
                                           "message": 'Invalid value: "git@github.com:org/repo": spec.url in body '
                                                      "should match '^(http|https|ssh|file)://.*$'"}]}
    assert http.get(f"{url}{GITREPOS}/x", timeout=5).status_code == 404


def test_several_causes_required_type_and_enum(url: str, http: Any) -> None:
    ks = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "k"},
          "spec": {"interval": 5, "sourceRef": {"kind": "Git", "name": "x"}}}
    r = http.post(url + KUSTOMIZATIONS, json=ks, timeout=5)
    assert r.status_code == 422
    causes = {(c["field"], c["reason"], c["message"]) for c in r.json()["details"]["causes"]}
    assert causes == {
        ("spec.interval", "FieldValueTypeInvalid",
         'Invalid value: "integer": spec.interval in body must be of type string: "integer"'),
        ("spec.sourceRef.kind", "FieldValueNotSupported",
         'Unsupported value: "Git": supported values: "OCIRepository", "GitRepository", "Bucket", '
         '"ExternalArtifact"'),
        ("spec.prune", "FieldValueRequired", "Required value"),
    }
    assert r.json()["message"].startswith('Kustomization.kustomize.toolkit.fluxcd.io "k" is invalid: [')


def test_defaults_are_applied_on_create_and_nested(url: str, http: Any) -> None:
    body = gitrepo(verify={"secretRef": {"name": "keys"}}, ref={"branch": "main"})
    r = http.post(url + GITREPOS, json=body, timeout=5)
    assert r.status_code == 201, r.text
    spec = r.json()["spec"]
    assert spec["timeout"] == "60s" and spec["verify"] == {"mode": "HEAD", "secretRef": {"name": "keys"}}
    ks = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "k"},
          "spec": {"interval": "1m", "prune": True, "sourceRef": {"kind": "GitRepository", "name": "x"},
                   "postBuild": {"substituteFrom": [{"kind": "ConfigMap", "name": "vars"}]}}}
    created = http.post(url + KUSTOMIZATIONS, json=ks, timeout=5).json()
    assert created["spec"]["force"] is False
    assert created["spec"]["postBuild"]["substituteFrom"] == [{"kind": "ConfigMap", "name": "vars",
                                                               "optional": False}]


def test_update_and_patches_are_validated_and_change_nothing(url: str, http: Any) -> None:
    created = http.post(url + GITREPOS, json=gitrepo(), timeout=5).json()
    rv = created["metadata"]["resourceVersion"]
    merge = http.patch(f"{url}{GITREPOS}/x", json={"spec": {"interval": "1 minute"}},
                       headers={"Content-Type": "application/merge-patch+json"}, timeout=5)
    assert merge.status_code == 422
    assert merge.json()["details"]["causes"][0]["field"] == "spec.interval"
    apply = http.patch(f"{url}{GITREPOS}/x?fieldManager=me&force=true",
                       data='{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"GitRepository",'
                            '"metadata":{"name":"x"},"spec":{"url":"ftp://x","interval":"1m"}}',
                       headers={"Content-Type": "application/apply-patch+yaml"}, timeout=5)
    assert apply.status_code == 422 and "spec.url in body should match" in apply.json()["message"]
    put = {**created, "spec": {**created["spec"], "timeout": "forever"}}
    assert http.put(f"{url}{GITREPOS}/x", json=put, timeout=5).status_code == 422
    assert http.get(f"{url}{GITREPOS}/x", timeout=5).json()["metadata"]["resourceVersion"] == rv


def test_null_values_are_dropped_or_defaulted_and_unknown_fields_pruned(url: str, http: Any) -> None:
    body = gitrepo(timeout=None, suspend=None, bogus=1)
    r = http.post(url + GITREPOS, json=body, timeout=5)
    assert r.status_code == 201, r.text
    spec = r.json()["spec"]
    assert spec["timeout"] == "60s" and "suspend" not in spec and "bogus" not in spec
    assert r.headers.get("Warning") == '299 - "unknown field \\"spec.bogus\\""'


def _custom_crd(versions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                     "versions": versions}}


WIDGET_SCHEMA = {"type": "object", "properties": {
    "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 8}}},
    "spec": {
    "type": "object",
    "x-kubernetes-validations": [
        {"rule": "self.minReplicas <= self.maxReplicas", "message": "minReplicas must not exceed maxReplicas"},
        {"rule": "!has(self.mode) || self.mode != 'off' || self.maxReplicas == 0",
         "fieldPath": ".mode", "reason": "FieldValueForbidden", "message": "mode off needs maxReplicas 0"},
    ],
    "properties": {
        "minReplicas": {"type": "integer", "minimum": 0, "default": 1},
        "maxReplicas": {"type": "integer", "maximum": 10, "exclusiveMaximum": True},
        "mode": {"type": "string", "x-kubernetes-validations": [
            {"rule": "self == oldSelf", "message": "mode is immutable"}]},
        "port": {"x-kubernetes-int-or-string": True},
        "size": {"type": "string", "maxLength": 3, "minLength": 2},
        "tags": {"type": "array", "maxItems": 2, "items": {"type": "string", "format": "ipv4"}},
        "labels": {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                     "x-kubernetes-preserve-unknown-fields": True},
        "note": {"type": "string", "nullable": True},
        "hosts": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                  "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}},
    }}}}


@pytest.fixture
def widgets(embedded_cluster: Any, http: Any) -> str:
    versions = [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": WIDGET_SCHEMA}},
                {"name": "v1beta1", "served": True, "storage": False, "deprecated": True,
                 "schema": {"openAPIV3Schema": WIDGET_SCHEMA}}]
    r = http.post(embedded_cluster.url + CRDS, json=_custom_crd(versions), timeout=5)
    assert r.status_code == 201, r.text
    return f"{embedded_cluster.url}/apis/example.com/v1/namespaces/default/widgets"


def widget(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"maxReplicas": 3, **spec}}


def _causes(r: requests.Response) -> list[tuple[str, str]]:
    assert r.status_code == 422, r.text
    return sorted((c["field"], c["message"]) for c in r.json()["details"]["causes"])


def test_cel_rules_with_message_field_path_and_reason(widgets: str, http: Any) -> None:
    r = http.post(widgets, json=widget(minReplicas=5), timeout=5)
    assert _causes(r) == [("spec", 'Invalid value: "object": minReplicas must not exceed maxReplicas')]
    assert r.json()["message"] == ('Widget.example.com "w" is invalid: spec: Invalid value: "object": '
                                   "minReplicas must not exceed maxReplicas")
    r = http.post(widgets, json=widget(mode="off"), timeout=5)
    assert r.json()["details"]["causes"] == [{"reason": "FieldValueForbidden", "field": "spec.mode",
                                              "message": "Forbidden: mode off needs maxReplicas 0"}]


def test_transition_rule_runs_on_update_only(widgets: str, http: Any) -> None:
    assert http.post(widgets, json=widget(mode="on"), timeout=5).status_code == 201
    r = http.patch(f"{widgets}/w", json={"spec": {"mode": "auto"}},
                   headers={"Content-Type": "application/merge-patch+json"}, timeout=5)
    assert _causes(r) == [("spec.mode", 'Invalid value: "string": mode is immutable')]


def test_cel_rules_wait_for_schema_errors(widgets: str, http: Any) -> None:
    r = http.post(widgets, json=widget(minReplicas="five"), timeout=5)
    assert _causes(r) == [
        ("<nil>", 'Invalid value: "null": some validation rules were not checked because the object was invalid; '
                  "correct the existing errors to complete validation"),
        ("spec.minReplicas", 'Invalid value: "string": spec.minReplicas in body must be of type integer: "string"'),
    ]


def test_ranges_lengths_counts_formats_and_int_or_string(widgets: str, http: Any) -> None:
    r = http.post(widgets, json=widget(maxReplicas=10, minReplicas=-1, size="abcd", tags=["1.2.3.4", "x", "y"],
                                       labels={"a": "1", "b": "2"}, port=True), timeout=5)
    assert _causes(r) == [
        ("<nil>", 'Invalid value: "null": some validation rules were not checked because the object was invalid; '
                  "correct the existing errors to complete validation"),
        ("spec.labels", "Too many: 2: must have at most 1 item"),
        ("spec.maxReplicas", "Invalid value: 10: spec.maxReplicas in body should be less than 10"),
        ("spec.minReplicas", "Invalid value: -1: spec.minReplicas in body should be greater than or equal to 0"),
        ("spec.port", 'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"'),
        ("spec.size", "Too long: may not be more than 3 bytes"),
        ("spec.tags", "Too many: 3: must have at most 2 items"),
        ("spec.tags[1]", 'Invalid value: "x": spec.tags[1] in body must be of type ipv4: "x"'),
        ("spec.tags[2]", 'Invalid value: "y": spec.tags[2] in body must be of type ipv4: "y"'),
    ]
    r = http.post(widgets, json=widget(size="a"), timeout=5)
    assert _causes(r) == [("spec.size", 'Invalid value: "a": spec.size in body should be at least 2 chars long')]
    ok = http.post(widgets, json=widget(port="http", note=None, extra={"any": {"thing": 1}}), timeout=5)
    assert ok.status_code == 201, ok.text
    spec = ok.json()["spec"]
    assert spec["port"] == "http" and spec["note"] is None and spec["extra"] == {"any": {"thing": 1}}
    assert spec["minReplicas"] == 1


def test_embedded_resource_needs_apiversion_and_kind_and_keeps_metadata(widgets: str, http: Any) -> None:
    r = http.post(widgets, json=widget(template={"metadata": {"name": "t"}}), timeout=5)
    assert _causes(r) == [
        ("<nil>", 'Invalid value: "null": some validation rules were not checked because the object was invalid; '
                  "correct the existing errors to complete validation"),
        ("spec.template.apiVersion", "Required value: must not be empty"),
        ("spec.template.kind", "Required value: must not be empty")]
    template = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t", "bogus": 1}, "data": {"a": "b"}}
    ok = http.post(widgets, json=widget(template=template), timeout=5)
    assert ok.status_code == 201, ok.text
    assert ok.json()["spec"]["template"] == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t"},
                                             "data": {"a": "b"}}


def test_every_served_version_is_served_and_deprecated_ones_warn(widgets: str, http: Any) -> None:
    beta = widgets.replace("/v1/", "/v1beta1/")
    r = http.post(beta, json={**widget(), "apiVersion": "example.com/v1beta1"}, timeout=5)
    assert r.status_code == 201, r.text
    assert r.headers["Warning"] == '299 - "example.com/v1beta1 Widget is deprecated; use example.com/v1 Widget"'
    assert r.json()["apiVersion"] == "example.com/v1beta1"
    got = http.get(f"{widgets}/w", timeout=5)
    assert got.json()["apiVersion"] == "example.com/v1" and "Warning" not in got.headers
    assert http.get(beta, timeout=5).headers["Warning"].startswith('299 - "example.com/v1beta1 Widget')


def test_schema_change_on_crd_update_takes_effect(embedded_cluster: Any, http: Any, widgets: str) -> None:
    assert http.post(widgets, json=widget(size="abcdef"), timeout=5).status_code == 422
    crd = http.get(f"{embedded_cluster.url}{CRDS}/widgets.example.com", timeout=5).json()
    for v in crd["spec"]["versions"]:
        v["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["size"]["maxLength"] = 10
    assert http.put(f"{embedded_cluster.url}{CRDS}/widgets.example.com", json=crd, timeout=5).status_code == 200
    assert http.post(widgets, json=widget(size="abcdef"), timeout=5).status_code == 201


def test_root_metadata_schema_narrows_the_name(widgets: str, http: Any) -> None:
    r = http.post(widgets, json={**widget(), "metadata": {"name": "much-too-long"}}, timeout=5)
    assert _causes(r)[1:] == [("metadata.name", "Too long: may not be more than 8 bytes")]  # [0]: CEL not run


def test_list_type_set_and_map_refuse_duplicates(widgets: str, http: Any) -> None:
    r = http.post(widgets, json=widget(hosts=["a", "b", "a", "a"],
                                       ports=[{"name": "http", "port": 80}, {"name": "http", "port": 81}]),
                  timeout=5)
    assert r.json()["details"]["causes"] == [
        {"reason": "FieldValueDuplicate", "message": 'Duplicate value: "a"', "field": "spec.hosts[2]"},
        {"reason": "FieldValueDuplicate", "message": 'Duplicate value: map[string]interface {}{"name":"http"}',
         "field": "spec.ports[1]"},
    ]


def test_kubernetes_cel_library_functions_and_eval_errors(embedded_cluster: Any, http: Any) -> None:
    schema = {"type": "object", "properties": {"spec": {
        "type": "object", "x-kubernetes-preserve-unknown-fields": True,
        "x-kubernetes-validations": [
            {"rule": "self.name.lowerAscii() == self.name", "message": "name must be lower case"},
            {"rule": "self.parts.join('-').split('-').size() == self.parts.size()"},
            {"rule": "self.sizes.isSorted()", "messageExpression": "'the ' + string(self.sizes.size()) + ' sizes are not sorted'"},
            {"rule": "self.missing.x == 1"},
        ]}}}
    crd = _custom_crd([{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}])
    assert http.post(embedded_cluster.url + CRDS, json=crd, timeout=5).status_code == 201
    url = f"{embedded_cluster.url}/apis/example.com/v1/namespaces/default/widgets"
    body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"name": "Web", "parts": ["a", "b"], "sizes": [2, 1]}}
    assert _causes(http.post(url, json=body, timeout=5)) == [
        ("spec", 'Invalid value: "object": name must be lower case'),
        ("spec", 'Invalid value: "object": no such key: missing evaluating rule: self.missing.x == 1'),
        ("spec", 'Invalid value: "object": the 2 sizes are not sorted'),
    ]


def test_crd_with_a_non_structural_schema_or_a_broken_rule_is_refused(embedded_cluster: Any, http: Any) -> None:
    schema = {"type": "object", "properties": {"spec": {
        "properties": {"list": {"type": "array"}, "name": {"type": "string", "pattern": "("}},
        "x-kubernetes-validations": [{"rule": "self.x >"}]}}}
    crd = _custom_crd([{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}])
    r = http.post(embedded_cluster.url + CRDS, json=crd, timeout=5)
    root = "spec.versions[0].schema.openAPIV3Schema.properties[spec]"
    assert [(c["field"], c["reason"]) for c in r.json()["details"]["causes"]] == [
        (f"{root}.properties[list].items", "FieldValueRequired"),
        (f"{root}.properties[name].pattern", "FieldValueInvalid"),
        (f"{root}.type", "FieldValueRequired"),
        (f"{root}.x-kubernetes-validations[0].rule", "FieldValueInvalid"),
    ]
    assert r.json()["message"].startswith(
        'CustomResourceDefinition.apiextensions.k8s.io "widgets.example.com" is invalid: '
        f"[{root}.properties[list].items: Required value: must be specified, ")
    assert "compilation failed: ERROR: <input>:1:9: Syntax error" in r.json()["message"]
    assert http.get(f"{embedded_cluster.url}{CRDS}/widgets.example.com", timeout=5).status_code == 404


def test_tightened_schema_does_not_lock_existing_objects(embedded_cluster: Any, http: Any, widgets: str) -> None:
    made = http.post(widgets, json=widget(size="abc"), timeout=5).json()
    crd = http.get(f"{embedded_cluster.url}{CRDS}/widgets.example.com", timeout=5).json()
    for v in crd["spec"]["versions"]:
        v["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["size"]["maxLength"] = 2
    assert http.put(f"{embedded_cluster.url}{CRDS}/widgets.example.com", json=crd, timeout=5).status_code == 200
    patch = {"metadata": {"labels": {"touched": "yes"}}}
    r = http.patch(f"{widgets}/w", json=patch, headers={"Content-Type": "application/merge-patch+json"}, timeout=5)
    assert r.status_code == 200, r.text  # the old, now too long, size is ratcheted
    r = http.patch(f"{widgets}/w", json={"spec": {"size": "abcd"}},
                   headers={"Content-Type": "application/merge-patch+json"}, timeout=5)
    assert _causes(r)[-1] == ("spec.size", "Too long: may not be more than 2 bytes")
    assert made["spec"]["size"] == "abc"
