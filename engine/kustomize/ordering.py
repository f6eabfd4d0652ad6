"""Output order: kustomize's legacy kind-priority sort, or fifo (accumulation order)."""

from __future__ import annotations

from .resource import Resource

ORDER_FIRST = (
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
)
ORDER_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")


def legacy_sort(
    resources: list[Resource],
    order_first: tuple[str, ...] | list[str] = ORDER_FIRST,
    order_last: tuple[str, ...] | list[str] = ORDER_LAST,
) -> list[Resource]:
    """Kind priority, then `<group>_<version>_<kind>`, then namespace and name."""
    priority: dict[str, int] = {}
    for i, kind in enumerate(order_first):
        priority[kind] = -len(order_first) + i
    for i, kind in enumerate(order_last):
        priority[kind] = 1 + i

    def key(r: Resource) -> tuple[int, str, str, str]:
        g = r.gvk
        return (
            priority.get(g.kind, 0),
            f"{g.group or '~G'}_{g.version or '~V'}_{g.kind or '~K'}",
            r.namespace + "~",
            r.name,
        )

    return sorted(resources, key=key)
