"""kube-aggregator's autoregistration: one local APIService (`v1.apps`, `v1.`, `v1.source.toolkit.fluxcd.io` …)
per served group version, Available because local APIServices always are."""

from __future__ import annotations

from collections.abc import Iterable

from workshop.cluster.embedded.api import GVR, Obj, ObjectStore, StoreError, WatchEvent

from .core import Context

APISERVICES = GVR("apiregistration.k8s.io", "v1", "apiservices")
CRDS = GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions")

#: spec.groupPriorityMinimum of the built-in groups (kube-apiserver's apiVersionPriorities)
GROUP_PRIORITY = {"": 18000, "apiregistration.k8s.io": 18000, "apps": 17800, "events.k8s.io": 17750,
                  "authentication.k8s.io": 17700, "authorization.k8s.io": 17600, "autoscaling": 17500,
                  "batch": 17400, "certificates.k8s.io": 17300, "networking.k8s.io": 17200, "policy": 17100,
                  "rbac.authorization.k8s.io": 17000, "storage.k8s.io": 16800, "apiextensions.k8s.io": 16700,
                  "coordination.k8s.io": 16500, "discovery.k8s.io": 16200}


def desired(group_versions: dict[str, list[str]], crd_groups: set[str], stamp: str) -> dict[str, Obj]:
    """The APIService of every served group version, by name (`<version>.<group>`)."""
    out: dict[str, Obj] = {}
    for group, versions in {"": ["v1"], **group_versions}.items():
        for i, version in enumerate(versions):
            name = f"{version}.{group}"
            crd = group in crd_groups
            out[name] = {
                "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                "metadata": {"name": name, "labels": {"kube-aggregator.kubernetes.io/automanaged":
                                                      "true" if crd else "onstart"}},
                "spec": {"group": group, "version": version,
                         "groupPriorityMinimum": 1000 if crd else GROUP_PRIORITY.get(group, 16000),
                         "versionPriority": 100 if crd else 15 - i},
                "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Local",
                                           "message": "Local APIServices are always available",
                                           "lastTransitionTime": stamp}]},
            }
    return out


class APIServiceRegistration:
    """Keeps the automanaged APIServices in step with the served group versions (CRDs add and remove groups)."""

    name = "apiservice-registration"

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        if event.gvr.group == CRDS.group and event.gvr.resource == CRDS.resource:
            yield None, "all"

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        yield None, "all"

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        registry = getattr(ctx.store, "registry", None)
        if registry is None:
            return
        crd_groups = {c.get("spec", {}).get("group", "") for c in ctx.store.list(CRDS)}
        want = desired(registry.group_versions(), crd_groups, ctx.clock.stamp())
        have = {o["metadata"]["name"]: o for o in ctx.store.list(APISERVICES)
                if (o["metadata"].get("labels") or {}).get("kube-aggregator.kubernetes.io/automanaged")}
        try:
            for key in sorted(set(have) - set(want)):
                ctx.store.delete(APISERVICES, None, key)
            for key in sorted(set(want) - set(have)):
                ctx.store.create(APISERVICES, want[key])
        except StoreError as err:
            if err.code not in (404, 409):
                raise
