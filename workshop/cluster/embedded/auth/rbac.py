"""RBAC authorization (rbac.authorization.k8s.io/v1) over the store's Roles, ClusterRoles and their bindings.

The rules that apply to a user are compiled once per user (name + groups) and cached; any write to an RBAC
resource empties the cache (the authorizer holds a store watcher on each of the four resources and only checks
whether its inbox is empty), so an authorized GET costs a dict lookup and a few set tests.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.jsonobj import Obj

from .requestinfo import Attributes
from .users import UserInfo

if TYPE_CHECKING:
    from ..store import Store, Watcher

RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_RESOURCES = ("roles", "rolebindings", "clusterroles", "clusterrolebindings")
_CACHE_LIMIT = 2048


@dataclass(frozen=True)
class Rule:
    """One PolicyRule, as sets, with the binding that grants it (for the 'allowed by' reason)."""

    verbs: frozenset[str]
    groups: frozenset[str]
    resources: frozenset[str]
    names: frozenset[str]
    urls: tuple[str, ...]
    source: str

    @classmethod
    def of(cls, rule: Obj, source: str) -> Rule:
        def strings(key: str) -> list[str]:
            value = rule.get(key) or []
            return [str(v) for v in value] if isinstance(value, list) else []

        return cls(frozenset(strings("verbs")), frozenset(strings("apiGroups")), frozenset(strings("resources")),
                   frozenset(strings("resourceNames")), tuple(strings("nonResourceURLs")), source)

    def allows(self, a: Attributes) -> bool:
        """rbac.RuleAllows: verbs, then groups/resources/names for resource requests, URLs otherwise."""
        if "*" not in self.verbs and a.verb not in self.verbs:
            return False
        if not a.resource_request:
            return any(u == "*" or u == a.path or (u.endswith("*") and a.path.startswith(u[:-1]))
                       for u in self.urls)
        if "*" not in self.groups and a.api_group not in self.groups:
            return False
        if not self._resource_matches(a):
            return False
        return not self.names or a.name in self.names

    def _resource_matches(self, a: Attributes) -> bool:
        if "*" in self.resources or a.combined_resource in self.resources:
            return True
        return bool(a.subresource) and f"*/{a.subresource}" in self.resources

    def to_json(self) -> Obj:
        if self.urls:
            return {"verbs": sorted(self.verbs), "nonResourceURLs": list(self.urls)}
        out: Obj = {"verbs": sorted(self.verbs), "apiGroups": sorted(self.groups), "resources": sorted(self.resources)}
        if self.names:
            out["resourceNames"] = sorted(self.names)
        return out


@dataclass
class Compiled:
    """Every rule that applies to one user: cluster-wide, and per namespace (from RoleBindings)."""

    cluster: list[Rule] = field(default_factory=list)
    namespaced: dict[str, list[Rule]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


def _describe_subject(subject: Obj, binding_namespace: str) -> str:
    kind, name = subject.get("kind", ""), subject.get("name", "")
    if kind == "ServiceAccount":
        return f'{kind} "{name}/{subject.get("namespace") or binding_namespace}"'
    return f'{kind} "{name}"'


def _applies(subject: Any, user: UserInfo, binding_namespace: str) -> bool:
    if not isinstance(subject, dict):
        return False
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return bool(name == user.name)
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_namespace
        return user.name == f"system:serviceaccount:{ns}:{name}"
    return False


class RBACAuthorizer:
    """Answers 'may this user do this?' from the stored RBAC objects."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[UserInfo, Compiled] = {}
        self._generation = 0
        self._lock = threading.Lock()
        reg = store.registry
        self._infos = {r: reg.find(RBAC_GROUP, "v1", r) for r in RBAC_RESOURCES}
        self._watchers: list[Watcher] = [store.watch((RBAC_GROUP, r), None)[0] for r in RBAC_RESOURCES]

    def close(self) -> None:
        for w in self._watchers:
            self.store.unwatch(w)
        self._watchers = []

    def _drain(self) -> None:
        changed = False
        for w in self._watchers:
            while True:
                try:
                    w.inbox.get_nowait()
                except queue.Empty:
                    break
                changed = True
        if changed:
            self._generation += 1
            self._cache.clear()

    def compiled(self, user: UserInfo) -> Compiled:
        """The user's rules (cached until the next RBAC write)."""
        if any(not w.inbox.empty() for w in self._watchers):
            with self._lock:
                self._drain()
        found = self._cache.get(user)
        if found is None:
            generation = self._generation
            found = self._compile(user)
            # an RBAC write that landed meanwhile sits in an inbox (or was drained): this view is not cached
            if generation == self._generation and all(w.inbox.empty() for w in self._watchers):
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[user] = found
        return found

    def _objects(self, resource: str) -> list[Obj]:
        info = self._infos[resource]
        return [] if info is None else self.store.select(info)[0]

    def _role_rules(self, kind: str, name: str, namespace: str) -> list[Obj] | None:
        resource = "roles" if kind == "Role" else "clusterroles"
        info = self._infos[resource]
        role = None if info is None else self.store.find(info, namespace if kind == "Role" else None, name)
        if role is None:
            return None
        rules = role.get("rules") or []
        return [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []

    def _compile(self, user: UserInfo) -> Compiled:
        out = Compiled()
        with self.store.lock:
            for binding in self._objects("clusterrolebindings"):
                self._add(out, binding, user, "")
            for binding in self._objects("rolebindings"):
                self._add(out, binding, user, binding["metadata"].get("namespace", ""))
        return out

    def _add(self, out: Compiled, binding: Obj, user: UserInfo, namespace: str) -> None:
        subjects = binding.get("subjects") or []
        if not isinstance(subjects, list):
            return
        ref = binding.get("roleRef") or {}
        if not isinstance(ref, dict):
            return
        kind, role_name = str(ref.get("kind", "")), str(ref.get("name", ""))
        for subject in subjects:
            if not _applies(subject, user, namespace):
                continue
            rules = self._role_rules(kind, role_name, namespace)
            if rules is None:
                what = "role" if kind == "Role" else "clusterrole"
                out.errors.append(f'{what}.{RBAC_GROUP} "{role_name}" not found')
                return
            bname = binding["metadata"]["name"]
            if namespace:
                source = f'RoleBinding "{bname}/{namespace}" of {kind} "{role_name}" to ' \
                         f"{_describe_subject(subject, namespace)}"
                target = out.namespaced.setdefault(namespace, [])
            else:
                source = f'ClusterRoleBinding "{bname}" of {kind} "{role_name}" to ' \
                         f"{_describe_subject(subject, namespace)}"
                target = out.cluster
            target.extend(Rule.of(r, source) for r in rules)
            return

    def authorize(self, user: UserInfo, attrs: Attributes) -> Decision:
        """Allowed with the granting binding as reason, or denied with RBAC's errors (missing roles) as reason."""
        compiled = self.compiled(user)
        for rule in compiled.cluster:
            if rule.allows(attrs):
                return Decision(True, f"RBAC: allowed by {rule.source}")
        if attrs.namespace:
            for rule in compiled.namespaced.get(attrs.namespace, ()):
                if rule.allows(attrs):
                    return Decision(True, f"RBAC: allowed by {rule.source}")
        if compiled.errors:
            return Decision(False, "RBAC: " + (compiled.errors[0] if len(compiled.errors) == 1 else
                                               "[" + ", ".join(compiled.errors) + "]"))
        return Decision(False)

    def rules_for(self, user: UserInfo, namespace: str) -> tuple[list[Obj], list[Obj], list[str]]:
        """(resourceRules, nonResourceRules, errors) of a user in a namespace (SelfSubjectRulesReview)."""
        compiled = self.compiled(user)
        rules = compiled.cluster + compiled.namespaced.get(namespace, [])
        resource = [r.to_json() for r in rules if not r.urls and r.resources]
        non_resource = [r.to_json() for r in rules if r.urls]
        return resource, non_resource, list(compiled.errors)
