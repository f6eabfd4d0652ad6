"""The kit's own charts, rendered by Helm itself (engine.helm.sdk): the objects a learner gets, the test hook,
values a learner knows, and values.schema.json refusing bad values."""

from __future__ import annotations

import pytest
import yaml

from engine.helm import sdk
from workshop.chart_repo import build_repository

ARCHIVES = build_repository()


def render(archive: str, values: dict, name: str = "demo") -> dict[str, list[dict]]:
    out = sdk.render(ARCHIVES[archive], values, name=name, namespace="apps")
    return {path: [d for d in yaml.safe_load_all(text) if d] for path, text in out.items()
            if not path.endswith("NOTES.txt")}


def test_web_chart_objects_and_test_hook() -> None:
    docs = render("web-0.2.0.tgz", {"replicaCount": 3, "message": "hi"})
    kinds = sorted((d["kind"], d["metadata"]["name"]) for ds in docs.values() for d in ds)
    assert kinds == [("Deployment", "demo-web"), ("Pod", "demo-web-test-connection"), ("Service", "demo-web")]
    deploy = docs["web/templates/deployment.yaml"][0]
    assert deploy["spec"]["replicas"] == 3
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/stefanprodan/podinfo:6.5.3"  # the chart's appVersion
    assert container["env"] == [{"name": "PODINFO_UI_MESSAGE", "value": "hi"}]
    hook = docs["web/templates/tests/test-connection.yaml"][0]
    assert hook["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert hook["spec"]["containers"][0]["args"][0].endswith("&& exit 0")
    failing = render("web-0.2.0.tgz", {"tests": {"simulateFailure": True}})["web/templates/tests/test-connection.yaml"]
    assert failing[0]["spec"]["containers"][0]["args"][0].endswith("|| exit 1")
    assert render("web-0.2.0.tgz", {"tests": {"enabled": False}})["web/templates/tests/test-connection.yaml"] == []


def test_ingress_nginx_stand_in_renders_the_values_learners_know() -> None:
    docs = render("ingress-nginx-4.11.3.tgz", {"controller": {
        "replicaCount": 2, "service": {"type": "NodePort", "nodePorts": {"http": 30080}},
        "config": {"use-forwarded-headers": True}, "extraArgs": {"enable-ssl-passthrough": ""},
        "ingressClassResource": {"default": True}}}, name="ingress-nginx")
    objs = {(d["kind"], d["metadata"]["name"]): d for ds in docs.values() for d in ds}
    assert set(objs) == {("ServiceAccount", "ingress-nginx"), ("ConfigMap", "ingress-nginx-controller"),
                         ("IngressClass", "nginx"), ("ClusterRole", "ingress-nginx"),
                         ("ClusterRoleBinding", "ingress-nginx"), ("Deployment", "ingress-nginx-controller"),
                         ("Service", "ingress-nginx-controller")}
    deploy = objs[("Deployment", "ingress-nginx-controller")]
    assert deploy["spec"]["replicas"] == 2
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.k8s.io/ingress-nginx/controller:v1.11.3"
    assert "--enable-ssl-passthrough" in container["args"] and "--ingress-class=nginx" in container["args"]
    assert objs[("ConfigMap", "ingress-nginx-controller")]["data"]["use-forwarded-headers"] == "true"
    service = objs[("Service", "ingress-nginx-controller")]
    assert service["spec"]["type"] == "NodePort" and service["spec"]["ports"][0]["nodePort"] == 30080
    assert objs[("IngressClass", "nginx")]["metadata"]["annotations"] == {
        "ingressclass.kubernetes.io/is-default-class": "true"}


@pytest.mark.parametrize("archive, values, message", [
    ("web-0.2.0.tgz", {"replicaCount": "two"}, "at '/replicaCount': got string, want integer"),
    ("web-0.2.0.tgz", {"service": {"type": "Ingress"}}, "at '/service/type': value must be one of"),
    ("ingress-nginx-4.11.3.tgz", {"controller": {"replicaCount": -1}}, "at '/controller/replicaCount'"),
])
def test_values_schema_refuses_bad_values(archive: str, values: dict, message: str) -> None:
    with pytest.raises(sdk.HelmSdkError, match=message.replace("(", r"\(").replace("[", r"\[")):
        sdk.render(ARCHIVES[archive], values, name="demo", namespace="apps")
