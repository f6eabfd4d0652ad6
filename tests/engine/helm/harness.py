"""A small lab for helm-controller tests: charts written here, published as HelmChart artifacts, and a
HelmRelease reconciler run the way the manager runs it (again at once when it asks for an immediate requeue)."""

from __future__ import annotations

import hashlib
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.api import conditions as c
from engine.api.crds import install_crds
from engine.api.crds_helm import HELM_CHART, HELM_KINDS, HELM_RELEASE
from engine.api.reconcile import Result
from engine.client import Client
from engine.events import EventRecorder, Logger, list_events
from engine.helm import sdk, storage
from engine.helm.reconciler import HelmReleaseReconciler

Obj = dict[str, Any]

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {app: {{ .Release.Name }}}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
      - name: web
        image: {{ .Values.image.repository }}:{{ .Values.image.tag }}
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  message: {{ .Values.message | quote }}
"""
TEST_HOOK = """\
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    helm.sh/hook: test
spec:
  restartPolicy: Never
  containers:
  - name: check
    image: busybox:1.36
    command: ["sh", "-c", "{{ .Values.testCommand }}"]
"""
SCHEMA = {
    "$schema": "https://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"replicaCount": {"type": "integer", "minimum": 0}},
}


def write_chart(root: Path, name: str = "web", version: str = "0.1.0", *, templates: dict[str, str] | None = None,
                values: Obj | None = None, schema: Obj | None = None) -> Path:
    """A chart directory: a Deployment, a ConfigMap and a test hook unless `templates` says otherwise."""
    chart = root / f"{name}-{version}"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text(yaml.safe_dump({"apiVersion": "v2", "name": name, "version": version,
                                                      "appVersion": "1.0.0"}, sort_keys=False))
    defaults = {"replicaCount": 1, "image": {"repository": "nginx", "tag": "1.25"}, "message": "hello",
                "testCommand": "exit 0"}
    (chart / "values.yaml").write_text(yaml.safe_dump(values if values is not None else defaults))
    if schema is not None:
        import json

        (chart / "values.schema.json").write_text(json.dumps(schema))
    files = templates if templates is not None else {"deployment.yaml": DEPLOYMENT, "configmap.yaml": CONFIGMAP,
                                                    "tests/test.yaml": TEST_HOOK}
    for rel, text in files.items():
        path = chart / "templates" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (chart / "templates" / "NOTES.txt").write_text("Visit {{ .Release.Name }}\n")
    return chart


@dataclass
class HelmLab:
    cluster: Any
    root: Path
    namespace: str = "apps"
    client: Client = field(init=False)
    reconciler: HelmReleaseReconciler = field(init=False)
    runs: list[Result] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = Client(self.cluster.api_client())
        install_crds(self.client, list(HELM_KINDS))
        logger = Logger()
        self.reconciler = HelmReleaseReconciler(self.client, EventRecorder(self.client, logger), logger)
        self.client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}},
                          field_manager="test")

    # -- charts --------------------------------------------------------------------------------------
    def publish(self, chart_name: str = "web", version: str = "0.1.0", *, helmchart: str = "web", **kw: Any) -> Obj:
        """Package a chart and make the HelmChart `helmchart` serve it as a Ready artifact."""
        directory = write_chart(self.root / "src", chart_name, version, **kw)
        archive = sdk.package(directory, self.root / "artifacts" / helmchart)
        data = archive.read_bytes()
        chart = {"apiVersion": HELM_CHART.api_version, "kind": "HelmChart",
                 "metadata": {"name": helmchart, "namespace": self.namespace},
                 "spec": {"chart": chart_name, "version": "*", "interval": "1m",
                          "sourceRef": {"kind": "HelmRepository", "name": "charts"}}}
        live = self.client.apply(chart, field_manager="test")
        status = {"observedGeneration": live["metadata"]["generation"],
                  "conditions": [{"type": "Ready", "status": "True", "reason": "ChartPullSucceeded",
                                  "message": f"pulled '{chart_name}' chart with version '{version}'",
                                  "lastTransitionTime": "2026-01-01T00:00:00Z"}],
                  "artifact": {"path": f"helmchart/{self.namespace}/{helmchart}/{archive.name}",
                               "url": archive.resolve().as_uri(), "revision": version,
                               "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
                               "lastUpdateTime": "2026-01-01T00:00:00Z", "size": len(data)}}
        return self.client.merge_patch(HELM_CHART.api_version, "HelmChart", helmchart, self.namespace,
                                       {"status": status}, subresource="status")

    # -- releases ------------------------------------------------------------------------------------
    def release(self, name: str = "web", *, chart: str = "web", **spec: Any) -> Obj:
        body = {"interval": "10m", "chartRef": {"kind": "HelmChart", "name": chart}, **spec}
        obj = {"apiVersion": HELM_RELEASE.api_version, "kind": "HelmRelease",
               "metadata": {"name": name, "namespace": self.namespace}, "spec": body}
        return self.client.apply(obj, field_manager="test")

    def edit(self, name: str, spec: Obj) -> Obj:
        return self.client.merge_patch(HELM_RELEASE.api_version, "HelmRelease", name, self.namespace, {"spec": spec})

    def get(self, name: str = "web") -> Obj:
        obj = self.client.get(HELM_RELEASE.api_version, "HelmRelease", name, self.namespace)
        assert obj is not None
        return obj

    def reconcile(self, name: str = "web", *, max_runs: int = 6) -> Obj:
        """Reconcile until the run does not ask to come back at once (like the manager's immediate requeue)."""
        for _ in range(max_runs):
            obj = self.client.get(HELM_RELEASE.api_version, "HelmRelease", name, self.namespace)
            if obj is None:
                return {}
            result = self.reconciler.reconcile(obj)
            self.runs.append(result)
            if result.requeue_after != 0.0:
                break
        return self.client.get(HELM_RELEASE.api_version, "HelmRelease", name, self.namespace) or {}

    def ready(self, name: str = "web") -> tuple[str, str, str]:
        return c.summary(self.get(name))

    def condition(self, type_: str, name: str = "web") -> Obj:
        return c.get_condition(self.get(name), type_) or {}

    def secrets(self, release: str = "web", namespace: str | None = None) -> list[tuple[str, str]]:
        """(Secret name, status label) of the release's storage, oldest first."""
        found = self.client.list("v1", "Secret", namespace or self.namespace,
                                 label_selector=f"name={release},owner=helm")
        return sorted(((s["metadata"]["name"], s["metadata"]["labels"]["status"]) for s in found),
                      key=lambda p: int(p[0].rsplit(".v", 1)[1]))

    def releases(self, release: str = "web") -> list[storage.Release]:
        return list(reversed(storage.history(self.client, self.namespace, release)))

    def events(self, name: str = "web") -> list[tuple[str, str, str]]:
        return [(e.get("type", ""), e.get("reason", ""), e.get("message", ""))
                for e in list_events(self.client, self.namespace, kind="HelmRelease", name=name)]

    def live(self, kind: str, name: str, api_version: str = "v1") -> Obj | None:
        return self.client.get(api_version, kind, name, self.namespace)
