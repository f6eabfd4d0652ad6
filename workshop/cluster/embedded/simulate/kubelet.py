"""The scheduler and the kubelet of the lab's single node: bind pods, pull images, start and finish containers.

A pod moves one visible step per reconcile (Pending -> ContainerCreating -> Running), so `kubectl get pods -w`
shows the same progression as on kind.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import shlex
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from workshop.cluster.embedded.api import Obj, ObjectStore, StoreError, WatchEvent

from . import images
from .common import NODE_IP, NODE_NAME, NODES, PODS, deep, deleting, parse_timestamp
from .configrefs import SOURCES, missing_config
from .core import Context

POD_CIDR = ipaddress.ip_network("10.244.0.0/24")
SCHEDULER = "default-scheduler"
BACKOFF_START = 10.0
BACKOFF_MAX = 300.0

TOO_MANY_PODS = ("0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: "
                 "1 No preemption victims found for incoming pod.")

_EXIT = re.compile(r"\bexit\s+(\d+)")


def pod_ip_for(namespace: str, name: str, taken: Callable[[str], bool]) -> str:
    """A pod IP in 10.244.0.0/24 derived from the pod's identity, skipping addresses `taken` reports in use."""
    hosts = POD_CIDR.num_addresses - 3
    start = int.from_bytes(hashlib.sha256(f"{namespace}/{name}".encode()).digest()[:4], "big") % hosts
    for step in range(hosts):
        candidate = str(POD_CIDR.network_address + 2 + (start + step) % hosts)
        if not taken(candidate):
            return candidate
    raise RuntimeError("pod CIDR 10.244.0.0/24 is exhausted")


def _holds_ip(pod: Obj, ip: str) -> bool:
    """Whether a pod that is not finished has this pod IP."""
    status = pod.get("status") or {}
    return status.get("podIP") == ip and status.get("phase") not in ("Succeeded", "Failed")


def _occupies_node(pod: Obj) -> bool:
    """Whether a pod counts against the node's pod capacity: bound to it and not finished."""
    return bool((pod.get("spec") or {}).get("nodeName")) and (pod.get("status") or {}).get("phase") not in (
        "Succeeded", "Failed")


def node_pod_capacity(node: Obj) -> int:
    """status.allocatable.pods of the node (kind's 110)."""
    status = node.get("status") or {}
    try:
        return int((status.get("allocatable") or status.get("capacity") or {}).get("pods", 110))
    except (TypeError, ValueError):
        return 110


def restart_delay(restarts: int) -> float:
    """The kubelet's crash back-off: 10s doubling per restart, capped at 5 minutes."""
    return min(BACKOFF_START * 2 ** max(0, restarts - 1), BACKOFF_MAX)


def go_duration(seconds: float) -> str:
    """A duration as Go prints it: 10s, 1m20s, 5m0s."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    return f"{whole // 60}m{whole % 60}s"


def container_id(pod: Obj, container: str, restart: int = 0) -> str:
    seed = f"{pod['metadata'].get('uid', '')}/{pod['metadata']['name']}/{container}/{restart}"
    return "containerd://" + hashlib.sha256(seed.encode()).hexdigest()


def exit_code(container: dict[str, Any]) -> int | None:
    """How the simulated process ends: `exit N`, `false`, `true` in command/args; None runs until stopped."""
    words = [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]
    text = " ".join(words)
    match = _EXIT.search(text)
    if match:
        return int(match.group(1))
    try:
        tokens = shlex.split(text)
    except ValueError:
        tokens = words
    if tokens and tokens[0].rsplit("/", 1)[-1] == "false":
        return 1
    if tokens and tokens[0].rsplit("/", 1)[-1] == "true":
        return 0
    return None


_SERVES = re.compile(r"sleep\s+infinity|tail\s+-f|while\s+(true|:)|http\.server|\bnginx\b|\bhttpd\b|"
                     r"redis-server|\bpostgres\b|\bserve\b|--port\b|--listen\b|daemon off|\bnc\s+-l")


_PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


def serves(container: dict[str, Any]) -> bool:
    """Whether a container's command runs a server or waits forever (so it never completes on its own)."""
    if exit_code(container) is not None:
        return False
    return bool(_SERVES.search(" ".join(str(w) for w in (container.get("command") or []) +
                                        (container.get("args") or []))))


