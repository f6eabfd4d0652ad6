"""kustomize's builtin transformers; each acts on a ResMap through field specs."""
