"""`meta.k8s.io/v1` Table responses with the columns a real API server prints for each kind."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from engine.jsonobj import Obj

from .jsonpath import evaluate
from .objects import age, parse_time
from .resources import ResourceInfo
from .tables_extra import EXTRA_PRINTERS
from .views import events_to_core

Column = tuple[str, str, str, int, str]  # name, type, format, priority, description
Printer = tuple[list[Column], Callable[[Obj], list[Any]]]

NAME_DESC = "Name must be unique within a namespace."
AGE_DESC = ("CreationTimestamp is a timestamp representing the server time when this object was created.")


def _col(name: str, type_: str = "string", priority: int = 0, fmt: str = "", desc: str = "") -> Column:
    return (name, type_, fmt, priority, desc or name)


NAME = _col("Name", fmt="name", desc=NAME_DESC)
AGE = _col("Age", desc=AGE_DESC)


def _age(o: Obj) -> str:
    return age(o["metadata"].get("creationTimestamp"))


def _g(o: Any, *path: str, default: Any = None) -> Any:
    for p in path:
        if not isinstance(o, dict):
            return default
        o = o.get(p)
    return default if o is None else o


def _selector(sel: Any) -> str:
    if not isinstance(sel, dict):
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        op, key, vals = e.get("operator"), e.get("key"), ",".join(e.get("values") or [])
        parts.append({"In": f"{key} in ({vals})", "NotIn": f"{key} notin ({vals})", "Exists": f"{key}",
                      "DoesNotExist": f"!{key}"}.get(op, f"{key}"))
    return ",".join(parts) or "<none>"


def _map_selector(sel: Any) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((sel or {}).items())) or "<none>"


def _containers(spec: Obj | None) -> tuple[str, str]:
    cs = (spec or {}).get("containers") or []
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def _template_containers(o: Obj) -> tuple[str, str]:
    return _containers(_g(o, "spec", "template", "spec"))


# ---------------------------------------------------------------- pods

def _pod_status(o: Obj) -> tuple[str, int, str]:
    """(STATUS, restarts, last-restart) as kubectl's printPod computes them."""
    status = o.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    restarts = 0
    for cs in status.get("initContainerStatuses") or []:
        restarts += int(cs.get("restartCount") or 0)
    initializing = False
    init_total = len(_g(o, "spec", "initContainers", default=[]))
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        st = cs.get("state") or {}
        if "terminated" in st and st["terminated"].get("exitCode") == 0:
            continue
        if "terminated" in st:
            t = st["terminated"]
            reason = "Init:" + (t.get("reason") or f"Signal:{t.get('signal')}" if t.get("signal") else
                                "Init:" + (t.get("reason") or f"ExitCode:{t.get('exitCode')}"))
        elif "waiting" in st and st["waiting"].get("reason") and st["waiting"]["reason"] != "PodInitializing":
            reason = "Init:" + st["waiting"]["reason"]
        else:
            reason = f"Init:{i}/{init_total}"
        initializing = True
        break
    if not initializing:
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            st = cs.get("state") or {}
            if (st.get("waiting") or {}).get("reason"):
                reason = st["waiting"]["reason"]
            elif (st.get("terminated") or {}).get("reason"):
                reason = st["terminated"]["reason"]
            elif "terminated" in st:
                t = st["terminated"]
                reason = f"Signal:{t['signal']}" if t.get("signal") else f"ExitCode:{t.get('exitCode')}"
            elif "running" in st and cs.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
            reason = "Running" if ready else "NotReady"
    if o["metadata"].get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason, restarts, ""


def _pod_row(o: Obj) -> list[Any]:
    total = len(_g(o, "spec", "containers", default=[]))
    ready = sum(1 for cs in _g(o, "status", "containerStatuses", default=[]) if cs.get("ready"))
    status, restarts, _ = _pod_status(o)
    last = None
    for cs in _g(o, "status", "containerStatuses", default=[]):
        fin = _g(cs, "lastState", "terminated", "finishedAt")
        t = parse_time(fin) if fin else None
        if t and (last is None or t > last):
            last = t
    restarts_cell: Any = restarts
    if last is not None and restarts:
        restarts_cell = f"{restarts} ({age(last.strftime('%Y-%m-%dT%H:%M:%SZ'))} ago)"
    gates = _g(o, "spec", "readinessGates", default=[])
    gates_cell = "<none>"
    if gates:
        conds = {c.get("type"): c.get("status") for c in _g(o, "status", "conditions", default=[])}
        gates_cell = f"{sum(1 for g in gates if conds.get(g.get('conditionType')) == 'True')}/{len(gates)}"
    return [o["metadata"]["name"], f"{ready}/{total}", status, restarts_cell, _age(o),
            _g(o, "status", "podIP", default="<none>"), _g(o, "spec", "nodeName", default="<none>"),
            _g(o, "status", "nominatedNodeName", default="<none>"), gates_cell]


