"""The default RBAC policy of a fresh cluster, and the clusterrole-aggregation controller that keeps aggregated
ClusterRoles' rules (admin, edit, view, and any role with an `aggregationRule`) the union of the roles they select."""

from __future__ import annotations

from collections.abc import Iterable

from workshop.cluster.embedded.api import GVR, ObjectStore, StoreError, WatchEvent
from workshop.cluster.embedded.auth.policy import aggregate_all, cluster_role_bindings, cluster_roles

from .core import Context

CLUSTERROLES = GVR("rbac.authorization.k8s.io", "v1", "clusterroles")
CLUSTERROLEBINDINGS = GVR("rbac.authorization.k8s.io", "v1", "clusterrolebindings")


def apply_aggregation(store: ObjectStore) -> None:
    """Write the aggregated rules of every aggregated ClusterRole that is out of date."""
    roles = store.list(CLUSTERROLES)
    by_name = {r["metadata"]["name"]: r for r in roles}
    for name, rules in aggregate_all(roles).items():
        role = dict(by_name[name])
        role["rules"] = rules
        store.update(CLUSTERROLES, role)


def bootstrap_rbac(store: ObjectStore) -> None:
    """kube-apiserver's bootstrap ClusterRoles and ClusterRoleBindings (system:masters → cluster-admin, …)."""
    for gvr, objs in ((CLUSTERROLES, cluster_roles()), (CLUSTERROLEBINDINGS, cluster_role_bindings())):
        for obj in objs:
            try:
                store.create(gvr, obj)
            except StoreError as err:
                if err.code != 409:
                    raise
    apply_aggregation(store)


class ClusterRoleAggregation:
    """Recomputes aggregated ClusterRoles after any ClusterRole changes."""

    name = "clusterrole-aggregation"

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        if event.gvr.group == CLUSTERROLES.group and event.gvr.resource == CLUSTERROLES.resource:
            yield None, "all"

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        yield None, "all"

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        try:
            apply_aggregation(ctx.store)
        except StoreError as err:
            if err.code != 409:
                raise
            ctx.enqueue((self.name, None, "all"))  # a concurrent write: try again with the new state
