"""Behaviour every implementation must share with the real thing: clusters, kustomize."""