POD: Printer = ([NAME, _col("Ready", desc="The aggregate readiness state of this pod for accepting traffic."),
                 _col("Status", desc="The aggregate status of the containers in this pod."),
                 _col("Restarts", desc="The number of times the containers in this pod have been restarted and "
                                       "when the last container in this pod has restarted."), AGE,
                 _col("IP", priority=1, desc="IP address allocated to the pod. Routable at least within the "
                                             "cluster. Empty if not yet allocated."),
                 _col("Node", priority=1, desc="Name of the Node this Pod runs on"),
                 _col("Nominated Node", priority=1, desc="Name of the nominated node for this pod"),
                 _col("Readiness Gates", priority=1, desc="Readiness gates of the pod")], _pod_row)


# ---------------------------------------------------------------- workloads

def _deploy_row(o: Obj) -> list[Any]:
    s = o.get("status") or {}
    names, images = _template_containers(o)
    return [o["metadata"]["name"], f"{int(s.get('readyReplicas') or 0)}/{int(_g(o, 'spec', 'replicas', default=1))}",
            int(s.get("updatedReplicas") or 0), int(s.get("availableReplicas") or 0), _age(o), names, images,
            _selector(_g(o, "spec", "selector"))]


DEPLOYMENT: Printer = ([NAME, _col("Ready", desc="Number of the pod with ready state"),
                        _col("Up-to-date", "integer", desc="Total number of non-terminated pods targeted by this "
                                                           "deployment that have the desired template spec."),
                        _col("Available", "integer", desc="Total number of available pods (ready for at least "
                                                          "minReadySeconds) targeted by this deployment."), AGE,
                        _col("Containers", priority=1, desc="Names of each container in the template."),
                        _col("Images", priority=1, desc="Images referenced by each container in the template."),
                        _col("Selector", priority=1, desc="Label selector for pods.")], _deploy_row)


def _rs_row(o: Obj) -> list[Any]:
    s = o.get("status") or {}
    names, images = _template_containers(o)
    return [o["metadata"]["name"], int(_g(o, "spec", "replicas", default=1)), int(s.get("replicas") or 0),
            int(s.get("readyReplicas") or 0), _age(o), names, images, _selector(_g(o, "spec", "selector"))]


REPLICASET: Printer = ([NAME, _col("Desired", "integer", desc="Number of desired pods."),
                        _col("Current", "integer", desc="Number of actually running pods."),
                        _col("Ready", "integer", desc="Number of pods ready."), AGE,
                        _col("Containers", priority=1), _col("Images", priority=1),
                        _col("Selector", priority=1)], _rs_row)


def _sts_row(o: Obj) -> list[Any]:
    names, images = _template_containers(o)
    return [o["metadata"]["name"],
            f"{int(_g(o, 'status', 'readyReplicas', default=0))}/{int(_g(o, 'spec', 'replicas', default=1))}",
            _age(o), names, images]


STATEFULSET: Printer = ([NAME, _col("Ready", desc="Number of the pod with ready state"), AGE,
                         _col("Containers", priority=1), _col("Images", priority=1)], _sts_row)


def _ds_row(o: Obj) -> list[Any]:
    s = o.get("status") or {}
    names, images = _template_containers(o)
    node_sel = _map_selector(_g(o, "spec", "template", "spec", "nodeSelector"))
    return [o["metadata"]["name"], int(s.get("desiredNumberScheduled") or 0),
            int(s.get("currentNumberScheduled") or 0), int(s.get("numberReady") or 0),
            int(s.get("updatedNumberScheduled") or 0), int(s.get("numberAvailable") or 0), node_sel, _age(o),
            names, images, _selector(_g(o, "spec", "selector"))]


