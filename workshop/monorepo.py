"""Lesson 04's fleet monorepo, laid out as Flux's flux2-kustomize-helm-example.

    clusters/<env>/{infrastructure.yaml,apps.yaml}   Kustomizations infra-controllers -> infra-configs -> apps
    infrastructure/controllers/base/                 ingress-nginx: Namespace, HelmRepository, HelmRelease
    infrastructure/controllers/{staging,production}/ the base plus a per-environment values patch
    infrastructure/configs/                          a ConfigMap + NetworkPolicy that need the controller's namespace
    apps/base/podinfo/ + apps/{staging,production}/  the app and one overlay per environment

As in the example, ingress-nginx is a HelmRelease from a HelmRepository: here the lab chart repository's
`ingress-nginx` chart, a stand-in for the real one with the same values. The repository's URL (a random
127.0.0.1 port) is not in Git: each cluster's `infra-controllers` substitutes `${chart_repository_url}` from its
`flux-system/cluster-vars` ConfigMap (`cluster_vars()`), so the commits are the same on every run.
"""

from __future__ import annotations

from typing import Any

from workshop.repo import LabRepo

__all__ = ["ENVIRONMENTS", "INGRESS_REPLICAS", "LAYOUT", "PODINFO_IMAGE", "PODINFO_TAG", "REPLICAS", "cluster_files",
           "apply_cluster_vars", "cluster_vars", "write_layout"]

ENVIRONMENTS = ("staging", "production")
PODINFO_IMAGE = "ghcr.io/stefanprodan/podinfo"
#: The tag both overlays start on.
PODINFO_TAG = "6.5.0"
#: Replicas each overlay asks for: production keeps its own.
REPLICAS = {"staging": 1, "production": 2}
#: ingress-nginx controller replicas per environment (the values patch of infrastructure/controllers/<env>).
INGRESS_REPLICAS = {"staging": 1, "production": 2}
CLUSTER_VARS = "cluster-vars"


def _flux_kustomization(name: str, path: str, interval: str, depends_on: str = "", wait: bool = True,
                        substitute: bool = False) -> str:
    """One Flux Kustomization of clusters/<env>/, as the example writes them (field order kept)."""
    needs = f"  dependsOn:\n    - name: {depends_on}\n" if depends_on else ""
    post_build = (f"  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: {CLUSTER_VARS}\n"
                  if substitute else "")
    return f"""\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
{needs}  interval: {interval}
  retryInterval: 1m
  timeout: 5m
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: {path}
  prune: true
""" + ("  wait: true\n" if wait else "") + post_build


def _infrastructure_yaml(env: str) -> str:
    return (_flux_kustomization("infra-controllers", f"./infrastructure/controllers/{env}", "1h", substitute=True)
            + "---\n"
            + _flux_kustomization("infra-configs", "./infrastructure/configs", "1h", "infra-controllers"))


def cluster_vars(chart_repository_url: str) -> dict[str, Any]:
    """The per-cluster ConfigMap `flux-system/cluster-vars` that infra-controllers substitutes from."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": CLUSTER_VARS, "namespace": "flux-system"},
            "data": {"chart_repository_url": chart_repository_url}}


def apply_cluster_vars(site: Any, chart_repository_url: str) -> str:
    """Create `flux-system/cluster-vars` in one lab cluster (what a platform team puts in each cluster once)."""
    site.client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flux-system"}},
                      field_manager="workshop")
    site.client.apply(cluster_vars(chart_repository_url), field_manager="workshop")
    return f"ConfigMap flux-system/{CLUSTER_VARS} applied"


def _apps_yaml(env: str) -> str:
    return _flux_kustomization("apps", f"./apps/{env}", "10m", "infra-configs")


def _overlay(env: str) -> str:
    return f"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: podinfo
resources:
  - ../base/podinfo
labels:
  - pairs:
      env: {env}
images:
  - name: {PODINFO_IMAGE}
    newTag: {PODINFO_TAG}
patches:
  - target:
      kind: Deployment
      name: podinfo
    patch: |
      - op: replace
        path: /spec/replicas
        value: {REPLICAS[env]}
"""


