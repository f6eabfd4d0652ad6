"""Lab clusters: the embedded API server (offline default), kind, or any kubeconfig."""
