"""Discovery documents: /version, /api, /apis, /api/v1, /apis/<g>/<v> (legacy) and aggregated v2."""

from __future__ import annotations

from engine.jsonobj import Obj

from .resources import SUB_VERBS, Registry, ResourceInfo

# Reported as 1.33 so that Flux 2.9's `flux check --pre` (>=1.33.0-0) accepts the lab cluster.
SERVER_VERSION = {"major": "1", "minor": "33", "gitVersion": "v1.33.4-embedded",
                  "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
                  "buildDate": "2025-04-22T00:00:00Z", "goVersion": "go1.23.6", "compiler": "gc",
                  "platform": "linux/amd64"}

AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def version_info() -> Obj:
    return dict(SERVER_VERSION)


def api_versions(server_address: str) -> Obj:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _gv(group: str, version: str) -> Obj:
    return {"groupVersion": f"{group}/{version}", "version": version}


def api_group(registry: Registry, group: str) -> Obj | None:
    versions = registry.group_versions().get(group)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group,
            "versions": [_gv(group, v) for v in versions], "preferredVersion": _gv(group, versions[0])}


def api_group_list(registry: Registry) -> Obj:
    groups = []
    for group, versions in registry.group_versions().items():
        groups.append({"name": group, "versions": [_gv(group, v) for v in versions],
                       "preferredVersion": _gv(group, versions[0])})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


#: subresources whose verbs and kind differ from the parent's: (verbs, kind)
SUBRESOURCE_KINDS: dict[str, tuple[list[str], Obj]] = {
    "token": (["create"], {"group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest"}),
    "exec": (["create", "get"], {"group": "", "version": "v1", "kind": "PodExecOptions"}),
    "attach": (["create", "get"], {"group": "", "version": "v1", "kind": "PodAttachOptions"}),
    "portforward": (["create", "get"], {"group": "", "version": "v1", "kind": "PodPortForwardOptions"}),
}


def _scale_kind() -> Obj:
    return {"group": "autoscaling", "version": "v1", "kind": "Scale"}


def resource_list(registry: Registry, group: str, version: str) -> Obj | None:
    infos = registry.for_group_version(group, version)
    if not infos:
        return None
    resources: list[Obj] = []
    for r in infos:
        entry: Obj = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind,
                      "verbs": list(r.verbs)}
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        resources.append(entry)
        for sub in r.subresources:
            s: Obj = {"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced,
                      "kind": r.kind, "verbs": list(SUB_VERBS)}
            if sub == "scale":
                s.update(_scale_kind())
            if sub == "finalize":
                s["verbs"] = ["update"]
            if sub == "log":
                s["verbs"] = ["get"]
            if sub in SUBRESOURCE_KINDS:
                s["verbs"], kind = SUBRESOURCE_KINDS[sub]
                s.update(kind)
            resources.append(s)
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


def _aggregated_resource(r: ResourceInfo) -> Obj:
    entry: Obj = {"resource": r.plural, "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                  "scope": "Namespaced" if r.namespaced else "Cluster", "singularResource": r.singular,
                  "verbs": list(r.verbs)}
    if r.short_names:
        entry["shortNames"] = list(r.short_names)
    if r.categories:
        entry["categories"] = list(r.categories)
    subs = []
    for sub in r.subresources:
        kind = _scale_kind() if sub == "scale" else {"group": r.group, "version": r.version, "kind": r.kind}
        verbs = {"finalize": ["update"], "log": ["get"]}.get(sub, list(SUB_VERBS))
        if sub in SUBRESOURCE_KINDS:
            verbs, kind = SUBRESOURCE_KINDS[sub]
        subs.append({"subresource": sub, "responseKind": kind, "verbs": verbs})
    if subs:
        entry["subresources"] = subs
    return entry


def aggregated(registry: Registry, core: bool) -> Obj:
    """APIGroupDiscoveryList for /api (core=True) or /apis."""
    items = []
    groups = {"": ["v1"]} if core else registry.group_versions()
    for group, versions in groups.items():
        items.append({"metadata": {"name": group}, "versions": [
            {"version": v, "freshness": "Current",
             "resources": [_aggregated_resource(r) for r in registry.for_group_version(group, v)]}
            for v in versions]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
            "items": items}