DAEMONSET: Printer = ([NAME, _col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"),
                       _col("Up-to-date", "integer"), _col("Available", "integer"), _col("Node Selector"), AGE,
                       _col("Containers", priority=1), _col("Images", priority=1), _col("Selector", priority=1)],
                      _ds_row)


def _duration(start: str | None, end: str | None) -> str:
    s, e = parse_time(start), parse_time(end)
    if s is None:
        return ""
    return age(start, e) if e else age(start)


def _job_row(o: Obj) -> list[Any]:
    s = o.get("status") or {}
    completions = _g(o, "spec", "completions")
    conds = {c.get("type"): c.get("status") for c in s.get("conditions") or []}
    if conds.get("Complete") == "True":
        status = "Complete"
    elif conds.get("Failed") == "True":
        status = "Failed"
    elif o["metadata"].get("deletionTimestamp"):
        status = "Terminating"
    elif conds.get("Suspended") == "True":
        status = "Suspended"
    elif conds.get("FailureTarget") == "True":
        status = "FailureTarget"
    elif conds.get("SuccessCriteriaMet") == "True":
        status = "SuccessCriteriaMet"
    else:
        status = "Running"
    comp = f"{int(s.get('succeeded') or 0)}/{completions}" if completions is not None else \
        f"{int(s.get('succeeded') or 0)}/1 of {_g(o, 'spec', 'parallelism', default=1)}"
    if completions is None and _g(o, "spec", "parallelism", default=1) == 1:
        comp = f"{int(s.get('succeeded') or 0)}/1"
    names, images = _template_containers(o)
    return [o["metadata"]["name"], status, comp, _duration(s.get("startTime"), s.get("completionTime")), _age(o),
            names, images, _selector(_g(o, "spec", "selector"))]


JOB: Printer = ([NAME, _col("Status", desc="Status of the job."),
                 _col("Completions", desc="The completion status of the job."),
                 _col("Duration", desc="Time required to complete the job."), AGE,
                 _col("Containers", priority=1), _col("Images", priority=1), _col("Selector", priority=1)], _job_row)


def _cronjob_row(o: Obj) -> list[Any]:
    last = _g(o, "status", "lastScheduleTime")
    names, images = _containers(_g(o, "spec", "jobTemplate", "spec", "template", "spec"))
    return [o["metadata"]["name"], _g(o, "spec", "schedule", default=""),
            _g(o, "spec", "timeZone", default="<none>"), bool(_g(o, "spec", "suspend", default=False)),
            len(_g(o, "status", "active", default=[])), age(last) if last else "<none>", _age(o), names, images,
            _selector(_g(o, "spec", "jobTemplate", "spec", "selector"))]


CRONJOB: Printer = ([NAME, _col("Schedule"), _col("Timezone"), _col("Suspend", "boolean"),
                     _col("Active", "integer"), _col("Last Schedule"), AGE, _col("Containers", priority=1),
                     _col("Images", priority=1), _col("Selector", priority=1)], _cronjob_row)


# ---------------------------------------------------------------- core kinds

def _ports(ports: list[Obj] | None) -> str:
    out = []
    for p in ports or []:
        s = f"{p.get('port')}"
        if p.get("nodePort"):
            s += f":{p['nodePort']}"
        out.append(f"{s}/{p.get('protocol', 'TCP')}")
    return ",".join(out) or "<none>"


def _svc_row(o: Obj) -> list[Any]:
    spec = o.get("spec") or {}
    type_ = spec.get("type", "ClusterIP")
    external = "<none>"
    ingress = _g(o, "status", "loadBalancer", "ingress", default=[])
    if type_ == "ExternalName":
        external = spec.get("externalName", "<none>")
    elif spec.get("externalIPs"):
        external = ",".join(spec["externalIPs"])
    elif type_ == "LoadBalancer":
        external = ",".join(i.get("ip") or i.get("hostname", "") for i in ingress) or "<pending>"
    return [o["metadata"]["name"], type_, spec.get("clusterIP") or "<none>", external, _ports(spec.get("ports")),
            _age(o), _map_selector(spec.get("selector"))]


SERVICE: Printer = ([NAME, _col("Type", desc="The type of the service."),
                     _col("Cluster-IP", desc="The cluster IP of the service."),
                     _col("External-IP", desc="The external IP of the service."),
                     _col("Port(s)", desc="The ports of the service."), AGE,
                     _col("Selector", priority=1, desc="The selector of the service.")], _svc_row)


