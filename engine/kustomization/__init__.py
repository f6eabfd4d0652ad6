"""kustomize-controller: build a Kustomization's path, apply it server-side, keep its inventory, prune and check health."""