def ignores_sigterm(container: dict[str, Any]) -> bool:
    """A shell or sleep running as PID 1 without a trap ignores SIGTERM: the kubelet waits out the grace period."""
    words = [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]
    if not words:
        return False
    first = words[0].rsplit("/", 1)[-1]
    return first in ("sh", "bash", "ash", "sleep", "tail") and "trap" not in " ".join(words)


def listens(container: dict[str, Any]) -> bool:
    """Whether a container declares ports or a network probe (something listens), with no `exit N` command."""
    if exit_code(container) is not None:
        return False
    return bool(container.get("ports")) or any(isinstance(container.get(p), dict) and bool(
        {"tcpSocket", "httpGet", "grpc"} & set(container[p])) for p in _PROBES)


def runs_to_completion(pod: Obj) -> bool:
    """Job pods and restartPolicy Never/OnFailure pods with a command finish, unless the command runs a server
    (`nginx -g 'daemon off;'`, `python -m http.server`, `sleep infinity` …); servers keep running."""
    spec = pod.get("spec") or {}
    if spec.get("restartPolicy", "Always") == "Always":
        return False
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    if any(serves(c) for c in containers):
        return False
    refs = (pod.get("metadata") or {}).get("ownerReferences") or []
    if any(r.get("kind") == "Job" for r in refs):
        return True
    if any(listens(c) for c in containers):
        return False  # a bare pod whose container declares ports or a network probe serves (port-server.py)
    return any(c.get("command") or c.get("args") for c in containers)


