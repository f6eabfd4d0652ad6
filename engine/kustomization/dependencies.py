"""dependsOn: is each Kustomization this one depends on ready (kustomize-controller's rules)?

A dependency is ready when it exists, is Ready=True at its current generation and, when both use the same source,
has applied the revision this Kustomization is about to apply; `readyExpr` (CEL) replaces the built-in check.
A cycle is named in the message, since it never resolves.
"""

from __future__ import annotations

from engine.api import conditions as c
from engine.api.crds import KUSTOMIZATION
from engine.api.types import Kustomization, NamespacedName
from engine.client import Client
from engine.kustomization.fields import ready_by_expr, ready_expr_of


def dependency_problem(client: Client, ks: Kustomization, dep: NamespacedName, revision: str) -> str | None:
    """Why a dependency is not ready (Flux's dependsOn rules), or None."""
    obj = client.get(KUSTOMIZATION.api_version, KUSTOMIZATION.kind, dep.name, dep.namespace)
    if obj is None:
        return f"dependency '{dep}' not found: kustomizations.{KUSTOMIZATION.group} \"{dep.name}\" not found"
    expr = ready_expr_of(ks.obj, dep.name, dep.namespace)
    if expr:  # readyExpr replaces the built-in readiness check
        return ready_by_expr(expr, ks.obj, obj, str(dep))
    dks = Kustomization(obj)
    if not dks.status.get("conditions") or dks.generation != dks.observed_generation or not c.is_ready(obj):
        return f"dependency '{dep}' is not ready"
    same_source = all(dks.source_ref.get(k) == ks.source_ref.get(k) for k in ("kind", "name", "namespace"))
    if same_source and dks.last_applied_revision != revision:
        return f"dependency '{dep}' revision is not up to date"
    return None

def find_cycle(client: Client, start: NamespacedName) -> list[NamespacedName] | None:
    """A dependsOn cycle through `start`, read from the cluster (for a clearer message)."""
    path: list[NamespacedName] = []

    def visit(key: NamespacedName) -> list[NamespacedName] | None:
        if key in path:
            return path[path.index(key):] + [key]
        obj = client.get(KUSTOMIZATION.api_version, KUSTOMIZATION.kind, key.name, key.namespace)
        if obj is None:
            return None
        path.append(key)
        for dep in Kustomization(obj).depends_on:
            found = visit(dep)
            if found and found[0] == start:
                return found
        path.pop()
        return None

    return visit(start)
