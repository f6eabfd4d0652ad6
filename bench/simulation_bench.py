"""The embedded cluster's simulated controllers under a burst of workloads, through the official Python client.

Measures, in one process with the API server (so the simulation competes with it for the GIL): the time from
the first create of 100 Services + 100 Deployments (1 replica each, Service `app-NNNN` selects Deployment
`app-NNNN`'s pods) until `wait_settled()` returns, and the CPU the simulation's worker thread used in that
window; then the same for scaling 50 of them to 0 replicas one at a time, each followed by `wait_settled()`
(the lab node's capacity of 110 pods, kube-system included, leaves no room to scale up).
Run alone: `python -m bench.simulation_bench`.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

NAMESPACE = "bench"
WORKER = "simulated-controllers"
SERVICES, SCALED = 100, 50


def _thread_cpu(name: str) -> float:
    """User + system CPU seconds of this process's threads with this name (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for thread in threading.enumerate():
        if thread.name == name and thread.native_id:
            with open(f"/proc/self/task/{thread.native_id}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _service(i: int) -> dict[str, Any]:
    return {"metadata": {"name": f"app-{i:04d}"},
            "spec": {"selector": {"app": f"app-{i:04d}"}, "ports": [{"port": 80, "targetPort": 8080}]}}


def _deployment(i: int) -> dict[str, Any]:
    labels = {"app": f"app-{i:04d}"}
    return {"metadata": {"name": f"app-{i:04d}"},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [
                         {"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 8080}]}]}}}}


def run() -> list[dict[str, Any]]:
    import kubernetes.client

    from workshop.cluster.embedded import EmbeddedCluster

    results: list[dict[str, Any]] = []
    with EmbeddedCluster("bench") as cluster:
        api = cluster.api_client()
        try:
            core, apps = kubernetes.client.CoreV1Api(api), kubernetes.client.AppsV1Api(api)
            core.create_namespace({"metadata": {"name": NAMESPACE}})
            cluster.wait_settled(60)

            cpu, start = _thread_cpu(WORKER), time.perf_counter()
            for i in range(SERVICES):
                core.create_namespaced_service(NAMESPACE, _service(i))
                apps.create_namespaced_deployment(NAMESPACE, _deployment(i))
            cluster.wait_settled(600)
            results += [
                {"name": "100 Services + 100 Deployments until settled", "value": time.perf_counter() - start,
                 "unit": "s"},
                {"name": "100 Services + 100 Deployments: simulation CPU", "value": _thread_cpu(WORKER) - cpu,
                 "unit": "s"}]

            cpu, start = _thread_cpu(WORKER), time.perf_counter()
            for i in range(SCALED):
                apps.patch_namespaced_deployment(f"app-{i:04d}", NAMESPACE, {"spec": {"replicas": 0}})
                cluster.wait_settled(60)
            results += [
                {"name": "scale 50 Deployments to 0 one by one until settled", "value": time.perf_counter() - start,
                 "unit": "s"},
                {"name": "scale 50 Deployments to 0 one by one: simulation CPU", "value": _thread_cpu(WORKER) - cpu,
                 "unit": "s"}]
            listed = sum(len(s.addresses or []) for e in core.list_namespaced_endpoints(NAMESPACE).items
                         for s in e.subsets or [])
            if listed != SERVICES - SCALED:
                results.append({"name": "ready endpoint addresses", "value": None, "unit": "",
                                "error": f"{listed} ready addresses, expected {SERVICES - SCALED}"})
        finally:
            api.close()
    return results


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value'] if row['value'] is None else round(row['value'], 3)} {row['unit']}"
              f"{'  ' + row['error'] if row.get('error') else ''}")