def _ns_row(o: Obj) -> list[Any]:
    return [o["metadata"]["name"], _g(o, "status", "phase", default=""), _age(o)]


NAMESPACE: Printer = ([NAME, _col("Status", desc="The status of the namespace"), AGE], _ns_row)


def _cm_row(o: Obj) -> list[Any]:
    return [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}), _age(o)]


CONFIGMAP: Printer = ([NAME, _col("Data", "integer", desc="Number of data entries"), AGE], _cm_row)


def _secret_row(o: Obj) -> list[Any]:
    return [o["metadata"]["name"], o.get("type", "Opaque"), len(o.get("data") or {}) + len(o.get("stringData") or {}),
            _age(o)]


SECRET: Printer = ([NAME, _col("Type"), _col("Data", "integer"), AGE], _secret_row)


def _sa_row(o: Obj) -> list[Any]:
    return [o["metadata"]["name"], len(o.get("secrets") or []), _age(o)]


SERVICEACCOUNT: Printer = ([NAME, _col("Secrets", "integer"), AGE], _sa_row)


def _ev_object(o: Obj) -> str:
    io = o.get("involvedObject") or {}
    return f"{str(io.get('kind', '')).lower()}/{io.get('name', '')}"


def _event_row(o: Obj) -> list[Any]:
    """One row for either Event API: events.k8s.io/v1 Events are printed from their core/v1 form."""
    if o.get("apiVersion") == "events.k8s.io/v1":
        o = events_to_core(o)
    last = o.get("lastTimestamp") or o.get("eventTime") or o["metadata"].get("creationTimestamp")
    first = o.get("firstTimestamp") or o.get("eventTime") or o["metadata"].get("creationTimestamp")
    src = o.get("source") or {}
    source = src.get("component", "") + (f", {src['host']}" if src.get("host") else "")
    if not source:
        source = o.get("reportingComponent", "")
    count = int(o.get("count") or (o.get("series") or {}).get("count") or 1)
    return [age(last), o.get("type", ""), o.get("reason", ""), _ev_object(o),
            (o.get("message") or "").strip(),
            _g(o, "involvedObject", "fieldPath", default=""), source, age(first), count, o["metadata"]["name"]]


EVENT: Printer = ([_col("Last Seen", desc="Time when last event occurred"), _col("Type"), _col("Reason"),
                   _col("Object"), _col("Message"), _col("Subobject", priority=1),
                   _col("Source", priority=1), _col("First Seen", priority=1),
                   _col("Count", "integer", priority=1), _col("Name", priority=1)], _event_row)


def _pvc_row(o: Obj) -> list[Any]:
    cap = _g(o, "status", "capacity", "storage", default="")
    modes = _modes(_g(o, "status", "accessModes", default=[]))
    return [o["metadata"]["name"], _g(o, "status", "phase", default="Pending"), _g(o, "spec", "volumeName", default=""),
            cap, modes, _g(o, "spec", "storageClassName", default="<unset>"),
            _g(o, "status", "currentVolumeAttributesClassName", default="<unset>"), _age(o),
            _g(o, "spec", "volumeMode", default="Filesystem")]


def _modes(modes: list[str]) -> str:
    short = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}
    return ",".join(short.get(m, m) for m in modes)


PVC: Printer = ([NAME, _col("Status"), _col("Volume"), _col("Capacity"), _col("Access Modes"),
                 _col("StorageClass"), _col("VolumeAttributesClass"), AGE, _col("VolumeMode", priority=1)], _pvc_row)


def _pv_row(o: Obj) -> list[Any]:
    ref = _g(o, "spec", "claimRef")
    claim = f"{ref.get('namespace')}/{ref.get('name')}" if ref else ""
    return [o["metadata"]["name"], _g(o, "spec", "capacity", "storage", default=""),
            _modes(_g(o, "spec", "accessModes", default=[])),
            _g(o, "spec", "persistentVolumeReclaimPolicy", default="Retain"),
            _g(o, "status", "phase", default="Pending"), claim, _g(o, "spec", "storageClassName", default=""),
            _g(o, "spec", "volumeAttributesClassName", default="<unset>"), _g(o, "status", "reason", default=""),
            _age(o), _g(o, "spec", "volumeMode", default="Filesystem")]


