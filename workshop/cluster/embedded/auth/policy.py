"""The default RBAC policy a fresh cluster has (kube-apiserver's bootstrap policy, for the resources the lab
serves) and ClusterRole aggregation (`aggregationRule.clusterRoleSelectors`), as the clusterrole-aggregation
controller computes it."""

from __future__ import annotations

from engine.jsonobj import Obj

from ..errors import ApiError
from ..selectors import match_labels_selector

RBAC = "rbac.authorization.k8s.io"
READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
AGG = "rbac.authorization.k8s.io/aggregate-to-"


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> Obj:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def _urls(urls: list[str], verbs: list[str]) -> Obj:
    return {"nonResourceURLs": urls, "verbs": verbs}


def _meta(name: str, labels: dict[str, str] | None = None) -> Obj:
    return {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults", **(labels or {})},
            "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}}


def _role(name: str, rules: list[Obj], labels: dict[str, str] | None = None, aggregate: str | None = None) -> Obj:
    role: Obj = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": _meta(name, labels), "rules": rules}
    if aggregate:
        role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {AGG + aggregate: "true"}}]}
    return role


def _binding(name: str, role: str, groups: list[str]) -> Obj:
    return {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding", "metadata": _meta(name),
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": RBAC, "kind": "Group", "name": g} for g in groups]}


def cluster_roles() -> list[Obj]:
    """cluster-admin, admin/edit/view (aggregated), their system:aggregate-to-* parts, and the basic roles."""
    view = [
        _rule([""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
                     "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                     "services/status"], READ),
        _rule([""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                     "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"], READ),
        _rule([""], ["namespaces"], READ),
        _rule(["discovery.k8s.io"], ["endpointslices"], READ),
        _rule(["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                         "deployments/status", "replicasets", "replicasets/scale", "replicasets/status",
                         "statefulsets", "statefulsets/scale", "statefulsets/status"], READ),
        _rule(["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], READ),
        _rule(["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], READ),
        _rule(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], READ),
        _rule(["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], READ),
    ]
    edit = [
        _rule([""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"],
              READ),
        _rule([""], ["serviceaccounts"], ["impersonate"]),
        _rule([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], WRITE),
        _rule([""], ["pods/eviction"], ["create"]),
        _rule([""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                     "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"],
              WRITE),
        _rule([""], ["serviceaccounts/token"], ["create"]),
        _rule(["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                         "replicasets/scale", "statefulsets", "statefulsets/scale"], WRITE),
        _rule(["autoscaling"], ["horizontalpodautoscalers"], WRITE),
        _rule(["batch"], ["cronjobs", "jobs"], WRITE),
        _rule(["policy"], ["poddisruptionbudgets"], WRITE),
        _rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], WRITE),
        _rule(["coordination.k8s.io"], ["leases"], ALL),
    ]
    admin = [
        _rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
        _rule([RBAC], ["rolebindings", "roles"], ALL),
    ]
    discovery = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz",
                 "/version", "/version/"]
    return [
        _role("cluster-admin", [_rule(["*"], ["*"], ["*"]), _urls(["*"], ["*"])]),
        _role("admin", [], aggregate="admin"),
        _role("edit", [], {AGG + "admin": "true"}, aggregate="edit"),
        _role("view", [], {AGG + "edit": "true"}, aggregate="view"),
        _role("system:aggregate-to-admin", admin, {AGG + "admin": "true"}),
        _role("system:aggregate-to-edit", edit, {AGG + "edit": "true"}),
        _role("system:aggregate-to-view", view, {AGG + "view": "true"}),
        _role("system:basic-user", [_rule(["authorization.k8s.io"], ["selfsubjectaccessreviews",
                                                                     "selfsubjectrulesreviews"], ["create"]),
                                    _rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"])]),
        _role("system:discovery", [_urls(discovery, ["get"])]),
        _role("system:public-info-viewer", [_urls(["/healthz", "/livez", "/readyz", "/version", "/version/"],
                                                  ["get"])]),
        _role("system:auth-delegator", [_rule(["authentication.k8s.io"], ["tokenreviews"], ["create"]),
                                        _rule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"])]),
    ]


def cluster_role_bindings() -> list[Obj]:
    return [
        _binding("cluster-admin", "cluster-admin", ["system:masters"]),
        _binding("system:basic-user", "system:basic-user", ["system:authenticated"]),
        _binding("system:discovery", "system:discovery", ["system:authenticated"]),
        _binding("system:public-info-viewer", "system:public-info-viewer",
                 ["system:authenticated", "system:unauthenticated"]),
    ]


def aggregated_rules(role: Obj, roles: list[Obj]) -> list[Obj] | None:
    """The rules an aggregated ClusterRole gets from the roles its selectors match (None: not aggregated)."""
    rule = role.get("aggregationRule")
    if not isinstance(rule, dict):
        return None
    selectors = rule.get("clusterRoleSelectors") or []
    if not isinstance(selectors, list):
        return []
    preds = []
    for s in selectors:
        if isinstance(s, dict):
            try:
                pred = match_labels_selector(s)
            except (ApiError, AttributeError, TypeError):
                continue  # an invalid selector selects nothing
            preds.append(pred or (lambda _obj: True))
    out: list[Obj] = []
    name = role["metadata"]["name"]
    for other in sorted(roles, key=lambda r: r["metadata"]["name"]):
        if other["metadata"]["name"] == name or not any(p(other) for p in preds):
            continue
        for r in other.get("rules") or []:
            if isinstance(r, dict) and r not in out:
                out.append(r)
    return out


def aggregate_all(roles: list[Obj]) -> dict[str, list[Obj]]:
    """New rules for every aggregated role whose rules are out of date, repeated until nothing changes (an
    aggregated role can itself be aggregated: view → edit → admin)."""
    by_name = {r["metadata"]["name"]: dict(r) for r in roles}
    changed: dict[str, list[Obj]] = {}
    for _ in range(len(by_name) + 1):
        progress = False
        for name, role in by_name.items():
            rules = aggregated_rules(role, list(by_name.values()))
            if rules is not None and rules != (role.get("rules") or []):
                role["rules"] = rules
                changed[name] = rules
                progress = True
        if not progress:
            break
    return changed
