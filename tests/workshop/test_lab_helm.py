"""Lab.start(helm=True): the lab chart repository on 127.0.0.1 and the same charts as OCI in the lab registry,
reachable by HelmRepositories of the lab's engine, stopped with the lab."""

from __future__ import annotations

from pathlib import Path

import requests

from engine.api import conditions
from workshop.lab import Lab

SOURCE_API = "source.toolkit.fluxcd.io/v1"


def test_helm_lab_serves_charts_over_http_and_oci(tmp_path: Path) -> None:
    lab = Lab.start("t-helm", root=tmp_path / "lab", helm=True, quiet=True)
    try:
        assert lab.charts is not None and lab.charts.running and lab.registry is not None
        assert "lab chart repository" in lab.ready_line()
        assert sorted(lab.registry.tags("charts/web")) == ["0.1.0", "0.2.0", "0.3.0-rc.1"]
        assert {"HelmRepository", "HelmChart"} <= set(lab.manager.reconcilers)
        lab.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flux-system"}})
        for name, spec in (("lab", {"url": lab.charts.url}),
                           ("lab-oci", {"url": f"oci://{lab.registry.host}/charts", "type": "oci",
                                        "insecure": True})):
            lab.client.create({"apiVersion": SOURCE_API, "kind": "HelmRepository",
                               "metadata": {"name": name, "namespace": "flux-system"},
                               "spec": {"interval": "10m", **spec}})
        for name, source in (("web", "lab"), ("web-oci", "lab-oci")):
            lab.client.create({"apiVersion": SOURCE_API, "kind": "HelmChart",
                               "metadata": {"name": name, "namespace": "flux-system"},
                               "spec": {"chart": "web", "version": "0.1.x", "interval": "10m",
                                        "sourceRef": {"kind": "HelmRepository", "name": source}}})
        lab.manager.sync(timeout=60)
        repo = lab.client.get(SOURCE_API, "HelmRepository", "lab", "flux-system")
        assert conditions.summary(repo)[0] == "True"
        for name in ("web", "web-oci"):
            chart = lab.client.get(SOURCE_API, "HelmChart", name, "flux-system")
            assert conditions.summary(chart) == ("True", "ChartPullSucceeded",
                                                 "pulled 'web' chart with version '0.1.0'")
            assert chart["status"]["artifact"]["digest"] == lab.charts.digest("web", "0.1.0")
        url = lab.charts.url
    finally:
        lab.stop()
    assert lab.charts is not None and not lab.charts.running
    try:
        requests.get(url + "index.yaml", timeout=2)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the chart repository still answers after lab.stop()")
