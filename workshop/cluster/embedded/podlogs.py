"""pods/log: the simulated containers' output (simulate.logs) with kubectl's options: container, previous,
sinceSeconds/sinceTime, tailLines, limitBytes, timestamps and follow, and kube-apiserver's errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import bad_request, method_not_allowed
from .simulate.logs import instance_start, output

if TYPE_CHECKING:
    from .exchange import Request, Response, Target
    from .store import Store

FOLLOW_TICK = 0.5
FOLLOW_LIMIT = 3600.0


def _int(req: Request, name: str) -> int | None:
    text = req.query.get(name)
    if text in (None, ""):
        return None
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f'{name}: Invalid value: "{text}": must be an integer') from None
    if value < (1 if name in ("sinceSeconds", "limitBytes") else 0):
        raise bad_request(f"{name}: Invalid value: {value}: must be greater than "
                          f"{'0' if name in ('sinceSeconds', 'limitBytes') else 'or equal to 0'}")
    return value


def _container(pod: dict[str, Any], name: str | None, pod_name: str) -> dict[str, Any]:
    spec = pod.get("spec") or {}
    regular = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    everything = regular + [c for key in ("initContainers", "ephemeralContainers")
                            for c in spec.get(key) or [] if isinstance(c, dict)]
    if not name:
        if len(regular) == 1:
            return regular[0]
        raise bad_request(f"a container name must be specified for pod {pod_name}, choose one of: "
                          f"[{' '.join(str(c.get('name')) for c in regular)}]")
    for c in everything:
        if c.get("name") == name:
            return c
    raise bad_request(f"container {name} is not valid for pod {pod_name}")


def _entry(pod: dict[str, Any], name: str) -> dict[str, Any] | None:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for entry in status.get(key) or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                return entry
    return None


def _format(stamp: datetime, line: str, timestamps: bool) -> bytes:
    if timestamps:
        return f"{stamp.strftime('%Y-%m-%dT%H:%M:%S')}.{stamp.microsecond * 1000:09d}Z {line}\n".encode()
    return f"{line}\n".encode()


def serve(store: Store, req: Request, t: Target) -> Response:
    """The log of one container of a pod."""
    from .exchange import Response

    if req.method != "GET":
        raise method_not_allowed()
    with store.lock:
        pod = store.read(t.info, t.namespace, t.name or "")
    pod_name = t.name or ""
    container = _container(pod, req.query.get("container"), pod_name)
    cname = str(container.get("name"))
    entry = _entry(pod, cname) or {}
    previous = req.flag("previous")
    if previous:
        last = (entry.get("lastState") or {}).get("terminated")
        if not isinstance(last, dict):
            raise bad_request(f'previous terminated container "{cname}" in pod "{pod_name}" not found')
        state: dict[str, Any] = {"terminated": last}
    else:
        state = entry.get("state") or {}
        waiting = state.get("waiting")
        if not state or isinstance(waiting, dict):
            reason = (waiting or {}).get("reason") or "ContainerCreating"
            raise bad_request(f'container "{cname}" in pod "{pod_name}" is waiting to start: {reason}')
    start = instance_start(state) or datetime.now(UTC)
    terminated = state.get("terminated") if isinstance(state.get("terminated"), dict) else None
    lines = output(pod, container, start, crashed=bool(terminated and terminated.get("exitCode")))
    since_seconds, tail, limit = _int(req, "sinceSeconds"), _int(req, "tailLines"), _int(req, "limitBytes")
    since_time = req.query.get("sinceTime")
    cutoff = None
    if since_seconds is not None:
        cutoff = datetime.now(UTC) - timedelta(seconds=since_seconds)
    elif since_time:
        try:
            cutoff = datetime.fromisoformat(since_time.replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f'sinceTime: Invalid value: "{since_time}": must be RFC3339') from None
    if cutoff is not None:
        lines = [line for line in lines if line[0] >= cutoff]
    if tail is not None:
        lines = lines[-tail:] if tail else []
    timestamps = req.flag("timestamps")
    body = b"".join(_format(stamp, text, timestamps) for stamp, text in lines)
    if limit is not None:
        body = body[:limit]
    if not req.flag("follow") or previous or terminated is not None:
        return Response(200, body, "text/plain")
    return Response(200, None, "text/plain", stream=_follow(store, t, pod, cname, body))


def _follow(store: Store, t: Target, pod: dict[str, Any], cname: str, body: bytes) -> Iterator[bytes | None]:
    """The log so far, then heartbeats while the container keeps running (the transport ends on disconnect)."""
    if body:
        yield body
    uid = pod["metadata"].get("uid")
    deadline = time.monotonic() + FOLLOW_LIMIT
    while time.monotonic() < deadline:
        time.sleep(FOLLOW_TICK)
        with store.lock:
            current = store.find(t.info, t.namespace, t.name or "")
        if current is None or current["metadata"].get("uid") != uid:
            return
        state = (_entry(current, cname) or {}).get("state") or {}
        if "running" not in state:
            return
        yield None
