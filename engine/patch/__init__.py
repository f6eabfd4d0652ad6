"""Patches as Kubernetes and kustomize apply them: JSON merge patch, JSON patch (RFC 6902), strategic merge."""
