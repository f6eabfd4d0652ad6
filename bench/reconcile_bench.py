"""Reconcile benchmark: first apply of a 1,000-object Kustomization, a no-op re-reconcile, commit-to-applied
latency with the manager running in the background, and 20 Kustomizations whose health checks take ~2 s each
reconciled by the worker pool (flux's --concurrent=4), on the embedded cluster.

Run alone with `python -m bench.reconcile_bench` or through `python -m bench`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

SOURCE_API = "source.toolkit.fluxcd.io/v1"
KS_API = "kustomize.toolkit.fluxcd.io/v1"


def big_tree(n_configmaps: int = 800, n_services: int = 100, n_deployments: int = 100) -> dict[str, str]:
    """1,000 objects by default: ConfigMaps, Services and Deployments, one file per kind."""
    cms = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:04d}\ndata:\n  index: \"{i}\"\n"
                  for i in range(n_configmaps))
    svcs = "".join(f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i:04d}\nspec:\n  selector:\n"
                   f"    app: app-{i:04d}\n  ports:\n  - port: 80\n" for i in range(n_services))
    deps = "".join(f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i:04d}\nspec:\n"
                   f"  replicas: 1\n  selector:\n    matchLabels:\n      app: app-{i:04d}\n  template:\n"
                   f"    metadata:\n      labels:\n        app: app-{i:04d}\n    spec:\n      containers:\n"
                   f"      - name: app\n        image: nginx:1.27\n" for i in range(n_deployments))
    return {"big/configmaps.yaml": cms, "big/services.yaml": svcs, "big/deployments.yaml": deps}


def _create(client: Any, kind: str, name: str, spec: dict[str, Any]) -> None:
    api = SOURCE_API if kind == "GitRepository" else KS_API
    client.create({"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "default"},
                   "spec": spec})


def _latency(manager: Any, repo: Any, path: str, ks_name: str, rounds: int) -> list[float]:
    """Seconds from `git push` to `lastAppliedRevision` of the new commit, with a webhook-like trigger."""
    samples = []
    for i in range(rounds):
        repo.write(f"{path}/tick.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tick\n"
                                        f"data:\n  round: \"{i}\"\n")
        started = time.monotonic()
        sha = repo.commit(f"tick {i}")
        manager.request_reconcile("GitRepository", "fleet")  # what a Receiver webhook does
        deadline = started + 60
        while True:
            ks = manager.get("Kustomization", ks_name)
            if ks and ks.get("status", {}).get("lastAppliedRevision") == f"main@sha1:{sha}":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"commit {sha} not applied within 60s")
            time.sleep(0.005)
        samples.append(time.monotonic() - started)
    return samples


def run() -> list[dict[str, Any]]:
    from engine.events import Logger
    from engine.manager import Manager
    from workshop.cluster.embedded import EmbeddedCluster
    from workshop.repo import LabRepo

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="reconcile-bench-") as tmp:
        root = Path(tmp)
        cluster = EmbeddedCluster(name="bench", workdir=root / "cluster")
        cluster.start()
        try:
            repo = LabRepo.create(root / "git")
            for rel, text in big_tree().items():
                repo.write(rel, text)
            repo.write("small/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\n")
            repo.commit("1,000 objects")
            # as a lab runs the engine beside its embedded cluster: one dry-run in flight (workshop.lab._new_manager)
            manager = Manager(cluster.api_client(), storage_dir=root / "artifacts", logger=Logger(),
                              poll_interval=0.02, concurrent_ssa=1 if cluster.in_process else None)
            manager.install_crds()
            _create(manager.client, "GitRepository", "fleet", {"url": repo.url, "interval": "10m",
                                                               "ref": {"branch": "main"}})
            _create(manager.client, "Kustomization", "small", {
                "sourceRef": {"kind": "GitRepository", "name": "fleet"}, "path": "./small", "interval": "10m",
                "prune": True})
            manager.sync(timeout=60)
            manager.start()
            try:
                idle = sorted(_latency(manager, repo, "small", "small", 5))
            finally:
                manager.stop()
            results.append({"name": "commit-to-applied, small Kustomization, idle cluster (median of 5)",
                            "value": idle[len(idle) // 2], "unit": "s", "target": 1.0})
            _create(manager.client, "Kustomization", "big", {"sourceRef": {"kind": "GitRepository", "name": "fleet"},
                                                             "path": "./big", "interval": "10m", "prune": True})
            started = time.monotonic()
            report = manager.sync(timeout=600)
            first = time.monotonic() - started
            if not report.ok:
                raise RuntimeError(f"first apply failed:\n{report}")
            report.outcomes = [o for o in report.outcomes if o.key[2] == "big"]
            inventory = len(manager.inventory("big"))
            results.append({"name": f"first apply ({inventory} objects, incl. fetch)", "value": first, "unit": "s",
                            "target": 2.0})
            # the simulation rolls out 100 Deployments after the apply; measured apart so it does not compete
            started = time.monotonic()
            cluster.wait_settled(timeout=300)
            results.append({"name": "embedded cluster settles after the first apply (100 Deployments)",
                            "value": time.monotonic() - started, "unit": "s"})
            noop = []
            for _ in range(3):
                started = time.monotonic()
                manager.sync(timeout=600, sources=False, drift=True)
                noop.append(time.monotonic() - started)
                if manager.last_change_set("big").count("unchanged") != inventory:
                    raise RuntimeError("no-op re-reconcile changed objects")
            results.append({"name": "no-op re-reconcile (1,000 objects, settled cluster, median of 3)",
                            "value": sorted(noop)[1], "unit": "s", "target": 0.5})
            manager.client.merge_patch(KS_API, "Kustomization", "big", "default", {"spec": {"suspend": True}})
            manager.sync(timeout=60, sources=False)
            manager.start()
            try:
                small = sorted(_latency(manager, repo, "small", "small", 5))
                results.append({"name": "commit-to-applied, small Kustomization, 1,000 objects live (median of 5)",
                                "value": small[len(small) // 2], "unit": "s"})
                manager.client.merge_patch(KS_API, "Kustomization", "big", "default", {"spec": {"suspend": False}})
                big = sorted(_latency(manager, repo, "big", "big", 3))
                results.append({"name": "commit-to-applied, 1,000-object Kustomization (median of 3)",
                                "value": big[len(big) // 2], "unit": "s"})
            finally:
                manager.stop()
            _delete_big(manager, cluster)  # the lab node holds 110 pods: make room for the health-checked apps
            for workers in (4, 1):
                took, check = _health_checked_kustomizations(manager, repo, workers, 20)
                # the goal: 20 health checks / 4 workers, each as long as the median check took
                target = round(20 * check / 4 * 1.2, 1) if workers == 4 else None
                results.append({"name": f"20 Kustomizations with health checks (median {check:.1f} s), {workers} "
                                        "worker(s) per controller", "value": took, "unit": "s", "target": target})
        finally:
            cluster.stop()
    return results


def _delete_big(manager: Any, cluster: Any) -> None:
    """Delete the 1,000-object Kustomization (prune: its objects go too) and wait until its pods are gone."""
    manager.client.delete(KS_API, "Kustomization", "big", "default")
    manager.sync(timeout=120, sources=False)
    deadline = time.monotonic() + 120
    while any(p["metadata"]["name"].startswith("app-") for p in manager.client.list("v1", "Pod", "default")):
        if time.monotonic() > deadline:
            raise TimeoutError("the pruned Deployments' pods are still there after 120s")
        time.sleep(0.1)
    cluster.wait_settled(timeout=120)


def _health_checked_kustomizations(manager: Any, repo: Any, workers: int, count: int) -> tuple[float, float]:
    """Seconds until `count` new Kustomizations, each waiting for a Deployment that is Available only after
    `minReadySeconds: 1` (a ~2 s health check), are all Ready with the background manager running `workers`
    workers per controller; and the median health check duration (from their Healthy conditions)."""
    from engine.api.duration import parse_duration

    tag = f"w{workers}"
    for i in range(count):
        repo.write(f"hc/{tag}-{i:02d}/web.yaml", f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                   f"  name: hc-{tag}-{i:02d}\nspec:\n  replicas: 1\n  minReadySeconds: 1\n  selector:\n"
                   f"    matchLabels:\n      app: hc-{tag}-{i:02d}\n  template:\n    metadata:\n      labels:\n"
                   f"        app: hc-{tag}-{i:02d}\n    spec:\n      containers:\n      - name: app\n"
                   f"        image: nginx:1.27\n")
    repo.commit(f"{count} health-checked apps ({tag})")
    manager.concurrent = workers
    manager.sync(timeout=60, sources=True)  # the source has the commit; only the Kustomizations are measured
    started = time.monotonic()
    manager.start()
    try:
        for i in range(count):
            _create(manager.client, "Kustomization", f"hc-{tag}-{i:02d}", {
                "sourceRef": {"kind": "GitRepository", "name": "fleet"}, "path": f"./hc/{tag}-{i:02d}",
                "interval": "10m", "prune": True, "wait": True, "timeout": "1m"})
        names = {f"hc-{tag}-{i:02d}" for i in range(count)}
        deadline = started + 300
        checks: list[float] = []
        while names:
            for name in sorted(names):
                ks = manager.get("Kustomization", name) or {}
                conds = {c.get("type"): c for c in (ks.get("status") or {}).get("conditions") or []}
                if conds.get("Ready", {}).get("status") == "True":
                    names.discard(name)
                    checks.append(parse_duration(conds["Healthy"]["message"].rsplit(" ", 1)[-1]))
            if time.monotonic() > deadline:
                stuck = manager.get("Kustomization", min(names)) or {}
                ready = [c for c in (stuck.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"]
                raise TimeoutError(f"not Ready after 300s: {sorted(names)}; {min(names)}: {ready}")
            time.sleep(0.05)
        return time.monotonic() - started, sorted(checks)[len(checks) // 2]
    finally:
        manager.stop()


if __name__ == "__main__":
    for row in run():
        target = f"  (target < {row['target']} {row['unit']})" if row.get("target") else ""
        print(f"{row['name']}: {row['value']:.3f} {row['unit']}{target}")
