"""Flux-compatible reconcile engine: kustomize, source and kustomization controllers, image automation, CLI."""
