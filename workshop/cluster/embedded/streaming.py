"""pods/exec, pods/attach and pods/portforward: the upgrade requests (WebSocket or SPDY) kubectl and the Python
client send. The lab's pods have no kubelet or container runtime behind them, so the server answers as a real API
server answers when it cannot reach a pod's kubelet: the request is checked like kube-apiserver checks it (pod,
container, node), then refused with a `Status` before any upgrade, which clients print as
`error dialing backend: …`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ApiError, bad_request, method_not_allowed

if TYPE_CHECKING:
    from .exchange import Request, Response, Target
    from .store import Store

SUBRESOURCES = ("exec", "attach", "portforward")
KUBELET_PORT = 10250
HINT = ("the embedded lab cluster simulates pods without a kubelet or containers; use a kind cluster "
        "(workshop up --cluster kind) to exec into, attach to or port-forward to a pod")


def handles(t: Target) -> bool:
    return t.info.group == "" and t.info.plural == "pods" and t.subresource in SUBRESOURCES


def serve(store: Store, req: Request, t: Target) -> Response:
    """Validate the streaming request as kube-apiserver does, then answer 500 'error dialing backend'."""
    from .simulate.common import NODE_IP

    if req.method not in ("GET", "POST"):
        raise method_not_allowed()
    with store.lock:
        pod = store.read(t.info, t.namespace, t.name or "")
        spec = pod.get("spec") or {}
        status = pod.get("status") or {}
    if t.subresource != "portforward":
        names = [c.get("name") for c in (spec.get("containers") or []) if isinstance(c, dict)]
        names += [c.get("name") for c in (spec.get("initContainers") or []) if isinstance(c, dict)]
        names += [c.get("name") for c in (spec.get("ephemeralContainers") or []) if isinstance(c, dict)]
        container = req.query.get("container")
        if not container:
            regular = [c.get("name") for c in (spec.get("containers") or []) if isinstance(c, dict)]
            if len(regular) != 1:
                raise bad_request(f"a container name must be specified for pod {t.name}, choose one of: "
                                  f"[{' '.join(str(n) for n in regular)}]")
        elif container not in names:
            raise bad_request(f"container {container} is not valid for pod {t.name}")
        if t.subresource == "exec" and not req.query.get("command"):
            raise bad_request("you must specify at least 1 command")
    if not spec.get("nodeName"):
        raise bad_request(f"pod {t.name} does not have a host assigned")
    if t.subresource != "portforward" and status.get("phase") in ("Succeeded", "Failed"):
        raise bad_request(f"cannot {t.subresource} into a container in a completed pod; current phase is "
                          f"{status['phase']}")
    raise ApiError(500, "InternalError", f"error dialing backend: dial tcp {NODE_IP}:{KUBELET_PORT}: connect: "
                   f"connection refused ({HINT})")
