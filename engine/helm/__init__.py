"""helm-controller: HelmRelease reconciled through Helm v4's own actions (engine.helm.sdk is the only SDK caller)."""