def _cond(type_: str, status: str, now: str, reason: str | None = None, message: str | None = None,
          old: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    previous = next((c for c in old or [] if c.get("type") == type_), None)
    cond: dict[str, Any] = {"lastProbeTime": None, "lastTransitionTime": now, "status": status, "type": type_}
    if previous is not None and previous.get("status") == status:
        cond["lastTransitionTime"] = previous.get("lastTransitionTime", now)
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def _conditions(pod: Obj, now: str, *, sandbox: bool, ready: bool, unready: list[str],
                finished: str | None = None, uninitialized: list[str] | None = None) -> list[dict[str, Any]]:
    old = (pod.get("status") or {}).get("conditions") or []
    if finished:
        return [
            _cond("PodReadyToStartContainers", "False", now, old=old),
            _cond("Initialized", "True", now, "PodCompleted", old=old),
            _cond("Ready", "False", now, finished, old=old),
            _cond("ContainersReady", "False", now, finished, old=old),
            _cond("PodScheduled", "True", now, old=old),
        ]
    message = f"containers with unready status: [{' '.join(unready)}]"
    return [
        _cond("PodReadyToStartContainers", "True" if sandbox else "False", now, old=old),
        _cond("Initialized", "False", now, "ContainersNotInitialized",
              f"containers with incomplete status: [{' '.join(uninitialized)}]", old=old) if uninitialized else
        _cond("Initialized", "True", now, old=old),
        _cond("Ready", "True", now, old=old) if ready else
        _cond("Ready", "False", now, "ContainersNotReady", message, old=old),
        _cond("ContainersReady", "True", now, old=old) if ready else
        _cond("ContainersReady", "False", now, "ContainersNotReady", message, old=old),
        _cond("PodScheduled", "True", now, old=old),
    ]


def _mounts(container: dict[str, Any]) -> list[dict[str, Any]]:
    mounts = []
    for mount in container.get("volumeMounts") or []:
        entry = {"mountPath": mount.get("mountPath"), "name": mount.get("name")}
        if mount.get("readOnly"):
            entry["readOnly"] = True
            entry["recursiveReadOnly"] = "Disabled"
        mounts.append(entry)
    return mounts


def _base_status(container: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = {"image": container.get("image", ""), "imageID": "", "lastState": {},
                              "name": container.get("name", ""), "ready": False, "restartCount": 0,
                              "started": False}
    mounts = _mounts(container)
    if mounts:
        status["volumeMounts"] = mounts
    return status


class Kubelet:
    """Scheduler + kubelet for every pod in the lab."""

    name = "kubelet"

    def __init__(self) -> None:
        from .system import PRELOADED

        self._images: set[str] = {images.normalize(i) for i in PRELOADED}  # a kind node image's own images
        self._killing: set[tuple[str, str, str]] = set()  # terminating pods whose containers were told to stop
        self._backoff: dict[tuple[str, str], float] = {}
        self._restart_at: dict[tuple[str, str], datetime] = {}
        self._waiting_for_config: dict[tuple[str, str, str], set[str]] = {}
        self._on_node: set[tuple[str, str]] = set()  # pods bound to the node and not finished
        self._unschedulable: dict[tuple[str, str], None] = {}  # waiting for room on the node, oldest first

    def keys_for(self, event: WatchEvent) -> Iterable[tuple[str | None, str]]:
        meta = event.obj.get("metadata") or {}
        if event.gvr == PODS:
            key = (meta.get("namespace", ""), meta.get("name", ""))
            if event.type != "DELETED" and _occupies_node(event.obj):
                self._on_node.add(key)
            elif key in self._on_node:
                self._on_node.discard(key)
                yield from self._retry_unschedulable()
            if event.type == "DELETED":
                self._unschedulable.pop(key, None)
            else:
                yield key
        elif event.gvr in SOURCES and event.type != "DELETED":
            ref = (SOURCES[event.gvr], meta.get("namespace", ""), meta.get("name", ""))
            for pod in sorted(self._waiting_for_config.pop(ref, set())):
                yield ref[1], pod

    def resync(self, store: ObjectStore) -> Iterable[tuple[str | None, str]]:
        for pod in store.list(PODS):
            key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
            if _occupies_node(pod):
                self._on_node.add(key)
            yield key

    def reconcile(self, ctx: Context, namespace: str | None, name: str) -> None:
        pod = ctx.store.get(PODS, namespace, name)
        if pod is None:
            return
        if deleting(pod):
            self._terminate(ctx, pod)
            return
        spec = pod.get("spec") or {}
        status = pod.get("status") or {}
        if status.get("phase") in ("Succeeded", "Failed"):
            return
        if not spec.get("nodeName"):
            self._schedule(ctx, pod)
        elif not any(c.get("type") == "PodScheduled" and c.get("status") == "True"
                     for c in status.get("conditions") or []) and not status.get("containerStatuses"):
            self._mark_scheduled(ctx, pod)
        elif not status.get("containerStatuses"):
            self._create_sandbox(ctx, pod)
        else:
            self._progress(ctx, pod)

    # ------------------------------------------------------------ termination
    def _terminate(self, ctx: Context, pod: Obj) -> None:
        """A pod deleted gracefully: stop its containers (Killing), then remove it; a container that ignores
        SIGTERM (a shell or sleep as PID 1) holds the pod Terminating until its grace period ends."""
        meta = pod["metadata"]
        if meta.get("finalizers") or not meta.get("deletionGracePeriodSeconds"):
            return  # finalizers hold it, or it is not a graceful pod deletion
        key = (meta["namespace"], meta["name"], meta.get("uid", ""))
        running = [s.get("name") for s in (pod.get("status") or {}).get("containerStatuses") or []
                   if "running" in (s.get("state") or {})]
        if key not in self._killing:
            self._killing.add(key)
            for name in running:
                ctx.event(pod, "Killing", f"Stopping container {name}", component="kubelet")
        containers = {c.get("name"): c for c in (pod.get("spec") or {}).get("containers") or []}
        due = parse_timestamp(meta.get("deletionTimestamp"))
        if due is not None and due > ctx.clock.now() and any(ignores_sigterm(containers.get(n) or {})
                                                             for n in running):
            ctx.schedule((self.name, meta["namespace"], meta["name"]), due)
            return
        self._killing.discard(key)
        try:
            ctx.store.delete(PODS, meta["namespace"], meta["name"])
        except StoreError as err:
            if err.code != 404:
                raise

    # ------------------------------------------------------------ scheduler
    def _schedule(self, ctx: Context, pod: Obj) -> None:
        if (pod.get("spec") or {}).get("schedulerName", SCHEDULER) != SCHEDULER:
            return
        node = ctx.store.get(NODES, None, NODE_NAME)
        if node is None:
            return
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        if len(self._on_node) >= node_pod_capacity(node):
            self._unschedulable[key] = None
            self._mark_unschedulable(ctx, pod)
            return
        self._unschedulable.pop(key, None)
        bound = deep(pod)
        bound["spec"]["nodeName"] = NODE_NAME
        bound = ctx.store.update(PODS, bound)
        self._on_node.add(key)
        self._mark_scheduled(ctx, bound)
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        ctx.event(bound, "Scheduled", f"Successfully assigned {ns}/{name} to {NODE_NAME}", component=SCHEDULER)

    def _retry_unschedulable(self) -> Iterable[tuple[str | None, str]]:
        """A pod left the node: the oldest pods waiting for room get another scheduling attempt."""
        for _ in range(min(2, len(self._unschedulable))):
            key = next(iter(self._unschedulable))
            del self._unschedulable[key]
            yield key

    def _mark_unschedulable(self, ctx: Context, pod: Obj) -> None:
        """PodScheduled False/Unschedulable and one FailedScheduling Warning, as kube-scheduler reports a full node."""
        status = pod.get("status") or {}
        if any(c.get("type") == "PodScheduled" and c.get("reason") == "Unschedulable"
               for c in status.get("conditions") or []):
            return
        updated = deep(pod)
        new_status = updated.setdefault("status", {})
        new_status["phase"] = "Pending"
        new_status["conditions"] = [_cond("PodScheduled", "False", ctx.clock.stamp(), "Unschedulable",
                                          TOO_MANY_PODS)]
        ctx.store.update(PODS, updated, subresource="status")
        ctx.event(pod, "FailedScheduling", TOO_MANY_PODS, type_="Warning", component=SCHEDULER)

    def _mark_scheduled(self, ctx: Context, pod: Obj) -> None:
        updated = deep(pod)
        status = updated.setdefault("status", {})
        status.setdefault("phase", "Pending")
        status["conditions"] = [_cond("PodScheduled", "True", ctx.clock.stamp())]
        ctx.store.update(PODS, updated, subresource="status")

    # ------------------------------------------------------------ kubelet
    def _create_sandbox(self, ctx: Context, pod: Obj) -> None:
        now = ctx.clock.stamp()
        updated = deep(pod)
        spec = updated.get("spec") or {}
        status = updated.setdefault("status", {})
        containers = spec.get("containers") or []
        statuses = []
        inits = spec.get("initContainers") or []
        for container in containers:
            entry = _base_status(container)
            entry["state"] = {"waiting": {"reason": "PodInitializing" if inits else "ContainerCreating"}}
            statuses.append(entry)
        status.update({
            "conditions": _conditions(pod, now, sandbox=False, ready=False,
                                      unready=[c.get("name", "") for c in containers],
                                      uninitialized=[c.get("name", "") for c in inits]),
            "containerStatuses": statuses,
            "hostIP": NODE_IP,
            "hostIPs": [{"ip": NODE_IP}],
            "phase": "Pending",
            "startTime": now,
        })
        if spec.get("initContainers"):
            status["initContainerStatuses"] = []
            for container in spec["initContainers"]:
                entry = _base_status(container)
                entry["state"] = {"waiting": {"reason": "PodInitializing"}}
                status["initContainerStatuses"].append(entry)
        ctx.store.update(PODS, updated, subresource="status")

    def _pod_ip(self, ctx: Context, pod: Obj) -> str:
        current = (pod.get("status") or {}).get("podIP")
        if current:
            return current
        if (pod.get("spec") or {}).get("hostNetwork"):
            return NODE_IP  # a host-network pod has the node's address

        def taken(ip: str) -> bool:
            return bool(ctx.store.list(PODS, where=lambda p: _holds_ip(p, ip)))

        return pod_ip_for(pod["metadata"]["namespace"], pod["metadata"]["name"], taken)

    def _pull(self, ctx: Context, pod: Obj, container: dict[str, Any]) -> tuple[str, str] | str:
        """Pull (or find) the image: the normalised reference, or (reason, message) on failure."""
        image = container.get("image", "")
        try:
            normalized = images.normalize(image)
        except images.InvalidImageName as err:
            ctx.event(pod, "InspectFailed", str(err), type_="Warning", component="kubelet")
            ctx.event(pod, "Failed", "Error: InvalidImageName", type_="Warning", component="kubelet")
            return "InvalidImageName", str(err)
        policy = container.get("imagePullPolicy", "IfNotPresent")
        if policy == "IfNotPresent" and normalized in self._images or policy == "Never":
            if policy == "Never" and normalized not in self._images and not ctx.image_available(image):
                message = f'Container image "{image}" is not present with pull policy of Never'
                ctx.event(pod, "ErrImageNeverPull", message, type_="Warning", component="kubelet")
                return "ErrImageNeverPull", message
            ctx.event(pod, "Pulled", f'Container image "{image}" already present on machine', component="kubelet")
            return normalized
        ctx.event(pod, "Pulling", f'Pulling image "{image}"', component="kubelet")
        if not ctx.image_available(image):
            detail = images.pull_error(image, normalized)
            ctx.event(pod, "Failed", f'Failed to pull image "{image}": {detail}', type_="Warning",
                      component="kubelet")
            ctx.event(pod, "Failed", "Error: ErrImagePull", type_="Warning", component="kubelet")
            return "ErrImagePull", detail
        self._images.add(normalized)
        seconds = 0.5 + (images.image_size(normalized) % 1500) / 1000
        ctx.event(pod, "Pulled", f'Successfully pulled image "{image}" in {seconds:.3f}s ({seconds:.3f}s '
                  f"including waiting). Image size: {images.image_size(normalized)} bytes.", component="kubelet")
        return normalized

    def _start(self, ctx: Context, pod: Obj, container: dict[str, Any], entry: dict[str, Any], now: str,
               normalized: str) -> None:
        name = container.get("name", "")
        entry["imageID"] = images.image_id(normalized)
        entry["image"] = normalized if "@" not in normalized else entry["image"]
        entry["containerID"] = container_id(pod, name, entry.get("restartCount", 0))
        entry["state"] = {"running": {"startedAt": now}}
        entry["ready"] = True
        entry["started"] = True
        ctx.event(pod, "Created", f"Created container {name}", component="kubelet")
        ctx.event(pod, "Started", f"Started container {name}", component="kubelet")

    def _progress(self, ctx: Context, pod: Obj) -> None:
        now = ctx.clock.stamp()
        updated = deep(pod)
        spec = updated.get("spec") or {}
        status = updated["status"]
        containers = {c.get("name"): c for c in spec.get("containers") or []}
        statuses: list[dict[str, Any]] = status.get("containerStatuses") or []
        changed = False
        if self._initialise(ctx, pod, updated, now):
            return
        for entry in statuses:
            container = containers.get(entry.get("name"), {})
            waiting = (entry.get("state") or {}).get("waiting")
            running = (entry.get("state") or {}).get("running")
            if waiting is not None:
                changed |= self._advance_waiting(ctx, pod, container, entry, waiting, now)
            elif running is not None and self._finishes(pod, container):
                code = exit_code(container) or 0
                terminated = {"containerID": entry.get("containerID"), "exitCode": code, "finishedAt": now,
                              "reason": "Completed" if code == 0 else "Error",
                              "startedAt": running.get("startedAt", now)}
                entry["ready"] = False
                entry["started"] = False
                policy = spec.get("restartPolicy", "Always")
                if policy == "Always" or policy == "OnFailure" and code != 0:
                    self._crash(ctx, pod, entry, terminated)
                else:
                    entry["state"] = {"terminated": terminated}
                changed = True
        if not changed:
            return
        self._summarise(pod, updated, now)
        if status.get("podIP") is None and any("waiting" not in (e.get("state") or {}) or
                                               e["state"]["waiting"].get("reason") != "ContainerCreating"
                                               for e in statuses):
            ip = self._pod_ip(ctx, pod)
            status["podIP"] = ip
            status["podIPs"] = [{"ip": ip}]
        ctx.store.update(PODS, updated, subresource="status")

    def _initialise(self, ctx: Context, pod: Obj, updated: Obj, now: str) -> bool:
        """Run init containers one at a time; True while they are not all done (status written if changed)."""
        status = updated["status"]
        inits = status.get("initContainerStatuses") or []
        if not inits:
            return False
        spec = updated.get("spec") or {}
        policy = spec.get("restartPolicy", "Always")
        by_name = {c.get("name"): c for c in spec.get("initContainers") or []}
        changed = False
        for init in inits:
            state = init.get("state") or {}
            if (state.get("terminated") or {}).get("exitCode") == 0:
                continue
            if "terminated" in state:
                return True
            container = by_name.get(init.get("name"), {})
            if "waiting" in state:
                changed = self._advance_waiting(ctx, pod, container, init, state["waiting"], now)
            running = (init.get("state") or {}).get("running")
            if running is not None:
                code = exit_code(container) or 0
                terminated = {"containerID": init.get("containerID"), "exitCode": code, "finishedAt": now,
                              "reason": "Completed" if code == 0 else "Error",
                              "startedAt": running.get("startedAt", now)}
                init["started"] = False
                init["ready"] = code == 0
                if code != 0 and policy != "Never":
                    self._crash(ctx, pod, init, terminated)
                else:
                    init["state"] = {"terminated": terminated}
                changed = True
            break
        pending = [i.get("name", "") for i in inits
                   if (i.get("state") or {}).get("terminated", {}).get("exitCode") != 0]
        if pending and changed:
            failed = any("terminated" in (i.get("state") or {}) for i in inits if i.get("name") in pending)
            names = [c.get("name", "") for c in spec.get("containers") or []]
            if failed:
                status["phase"] = "Failed"
                status["conditions"] = _conditions(pod, now, sandbox=False, ready=False, unready=names,
                                                   finished="PodFailed")
            else:
                status["conditions"] = _conditions(pod, now, sandbox=True, ready=False, unready=names,
                                                   uninitialized=pending)
                if not status.get("podIP"):
                    ip = self._pod_ip(ctx, pod)
                    status["podIP"] = ip
                    status["podIPs"] = [{"ip": ip}]
            ctx.store.update(PODS, updated, subresource="status")
        return bool(pending)

    def _finishes(self, pod: Obj, container: dict[str, Any]) -> bool:
        policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
        if runs_to_completion(pod):
            return True
        return policy == "Always" and exit_code(container) is not None

    def _advance_waiting(self, ctx: Context, pod: Obj, container: dict[str, Any], entry: dict[str, Any],
                         waiting: dict[str, Any], now: str) -> bool:
        reason = waiting.get("reason")
        image = container.get("image", "")
        key = (pod["metadata"]["uid"] if "uid" in pod["metadata"] else pod["metadata"]["name"],
               container.get("name", ""))
        if reason in ("ContainerCreating", "PodInitializing"):
            pulled = self._pull(ctx, pod, container)
            if isinstance(pulled, tuple):
                entry["state"] = {"waiting": {"reason": pulled[0], "message": pulled[1]}}
                return True
            return self._start_if_configured(ctx, pod, container, entry, now, pulled, announce=True)
        if reason == "CreateContainerConfigError":
            return self._start_if_configured(ctx, pod, container, entry, now, images.normalize(image),
                                             announce=False)
        if reason == "ErrImagePull":
            message = f'Back-off pulling image "{image}"'
            ctx.event(pod, "BackOff", message, component="kubelet")
            ctx.event(pod, "Failed", "Error: ImagePullBackOff", type_="Warning", component="kubelet")
            entry["state"] = {"waiting": {"reason": "ImagePullBackOff", "message": message}}
            self._retry_later(ctx, pod, key)
            return True
        if reason == "ImagePullBackOff":
            if not ctx.image_available(image):
                self._retry_later(ctx, pod, key)
                return False
            pulled = self._pull(ctx, pod, container)
            if isinstance(pulled, tuple):
                return False
            self._backoff.pop(key, None)
            self._start(ctx, pod, container, entry, now, pulled)
            return True
        if reason == "CrashLoopBackOff":
            due = self._restart_at.get(key)
            if due is None or due > ctx.clock.now():
                if due is None:
                    self._restart_at[key] = ctx.clock.now() + timedelta(seconds=restart_delay(
                        entry.get("restartCount", 1)))
                ctx.schedule((self.name, pod["metadata"]["namespace"], pod["metadata"]["name"]),
                             self._restart_at[key])
                return False
            del self._restart_at[key]
            normalized = images.normalize(image) if image else ""
            ctx.event(pod, "Pulled", f'Container image "{image}" already present on machine', component="kubelet")
            self._start(ctx, pod, container, entry, now, normalized)
            return True
        return False

    def _start_if_configured(self, ctx: Context, pod: Obj, container: dict[str, Any], entry: dict[str, Any],
                             now: str, normalized: str, *, announce: bool) -> bool:
        """Start the container unless a Secret/ConfigMap it reads is missing (CreateContainerConfigError)."""
        missing = missing_config(ctx.store, pod["metadata"]["namespace"], container)
        if missing is None:
            self._start(ctx, pod, container, entry, now, normalized)
            return True
        ref, message = missing
        self._waiting_for_config.setdefault(ref, set()).add(pod["metadata"]["name"])
        if not announce and (entry.get("state") or {}).get("waiting", {}).get("message") == message:
            return False
        ctx.event(pod, "Failed", f"Error: {message}", type_="Warning", component="kubelet")
        entry["state"] = {"waiting": {"reason": "CreateContainerConfigError", "message": message}}
        return True

    def _crash(self, ctx: Context, pod: Obj, entry: dict[str, Any], terminated: dict[str, Any]) -> None:
        """A container that exited under a restarting policy: CrashLoopBackOff, restarted after a back-off."""
        meta = pod["metadata"]
        entry["lastState"] = {"terminated": terminated}
        entry["restartCount"] = entry.get("restartCount", 0) + 1
        delay = restart_delay(entry["restartCount"])
        target = f"{meta['name']}_{meta['namespace']}({meta.get('uid', '')})"
        entry["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message":
                                      f"back-off {go_duration(delay)} restarting failed container={entry['name']} "
                                      f"pod={target}"}}
        ctx.event(pod, "BackOff", f"Back-off restarting failed container {entry['name']} in pod {target}",
                  type_="Warning", component="kubelet")
        key = (meta.get("uid") or meta["name"], entry["name"])
        self._restart_at[key] = ctx.clock.now() + timedelta(seconds=delay)
        ctx.schedule((self.name, meta["namespace"], meta["name"]), self._restart_at[key])

    def _retry_later(self, ctx: Context, pod: Obj, key: tuple[str, str]) -> None:
        delay = self._backoff.get(key, BACKOFF_START / 2) * 2
        delay = min(delay, BACKOFF_MAX)
        self._backoff[key] = delay
        ctx.schedule((self.name, pod["metadata"]["namespace"], pod["metadata"]["name"]),
                     ctx.clock.now() + timedelta(seconds=delay))

    def _summarise(self, pod: Obj, updated: Obj, now: str) -> None:
        """Phase and conditions from the container states (and restart policy)."""
        status = updated["status"]
        statuses = status.get("containerStatuses") or []
        names = [e.get("name", "") for e in statuses]
        terminated = [e["state"]["terminated"] for e in statuses if "terminated" in (e.get("state") or {})]
        if statuses and len(terminated) == len(statuses):
            failed = any(t.get("exitCode") != 0 for t in terminated)
            status["phase"] = "Failed" if failed else "Succeeded"
            status["conditions"] = _conditions(pod, now, sandbox=False, ready=False, unready=names,
                                               finished="PodFailed" if failed else "PodCompleted")
            return
        ready = bool(statuses) and all(e.get("ready") for e in statuses)
        unready = [e.get("name", "") for e in statuses if not e.get("ready")]
        running = any("running" in (e.get("state") or {}) for e in statuses) or any(
            e.get("restartCount") for e in statuses)
        status["phase"] = "Running" if running else "Pending"
        sandbox = any((e.get("state") or {}).get("waiting", {}).get("reason") != "ContainerCreating"
                      for e in statuses)
        status["conditions"] = _conditions(pod, now, sandbox=sandbox, ready=ready, unready=unready)
