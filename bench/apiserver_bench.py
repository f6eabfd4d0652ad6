"""Embedded API server latency, throughput and memory, measured with the official Python client.

The server runs as its own process (`python -m workshop.cluster.embedded`), so its peak RSS is its own.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import kubernetes.client
import kubernetes.config

NAMESPACE = "bench"
APPLY = "application/apply-patch+yaml"


@contextmanager
def embedded_server(workdir: Path, state: Path | None = None) -> Iterator[tuple[int, Path]]:
    """Start the embedded API server in a child process (journaling to `state` when given); yield (pid,
    kubeconfig)."""
    kubeconfig = workdir / "kubeconfig"
    proc = subprocess.Popen(
        [sys.executable, "-m", "workshop.cluster.embedded", "--name", "bench", "--port", "0",
         "--kubeconfig", str(kubeconfig), *(["--state", str(state)] if state else [])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not kubeconfig.is_file():
            if proc.poll() is not None or time.monotonic() > deadline:
                output = proc.stdout.read() if proc.stdout else ""
                raise RuntimeError(f"embedded API server did not start: {output}")
            time.sleep(0.05)
        time.sleep(0.2)
        yield proc.pid, kubeconfig
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set size) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def timed(fn: Callable[[int], Any], count: int) -> list[float]:
    """Run fn(i) count times; the durations in milliseconds."""
    samples = []
    for i in range(count):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def deployment(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NAMESPACE, "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{
                    "name": "web", "image": "nginx:1.27",
                    "ports": [{"containerPort": 80}],
                    "env": [{"name": f"VAR_{k}", "value": f"{k}-{i % 2}"} for k in range(10)],
                }]},
            },
        },
    }


def configmap(i: int, namespace: str = NAMESPACE) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"cm-{i:05d}", "namespace": namespace, "labels": {"bench": "yes"}},
            "data": {"index": str(i), "payload": "x" * 64}}


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="apiserver-bench-") as tmp, embedded_server(Path(tmp)) as (pid, kc):
        client = kubernetes.config.new_client_from_config(config_file=str(kc))
        core = kubernetes.client.CoreV1Api(client)
        apps = kubernetes.client.AppsV1Api(client)
        core.create_namespace({"metadata": {"name": NAMESPACE}})
        core.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": "cm-99999"}, "data": {"a": "b"}})

        get = timed(lambda i: core.read_namespaced_config_map("cm-99999", NAMESPACE), 500)

        def ssa_deployment(i: int) -> None:
            apps.patch_namespaced_deployment("web", NAMESPACE, deployment(i), field_manager="bench", force=True,
                                             _content_type=APPLY)

        ssa_deployment(0)
        ssa = timed(lambda i: ssa_deployment(i + 1), 300)

        def ssa_configmap(i: int) -> None:
            core.patch_namespaced_config_map(f"cm-{i:05d}", NAMESPACE, configmap(i), field_manager="bench",
                                             force=True, _content_type=APPLY)

        start = time.perf_counter()
        for i in range(1000):
            ssa_configmap(i)
        throughput = 1000 / (time.perf_counter() - start)

        def list_json(_: int) -> None:
            resp = core.list_namespaced_config_map(NAMESPACE, label_selector="bench=yes", _preload_content=False)
            items = json.loads(resp.data)["items"]
            if len(items) != 1000:
                raise RuntimeError(f"LIST returned {len(items)} ConfigMaps, expected 1000")

        list_raw = timed(list_json, 10)
        list_typed = timed(lambda i: core.list_namespaced_config_map(NAMESPACE, label_selector="bench=yes"), 5)

        for batch in range(9):
            namespace = f"bench-{batch}"
            core.create_namespace({"metadata": {"name": namespace}})
            for i in range(1000):
                core.create_namespaced_config_map(namespace, configmap(i, namespace))
        rss = peak_rss_mb(pid)
        client.close()

    return [
        {"name": "get configmap p50", "value": statistics.median(get), "unit": "ms", "target": 1.0},
        {"name": "ssa deployment p50", "value": statistics.median(ssa), "unit": "ms", "target": 3.0},
        {"name": "ssa 1000 configmaps", "value": throughput, "unit": "obj/s", "lower_is_better": False},
        {"name": "list 1000 (json)", "value": statistics.median(list_raw), "unit": "ms", "target": 100.0},
        {"name": "list 1000 (typed models)", "value": statistics.median(list_typed), "unit": "ms"},
        {"name": "peak rss, 10k objects", "value": rss, "unit": "MiB"},
        *custom_resource_rows(),
    ]


WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.bench.example.com"},
    "spec": {"group": "bench.example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "properties": {"spec": {
                     "type": "object", "required": ["min", "max"],
                     "x-kubernetes-validations": [{"rule": "self.min <= self.max", "message": "min exceeds max"}],
                     "properties": {"min": {"type": "integer", "minimum": 0}, "max": {"type": "integer"},
                                    "name": {"type": "string", "pattern": "^[a-z]+$", "default": "w"}}}}}}}]}}


def _create_configmaps(workdir: Path, state: Path | None) -> list[float]:
    workdir.mkdir()
    with embedded_server(workdir, state) as (_, kc):
        client = kubernetes.config.new_client_from_config(config_file=str(kc))
        core = kubernetes.client.CoreV1Api(client)
        core.create_namespace({"metadata": {"name": NAMESPACE}})
        core.create_namespaced_config_map(NAMESPACE, configmap(99999))
        samples = timed(lambda i: core.create_namespaced_config_map(NAMESPACE, configmap(i)), 300)
        client.close()
        return samples


def _create_custom_resources(workdir: Path) -> tuple[list[float], list[float]]:
    from engine.api.crds import GIT_REPOSITORY, crd_manifest

    workdir.mkdir()
    with embedded_server(workdir) as (_, kc):
        client = kubernetes.config.new_client_from_config(config_file=str(kc))
        kubernetes.client.CoreV1Api(client).create_namespace({"metadata": {"name": NAMESPACE}})
        ext = kubernetes.client.ApiextensionsV1Api(client)
        ext.create_custom_resource_definition(crd_manifest(GIT_REPOSITORY))
        ext.create_custom_resource_definition(WIDGET_CRD)
        time.sleep(0.2)
        custom = kubernetes.client.CustomObjectsApi(client)

        def gitrepo(i: int) -> None:
            custom.create_namespaced_custom_object(
                "source.toolkit.fluxcd.io", "v1", NAMESPACE, "gitrepositories",
                {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                 "metadata": {"name": f"repo-{i:04d}"},
                 "spec": {"url": f"https://example.com/org/repo-{i}", "interval": "5m", "ref": {"branch": "main"}}})

        def widget(i: int) -> None:
            custom.create_namespaced_custom_object(
                "bench.example.com", "v1", NAMESPACE, "widgets",
                {"apiVersion": "bench.example.com/v1", "kind": "Widget", "metadata": {"name": f"w-{i:04d}"},
                 "spec": {"min": 1, "max": 3 + i}})

        gitrepo(9999)
        widget(9999)
        repos, widgets = timed(gitrepo, 300), timed(widget, 300)
        client.close()
        return repos, widgets


def custom_resource_rows() -> list[dict[str, Any]]:
    """CR creates validated against their CRD schema (pattern, required, defaults) and a CEL rule, and the
    cost of journaling acknowledged writes (--state) on a ConfigMap create."""
    with tempfile.TemporaryDirectory(prefix="apiserver-bench-") as tmp:
        plain = _create_configmaps(Path(tmp) / "plain", None)
        journaled = _create_configmaps(Path(tmp) / "journaled", Path(tmp) / "state")
        repos, widgets = _create_custom_resources(Path(tmp) / "crs")
    return [
        {"name": "create configmap p50", "value": statistics.median(plain), "unit": "ms"},
        {"name": "create configmap p50, journaled (--state)", "value": statistics.median(journaled), "unit": "ms",
         "target": 2.0},
        {"name": "create GitRepository p50 (CRD schema)", "value": statistics.median(repos), "unit": "ms",
         "target": 2.0},
        {"name": "create CR p50 (schema + CEL rule)", "value": statistics.median(widgets), "unit": "ms",
         "target": 2.0},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