PV: Printer = ([NAME, _col("Capacity"), _col("Access Modes"), _col("Reclaim Policy"), _col("Status"),
                _col("Claim"), _col("StorageClass"), _col("VolumeAttributesClass"), _col("Reason"), AGE,
                _col("VolumeMode", priority=1)], _pv_row)


def _node_row(o: Obj) -> list[Any]:
    conds = {c.get("type"): c.get("status") for c in _g(o, "status", "conditions", default=[])}
    status = "Ready" if conds.get("Ready") == "True" else "NotReady" if "Ready" in conds else "Unknown"
    if _g(o, "spec", "unschedulable"):
        status += ",SchedulingDisabled"
    labels = o["metadata"].get("labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    info = _g(o, "status", "nodeInfo", default={})
    addrs = {a.get("type"): a.get("address") for a in _g(o, "status", "addresses", default=[])}
    return [o["metadata"]["name"], status, ",".join(roles) or "<none>", _age(o), info.get("kubeletVersion", ""),
            addrs.get("InternalIP", "<none>"), addrs.get("ExternalIP", "<none>"), info.get("osImage", ""),
            info.get("kernelVersion", ""), info.get("containerRuntimeVersion", "")]


NODE: Printer = ([NAME, _col("Status"), _col("Roles"), AGE, _col("Version"), _col("Internal-IP", priority=1),
                  _col("External-IP", priority=1), _col("OS-Image", priority=1),
                  _col("Kernel-Version", priority=1), _col("Container-Runtime", priority=1)], _node_row)


def _ep_row(o: Obj) -> list[Any]:
    addrs: list[str] = []
    for s in o.get("subsets") or []:
        ports = s.get("ports") or []
        for a in s.get("addresses") or []:
            addrs.extend(f"{a.get('ip')}:{p.get('port')}" for p in ports) if ports else addrs.append(a.get("ip"))
    shown = ",".join(addrs[:3]) + (f" + {len(addrs) - 3} more..." if len(addrs) > 3 else "")
    return [o["metadata"]["name"], shown or "<none>", _age(o)]


ENDPOINTS: Printer = ([NAME, _col("Endpoints"), AGE], _ep_row)


def _ing_row(o: Obj) -> list[Any]:
    hosts = [r.get("host") for r in _g(o, "spec", "rules", default=[]) if r.get("host")]
    lb = _g(o, "status", "loadBalancer", "ingress", default=[])
    ports = "80, 443" if _g(o, "spec", "tls") else "80"
    return [o["metadata"]["name"], _g(o, "spec", "ingressClassName", default="<none>"), ",".join(hosts) or "*",
            ",".join(i.get("ip") or i.get("hostname", "") for i in lb), ports, _age(o)]


INGRESS: Printer = ([NAME, _col("Class"), _col("Hosts"), _col("Address"), _col("Ports"), AGE], _ing_row)


def _ingclass_row(o: Obj) -> list[Any]:
    params = _g(o, "spec", "parameters")
    return [o["metadata"]["name"], _g(o, "spec", "controller", default=""),
            f"{params.get('kind')}/{params.get('name')}" if params else "<none>", _age(o)]


INGRESSCLASS: Printer = ([NAME, _col("Controller"), _col("Parameters"), AGE], _ingclass_row)


def _netpol_row(o: Obj) -> list[Any]:
    return [o["metadata"]["name"], _selector(_g(o, "spec", "podSelector")).replace("<none>", "<none>"), _age(o)]


NETPOL: Printer = ([NAME, _col("Pod-Selector"), AGE], _netpol_row)


def _binding_row(o: Obj) -> list[Any]:
    ref = o.get("roleRef") or {}
    subjects = o.get("subjects") or []
    users = ",".join(s.get("name", "") for s in subjects if s.get("kind") == "User")
    groups = ",".join(s.get("name", "") for s in subjects if s.get("kind") == "Group")
    sas = ",".join(f"{s.get('namespace', '')}/{s.get('name', '')}" for s in subjects
                   if s.get("kind") == "ServiceAccount")
    return [o["metadata"]["name"], f"{ref.get('kind')}/{ref.get('name')}", _age(o), users, groups, sas]


BINDING: Printer = ([NAME, _col("Role"), AGE, _col("Users", priority=1), _col("Groups", priority=1),
                     _col("ServiceAccounts", priority=1)], _binding_row)


def _created_at(o: Obj) -> list[Any]:
    return [o["metadata"]["name"], o["metadata"].get("creationTimestamp")]


CREATED_AT: Printer = ([NAME, _col("Created At", "date", desc=AGE_DESC)], _created_at)


def _sc_row(o: Obj) -> list[Any]:
    name = o["metadata"]["name"]
    if (o["metadata"].get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true":
        name += " (default)"
    return [name, o.get("provisioner", ""), o.get("reclaimPolicy", "Delete"),
            o.get("volumeBindingMode", "Immediate"), bool(o.get("allowVolumeExpansion", False)), _age(o)]


STORAGECLASS: Printer = ([NAME, _col("Provisioner"), _col("ReclaimPolicy"), _col("VolumeBindingMode"),
                          _col("AllowVolumeExpansion", "boolean"), AGE], _sc_row)


def _hpa_row(o: Obj) -> list[Any]:
    ref = _g(o, "spec", "scaleTargetRef", default={})
    targets = []
    current = {json.dumps(m.get("resource", {}).get("name")): m for m in _g(o, "status", "currentMetrics",
                                                                           default=[]) or []}
    for m in _g(o, "spec", "metrics", default=[]):
        if m.get("type") == "Resource":
            res = m.get("resource", {})
            want = _g(res, "target", "averageUtilization")
            cur = _g(current.get(json.dumps(res.get("name")), {}), "resource", "current", "averageUtilization")
            targets.append(f"{res.get('name')}: {cur if cur is not None else '<unknown>'}%/{want}%")
        else:
            targets.append(f"<unknown>/{m.get('type')}")
    return [o["metadata"]["name"], f"{ref.get('kind')}/{ref.get('name')}", ", ".join(targets) or "<none>",
            _g(o, "spec", "minReplicas", default=1), _g(o, "spec", "maxReplicas", default=0),
            _g(o, "status", "currentReplicas", default=0), _age(o)]


HPA: Printer = ([NAME, _col("Reference"), _col("Targets"), _col("MinPods", "integer"), _col("MaxPods", "integer"),
                 _col("Replicas", "integer"), AGE], _hpa_row)


def _pdb_row(o: Obj) -> list[Any]:
    spec = o.get("spec") or {}
    return [o["metadata"]["name"], spec.get("minAvailable", "N/A"), spec.get("maxUnavailable", "N/A"),
            _g(o, "status", "disruptionsAllowed", default=0), _age(o)]


PDB: Printer = ([NAME, _col("Min Available"), _col("Max Unavailable"), _col("Allowed Disruptions", "integer"), AGE],
                _pdb_row)


def _lease_row(o: Obj) -> list[Any]:
    return [o["metadata"]["name"], _g(o, "spec", "holderIdentity", default=""), _age(o)]


LEASE: Printer = ([NAME, _col("Holder"), AGE], _lease_row)


def _rev_row(o: Obj) -> list[Any]:
    refs = o["metadata"].get("ownerReferences") or []
    ctrl = next((r for r in refs if r.get("controller")), None)
    owner = f"{str(ctrl.get('kind', '')).lower()}.{ctrl.get('apiVersion', '').split('/')[0]}/{ctrl.get('name')}" \
        if ctrl else "<none>"
    return [o["metadata"]["name"], owner, o.get("revision", 0), _age(o)]


REVISION: Printer = ([NAME, _col("Controller"), _col("Revision", "integer"), AGE], _rev_row)


def _rc_row(o: Obj) -> list[Any]:
    s = o.get("status") or {}
    names, images = _template_containers(o)
    return [o["metadata"]["name"], int(_g(o, "spec", "replicas", default=1)), int(s.get("replicas") or 0),
            int(s.get("readyReplicas") or 0), _age(o), names, images, _map_selector(_g(o, "spec", "selector"))]


RC: Printer = ([NAME, _col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"), AGE,
                _col("Containers", priority=1), _col("Images", priority=1), _col("Selector", priority=1)], _rc_row)


def _quota_row(o: Obj) -> list[Any]:
    hard = _g(o, "status", "hard", default={}) or _g(o, "spec", "hard", default={})
    used = _g(o, "status", "used", default={})
    text = ", ".join(f"{k}: {used.get(k, '0')}/{v}" for k, v in sorted(hard.items()))
    return [o["metadata"]["name"], _age(o), text, ""]


QUOTA: Printer = ([NAME, AGE, _col("Request"), _col("Limit")], _quota_row)


PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "pods"): POD, ("", "services"): SERVICE, ("", "namespaces"): NAMESPACE, ("", "configmaps"): CONFIGMAP,
    ("", "secrets"): SECRET, ("", "serviceaccounts"): SERVICEACCOUNT, ("", "events"): EVENT,
    ("", "persistentvolumeclaims"): PVC, ("", "persistentvolumes"): PV, ("", "nodes"): NODE,
    ("", "endpoints"): ENDPOINTS, ("", "replicationcontrollers"): RC, ("", "resourcequotas"): QUOTA,
    ("apps", "deployments"): DEPLOYMENT, ("apps", "replicasets"): REPLICASET, ("apps", "statefulsets"): STATEFULSET,
    ("apps", "daemonsets"): DAEMONSET, ("apps", "controllerrevisions"): REVISION, ("batch", "jobs"): JOB,
    ("batch", "cronjobs"): CRONJOB, ("networking.k8s.io", "ingresses"): INGRESS,
    ("networking.k8s.io", "ingressclasses"): INGRESSCLASS, ("networking.k8s.io", "networkpolicies"): NETPOL,
    ("rbac.authorization.k8s.io", "rolebindings"): BINDING,
    ("rbac.authorization.k8s.io", "clusterrolebindings"): BINDING,
    ("rbac.authorization.k8s.io", "roles"): CREATED_AT, ("rbac.authorization.k8s.io", "clusterroles"): CREATED_AT,
    ("apiextensions.k8s.io", "customresourcedefinitions"): CREATED_AT, ("storage.k8s.io", "storageclasses"):
        STORAGECLASS, ("autoscaling", "horizontalpodautoscalers"): HPA, ("policy", "poddisruptionbudgets"): PDB,
    ("coordination.k8s.io", "leases"): LEASE, ("events.k8s.io", "events"): EVENT,
    **EXTRA_PRINTERS,
}

