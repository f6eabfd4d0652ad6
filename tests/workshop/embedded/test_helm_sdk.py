"""Helm's Go SDK (client-go, protobuf bodies) drives a release's whole life against the embedded cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

helm = pytest.importorskip("helm_python")


def write_chart(root: Path) -> Path:
    chart = root / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("message: hello\n")
    (chart / "templates" / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\n"
        "data:\n  message: {{ .Values.message | quote }}\n")
    return chart


@pytest.mark.parametrize("protobuf_answers", [False, True], ids=["json-answers", "protobuf-answers"])
def test_release_lifecycle(embedded_cluster, api, tmp_path, protobuf_answers):
    from kubernetes import client

    embedded_cluster._http.api.prefer_protobuf = protobuf_answers  # a real server answers client-go in protobuf
    chart = write_chart(tmp_path)
    core = client.CoreV1Api(api)
    with helm.Config(namespace="default", kubeconfig_path=embedded_cluster.kubeconfig_path) as cfg:
        cfg.install(str(chart), "demo")
        assert core.read_namespaced_config_map("demo-config", "default").data == {"message": "hello"}
        cfg.upgrade(str(chart), "demo", {"message": "second"})
        assert core.read_namespaced_config_map("demo-config", "default").data == {"message": "second"}
        cfg.rollback("demo", version=1)
        assert core.read_namespaced_config_map("demo-config", "default").data == {"message": "hello"}
        history = cfg.history("demo")
        assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"), (2, "superseded"),
                                                                    (3, "deployed")]
        assert [(r["name"], r["revision"]) for r in cfg.list()] == [("demo", 3)]
        cfg.uninstall("demo")  # client-go sends DeleteOptions as protobuf on every DELETE
        assert cfg.list(all_states=True) == []
    assert "demo-config" not in [cm.metadata.name for cm in core.list_namespaced_config_map("default").items]
    secrets = core.list_namespaced_secret("default", label_selector="owner=helm").items
    assert secrets == []