def _kustomization(*resources: str) -> str:
    lines = "".join(f"  - {r}\n" for r in resources)
    return f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{lines}"


_CONTROLLERS = """\
apiVersion: v1
kind: Namespace
metadata:
  name: ingress-nginx
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: ingress-nginx
  namespace: ingress-nginx
spec:
  interval: 24h
  url: ${chart_repository_url}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ingress-nginx
  namespace: ingress-nginx
spec:
  interval: 30m
  chart:
    spec:
      chart: ingress-nginx
      version: "4.x"
      sourceRef:
        kind: HelmRepository
        name: ingress-nginx
      interval: 12h
  values:
    controller:
      service:
        type: NodePort
"""


def _controllers_overlay(env: str) -> str:
    """infrastructure/controllers/<env>: the base plus this environment's values for the HelmRelease."""
    return f"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base
patches:
  - target:
      kind: HelmRelease
      name: ingress-nginx
    patch: |
      - op: add
        path: /spec/values/controller/replicaCount
        value: {INGRESS_REPLICAS[env]}
"""


_CONFIGS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: ingress-nginx-settings
  namespace: ingress-nginx
data:
  proxy-body-size: 8m
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-ingress-controller
  namespace: ingress-nginx
spec:
  podSelector:
    matchLabels: {app.kubernetes.io/name: ingress-nginx}
  ingress:
  - {}
"""

_PODINFO = {
    "namespace.yaml": """\
apiVersion: v1
kind: Namespace
metadata:
  name: podinfo
""",
    "deployment.yaml": f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  replicas: 1
  selector:
    matchLabels: {{app: podinfo}}
  template:
    metadata:
      labels: {{app: podinfo}}
    spec:
      containers:
      - name: podinfo
        image: {PODINFO_IMAGE}:6.4.0
        ports:
        - containerPort: 9898
""",
    "service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: podinfo
spec:
  selector: {app: podinfo}
  ports:
  - port: 9898
""",
    "kustomization.yaml": _kustomization("namespace.yaml", "deployment.yaml", "service.yaml"),
}


def cluster_files(env: str) -> dict[str, str]:
    """clusters/<env>/: the Flux Kustomizations one cluster reconciles."""
    return {f"clusters/{env}/infrastructure.yaml": _infrastructure_yaml(env),
            f"clusters/{env}/apps.yaml": _apps_yaml(env)}


LAYOUT: dict[str, str] = {
    **{path: text for env in ENVIRONMENTS for path, text in cluster_files(env).items()},
    "infrastructure/controllers/base/kustomization.yaml": _kustomization("ingress-nginx.yaml"),
    "infrastructure/controllers/base/ingress-nginx.yaml": _CONTROLLERS,
    **{f"infrastructure/controllers/{env}/kustomization.yaml": _controllers_overlay(env) for env in ENVIRONMENTS},
    "infrastructure/configs/kustomization.yaml": _kustomization("ingress-nginx-settings.yaml"),
    "infrastructure/configs/ingress-nginx-settings.yaml": _CONFIGS,
    **{f"apps/base/podinfo/{name}": text for name, text in _PODINFO.items()},
    **{f"apps/{env}/kustomization.yaml": _overlay(env) for env in ENVIRONMENTS},
}


def write_layout(repo: LabRepo, prefix: str = "") -> list[str]:
    """Write the LAYOUT files whose path starts with `prefix` into the repo's clone; their sorted paths."""
    paths = sorted(p for p in LAYOUT if p.startswith(prefix))
    if not paths:
        raise ValueError(f"no file of the lesson 04 layout starts with {prefix!r}: try 'clusters/', "
                         "'infrastructure/' or 'apps/'")
    for path in paths:
        repo.write(path, LAYOUT[path])
    return paths