DEFAULT: Printer = ([NAME, AGE], lambda o: [o["metadata"]["name"], _age(o)])


def _crd_printer(info: ResourceInfo) -> Printer | None:
    version = info.crd_version
    if version is None:
        return None
    columns = version.get("additionalPrinterColumns")
    if not columns:
        return None
    defs = [NAME] + [(c.get("name", ""), c.get("type", "string"), c.get("format", ""), int(c.get("priority") or 0),
                      c.get("description", "")) for c in columns]

    def row(o: Obj) -> list[Any]:
        cells: list[Any] = [o["metadata"]["name"]]
        for c in columns:
            values = evaluate(o, c.get("jsonPath", ""))
            cells.append(_crd_cell(values[0] if values else None, c.get("type", "string")))
        return cells

    return defs, row


def _crd_cell(value: Any, type_: str) -> Any:
    if value is None:
        return None
    if type_ == "date":
        return age(str(value)) if parse_time(str(value)) else str(value)
    if type_ == "integer":
        return value if isinstance(value, int) else None
    if type_ == "number":
        return value if isinstance(value, int | float) else None
    if type_ == "boolean":
        return value if isinstance(value, bool) else None
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value) if not isinstance(value, bool) else ("true" if value else "false")


def printer_for(info: ResourceInfo) -> Printer:
    if info.crd is not None:
        return _crd_printer(info) or DEFAULT
    return PRINTERS.get(info.group_resource, DEFAULT)


def _partial(o: Obj) -> Obj:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.get("metadata", {})}


def table(info: ResourceInfo, objs: list[Obj], rv: str, query: dict[str, str] | None = None) -> Obj:
    """A Table of objs; rows carry PartialObjectMetadata (or the full object with includeObject=Object)."""
    columns, row = printer_for(info)
    include = (query or {}).get("includeObject", "Metadata")
    rows = []
    for o in objs:
        if include == "None":
            ref = None
        elif include == "Object":
            ref = o
        else:
            ref = _partial(o)
        r: Obj = {"cells": row(o)}
        if ref is not None:
            r["object"] = ref
        rows.append(r)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": [{"name": n, "type": t, "format": f, "description": d, "priority": p}
                                  for n, t, f, p, d in columns], "rows": rows}
