"""Lesson 04's fleet monorepo, laid out as Flux's flux2-kustomize-helm-example, on built-in kinds only.

    clusters/<env>/{infrastructure.yaml,apps.yaml}   Kustomizations infra-controllers -> infra-configs -> apps
    infrastructure/controllers/                      a namespace + Deployment standing in for ingress-nginx
    infrastructure/configs/                          a ConfigMap + NetworkPolicy that need that namespace
    apps/base/podinfo/ + apps/{staging,production}/  the app and one overlay per environment

The example installs ingress-nginx and cert-manager with Helm; here plain manifests stand in for them so the
lesson runs offline on the embedded cluster. The Flux objects are the ones real Flux would reconcile.
"""

from __future__ import annotations

from workshop.repo import LabRepo

__all__ = ["ENVIRONMENTS", "LAYOUT", "PODINFO_IMAGE", "PODINFO_TAG", "REPLICAS", "cluster_files", "write_layout"]

ENVIRONMENTS = ("staging", "production")
PODINFO_IMAGE = "ghcr.io/stefanprodan/podinfo"
#: The tag both overlays start on.
PODINFO_TAG = "6.5.0"
#: Replicas each overlay asks for: production keeps its own.
REPLICAS = {"staging": 1, "production": 2}


def _flux_kustomization(name: str, path: str, interval: str, depends_on: str = "", wait: bool = True) -> str:
    """One Flux Kustomization of clusters/<env>/, as the example writes them (field order kept)."""
    needs = f"  dependsOn:\n    - name: {depends_on}\n" if depends_on else ""
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
""" + ("  wait: true\n" if wait else "")


def _infrastructure_yaml() -> str:
    return (_flux_kustomization("infra-controllers", "./infrastructure/controllers", "1h") + "---\n"
            + _flux_kustomization("infra-configs", "./infrastructure/configs", "1h", "infra-controllers", wait=False))


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
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
spec:
  replicas: 1
  selector:
    matchLabels: {app: ingress-nginx}
  template:
    metadata:
      labels: {app: ingress-nginx}
    spec:
      containers:
      - name: controller
        image: nginx:1.25-alpine
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
    matchLabels: {app: ingress-nginx}
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
    return {f"clusters/{env}/infrastructure.yaml": _infrastructure_yaml(), f"clusters/{env}/apps.yaml": _apps_yaml(env)}


LAYOUT: dict[str, str] = {
    **{path: text for env in ENVIRONMENTS for path, text in cluster_files(env).items()},
    "infrastructure/controllers/kustomization.yaml": _kustomization("ingress-nginx.yaml"),
    "infrastructure/controllers/ingress-nginx.yaml": _CONTROLLERS,
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
