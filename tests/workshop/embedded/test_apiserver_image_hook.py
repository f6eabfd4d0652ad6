"""cluster.image_available can be set while the lab runs (a notebook starts its registry after the cluster)."""

from typing import Any

import kubernetes

POD = {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "web", "image": "registry.lab/team/web:1.0.0"}]}}


def _waiting_reason(core: Any) -> str:
    status = core.read_namespaced_pod("web", "default").status.container_statuses[0]
    return status.state.waiting.reason if status.state.waiting else "Running"


def test_image_hook_set_after_start_reaches_the_node(embedded_cluster: Any) -> None:
    embedded_cluster.image_available = lambda image: False
    core = kubernetes.client.CoreV1Api(embedded_cluster.api_client())
    core.create_namespaced_pod("default", POD)
    embedded_cluster.wait_settled(10)
    assert _waiting_reason(core) in ("ErrImagePull", "ImagePullBackOff")
    assert embedded_cluster.simulation.image_available("registry.lab/team/web:1.0.0") is False
