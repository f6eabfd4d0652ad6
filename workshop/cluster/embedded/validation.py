"""Kubernetes' validation of built-in kinds: causes and the top-level 422 message, worded like a v1.32 server."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from engine.labels import from_object
from workshop.cluster.embedded.api import GVR, Obj

Cause = dict[str, str]

_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_CONFIG_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")

SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                 "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                 "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
             "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
             "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
               "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
               "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                   "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
QUALIFIED_NAME_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                      "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
                      "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
CONFIG_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                  "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
IMMUTABLE = "field is immutable"


# ---------------------------------------------------------------- Go value rendering (%#v / %v as printed)

def go_quote(value: str) -> str:
    """Go's %q for a string."""
    return json.dumps(value, ensure_ascii=False)


def _go_string_map(value: dict[str, Any] | None) -> str:
    if value is None:
        return "map[string]string(nil)"
    inner = ", ".join(f"{go_quote(str(k))}:{go_quote(str(v))}" for k, v in sorted(value.items()))
    return "map[string]string{" + inner + "}"


def go_label_selector(selector: dict[str, Any] | None) -> str:
    """A LabelSelector as %#v prints it in 'field is immutable' messages."""
    selector = selector or {}
    exprs = selector.get("matchExpressions")
    if exprs:
        items = []
        for expr in exprs:
            values = expr.get("values")
            rendered = "[]string(nil)" if values is None else "[]string{" + ", ".join(go_quote(str(v)) for v in values) + "}"
            items.append(f"v1.LabelSelectorRequirement{{Key:{go_quote(str(expr.get('key', '')))}, "
                         f"Operator:{go_quote(str(expr.get('operator', '')))}, Values:{rendered}}}")
        exprs_text = "[]v1.LabelSelectorRequirement{" + ", ".join(items) + "}"
    else:
        exprs_text = "[]v1.LabelSelectorRequirement(nil)"
    return (f"v1.LabelSelector{{MatchLabels:{_go_string_map(selector.get('matchLabels'))}, "
            f"MatchExpressions:{exprs_text}}}")


def go_value(value: Any) -> str:
    """A field value as Kubernetes renders it after 'Invalid value: '."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[]string{" + ", ".join(go_quote(v) for v in value) + "}"
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return _go_string_map(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------- causes

def invalid(field: str, value: Any, detail: str, *, rendered: str | None = None) -> Cause:
    shown = rendered if rendered is not None else go_value(value)
    return {"reason": "FieldValueInvalid", "message": f"Invalid value: {shown}: {detail}", "field": field}


def required(field: str, detail: str = "") -> Cause:
    return {"reason": "FieldValueRequired", "message": "Required value" + (f": {detail}" if detail else ""),
            "field": field}


def forbidden(field: str, detail: str) -> Cause:
    return {"reason": "FieldValueForbidden", "message": f"Forbidden: {detail}", "field": field}


def duplicate(field: str, value: Any) -> Cause:
    return {"reason": "FieldValueDuplicate", "message": f"Duplicate value: {go_value(value)}", "field": field}


def not_supported(field: str, value: Any, supported: Iterable[str]) -> Cause:
    options = ", ".join(go_quote(s) for s in supported)
    return {"reason": "FieldValueNotSupported",
            "message": f"Unsupported value: {go_value(value)}: supported values: {options}", "field": field}


def too_long(field: str, value: Any, limit: int) -> Cause:
    return {"reason": "FieldValueTooLong",
            "message": f"Too long: may not be more than {limit} bytes", "field": field}


def format_invalid_message(kind: str, group: str, name: str, causes: list[Cause]) -> str:
    """The Status message of a 422 Invalid answer: `Kind.group "name" is invalid: field: detail` or `[a, b]`."""
    qualified = f"{kind}.{group}" if group else kind
    head = f"{qualified} {go_quote(name)} is invalid"
    texts: list[str] = []
    for cause in causes:
        text = f"{cause['field']}: {cause['message']}" if cause.get("field") else cause["message"]
        if text not in texts:
            texts.append(text)
    if not texts:
        return head
    if len(texts) == 1:
        return f"{head}: {texts[0]}"
    return f"{head}: [{', '.join(texts)}]"


# ---------------------------------------------------------------- names, labels

def _dns_subdomain(value: str, field: str) -> list[Cause]:
    causes = []
    if len(value) > 253:
        causes.append(invalid(field, value, "must be no more than 253 characters"))
    if not _SUBDOMAIN_RE.match(value):
        causes.append(invalid(field, value, SUBDOMAIN_MSG))
    return causes


def _dns_label(value: str, field: str) -> list[Cause]:
    causes = []
    if len(value) > 63:
        causes.append(invalid(field, value, "must be no more than 63 characters"))
    if not _LABEL_RE.match(value):
        causes.append(invalid(field, value, LABEL_MSG))
    return causes


def _dns1035_label(value: str, field: str) -> list[Cause]:
    causes = []
    if len(value) > 63:
        causes.append(invalid(field, value, "must be no more than 63 characters"))
    if not _DNS1035_RE.match(value):
        causes.append(invalid(field, value, DNS1035_MSG))
    return causes


def _path_segment(value: str, field: str) -> list[Cause]:
    """RBAC names (`system:basic-user`) are path segment names (path.ValidatePathSegmentName)."""
    if value in (".", ".."):
        return [invalid(field, value, f"may not be '{value}'")]
    return [invalid(field, value, f"may not contain '{c}'") for c in ("/", "%") if c in value]


_NAME_RULES: dict[tuple[str, str], Callable[[str, str], list[Cause]]] = {
    ("", "namespaces"): _dns_label,
    ("", "services"): _dns1035_label,
    **{("rbac.authorization.k8s.io", r): _path_segment
       for r in ("roles", "rolebindings", "clusterroles", "clusterrolebindings")},
    ("apiregistration.k8s.io", "apiservices"): _path_segment,  # `<version>.<group>`, `v1.` for the core group
}


def _qualified_name(key: str, field: str) -> list[Cause]:
    prefix, _, name = key.rpartition("/")
    causes: list[Cause] = []
    if "/" in key and (not prefix or len(prefix) > 253 or not _SUBDOMAIN_RE.match(prefix)):
        causes.append(invalid(field, key, "prefix part " + SUBDOMAIN_MSG))
    if not name:
        causes.append(invalid(field, key, "name part must be non-empty"))
    elif len(name) > 63:
        causes.append(invalid(field, key, "name part must be no more than 63 characters"))
    elif not _QUALIFIED_NAME_RE.match(name):
        causes.append(invalid(field, key, QUALIFIED_NAME_MSG))
    return causes


def validate_labels(labels: Any, field: str) -> list[Cause]:
    """Label keys are qualified names, values are label values."""
    causes: list[Cause] = []
    if not isinstance(labels, dict):
        return causes
    for key, value in labels.items():
        causes += _qualified_name(str(key), field)
        text = "" if value is None else str(value)
        if len(text) > 63:
            causes.append(invalid(field, text, "must be no more than 63 characters"))
        if not _LABEL_VALUE_RE.match(text):
            causes.append(invalid(field, text, LABEL_VALUE_MSG))
    return causes


def _metadata(gvr: GVR, obj: Obj) -> list[Cause]:
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    causes: list[Cause] = []
    if not name:
        if not meta.get("generateName"):
            causes.append(required("metadata.name", "name or generateName is required"))
    else:
        rule = _NAME_RULES.get((gvr.group, gvr.resource), _dns_subdomain)
        causes += rule(str(name), "metadata.name")
    causes += validate_labels(meta.get("labels"), "metadata.labels")
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        for key in annotations:
            causes += _qualified_name(str(key), "metadata.annotations")
    return causes


# ---------------------------------------------------------------- selectors

def selector_matches(selector: dict[str, Any] | None, labels: dict[str, Any] | None) -> bool:
    """Whether a LabelSelector (matchLabels + matchExpressions) selects these labels."""
    return from_object(selector).matches(labels)


def _label_selector(selector: Any, field: str) -> list[Cause]:
    causes: list[Cause] = []
    if not isinstance(selector, dict):
        return causes
    causes += validate_labels(selector.get("matchLabels"), f"{field}.matchLabels")
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        path = f"{field}.matchExpressions[{i}]"
        op = expr.get("operator")
        values = expr.get("values") or []
        if op in ("In", "NotIn") and not values:
            causes.append(required(f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist") and values:
            causes.append(forbidden(f"{path}.values",
                                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        elif op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            causes.append(invalid(f"{path}.operator", op, "not a valid selector operator"))
        causes += _qualified_name(str(expr.get("key", "")), f"{path}.key")
    return causes


def _workload_selector(spec: dict[str, Any], kind: str) -> list[Cause]:
    selector = spec.get("selector")
    causes: list[Cause] = []
    if selector is None:
        return [required("spec.selector")]
    causes += _label_selector(selector, "spec.selector")
    if not (selector.get("matchLabels") or selector.get("matchExpressions")):
        causes.append(invalid("spec.selector", selector, f"empty selector is invalid for {kind}",
                              rendered=go_label_selector(selector)))
        return causes
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if not selector_matches(selector, labels):
        causes.append(invalid("spec.template.metadata.labels", labels or {},
                              "`selector` does not match template `labels`"))
    return causes


# ---------------------------------------------------------------- pod spec

def _port_number(value: Any, field: str) -> list[Cause]:
    if not isinstance(value, int) or isinstance(value, bool):
        return [invalid(field, value, "must be between 1 and 65535, inclusive")]
    if not 1 <= value <= 65535:
        return [invalid(field, value, "must be between 1 and 65535, inclusive")]
    return []


def _container(container: Any, path: str, names: set[str]) -> list[Cause]:
    if not isinstance(container, dict):
        return [invalid(path, container, "must be an object")]
    causes: list[Cause] = []
    name = container.get("name")
    if not name:
        causes.append(required(f"{path}.name"))
    else:
        causes += _dns_label(str(name), f"{path}.name")
        if name in names:
            causes.append(duplicate(f"{path}.name", name))
        names.add(name)
    image = container.get("image")
    if not image or not str(image).strip():
        causes.append(required(f"{path}.image"))
    port_names: set[str] = set()
    for j, port in enumerate(container.get("ports") or []):
        ppath = f"{path}.ports[{j}]"
        if port.get("containerPort") is None:
            causes.append(required(f"{ppath}.containerPort"))
        else:
            causes += _port_number(port["containerPort"], f"{ppath}.containerPort")
        pname = port.get("name")
        if pname:
            if len(pname) > 15 or not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", pname) or not re.search(
                    "[a-z]", pname):
                causes.append(invalid(f"{ppath}.name", pname, "must be no more than 15 characters"
                                      if len(pname) > 15 else "must contain only alpha-numeric characters "
                                      "(a-z, 0-9), and hyphens (-)"))
            elif pname in port_names:
                causes.append(duplicate(f"{ppath}.name", pname))
            port_names.add(pname)
        protocol = port.get("protocol")
        if protocol is not None and protocol not in ("TCP", "UDP", "SCTP"):
            causes.append(not_supported(f"{ppath}.protocol", protocol, ("SCTP", "TCP", "UDP")))
    policy = container.get("imagePullPolicy")
    if policy is not None and policy not in ("Always", "IfNotPresent", "Never"):
        causes.append(not_supported(f"{path}.imagePullPolicy", policy, ("Always", "IfNotPresent", "Never")))
    for k, var in enumerate(container.get("env") or []):
        if not var.get("name"):
            causes.append(required(f"{path}.env[{k}].name"))
    return causes


def validate_pod_spec(spec: Any, path: str, *, restart_policies: tuple[str, ...] | None = None) -> list[Cause]:
    """Containers, names, images, ports, restart policy."""
    if not isinstance(spec, dict):
        return [required(path)]
    causes: list[Cause] = []
    containers = spec.get("containers")
    names: set[str] = set()
    if not containers:
        causes.append(required(f"{path}.containers"))
    for i, container in enumerate(containers or []):
        causes += _container(container, f"{path}.containers[{i}]", names)
    for i, container in enumerate(spec.get("initContainers") or []):
        causes += _container(container, f"{path}.initContainers[{i}]", names)
    policy = spec.get("restartPolicy")
    allowed = restart_policies or ("Always", "OnFailure", "Never")
    if policy is not None and policy not in allowed:
        causes.append(not_supported(f"{path}.restartPolicy", policy, allowed))
    volume_names: set[str] = set()
    for i, volume in enumerate(spec.get("volumes") or []):
        vname = volume.get("name")
        if not vname:
            causes.append(required(f"{path}.volumes[{i}].name"))
            continue
        causes += _dns_label(str(vname), f"{path}.volumes[{i}].name")
        if vname in volume_names:
            causes.append(duplicate(f"{path}.volumes[{i}].name", vname))
        volume_names.add(vname)
    for key in ("containers", "initContainers"):
        for i, container in enumerate(spec.get(key) or []):
            for j, mount in enumerate(container.get("volumeMounts") or [] if isinstance(container, dict) else []):
                mpath = f"{path}.{key}[{i}].volumeMounts[{j}]"
                if not mount.get("name"):
                    causes.append(required(f"{mpath}.name"))
                elif mount["name"] not in volume_names:
                    causes.append({"reason": "FieldValueNotFound",
                                   "message": f"Not found: {go_quote(mount['name'])}", "field": f"{mpath}.name"})
                if not mount.get("mountPath"):
                    causes.append(required(f"{mpath}.mountPath"))
    return causes


def _template(spec: dict[str, Any], *, restart_policies: tuple[str, ...] | None = None) -> list[Cause]:
    template = spec.get("template")
    if not isinstance(template, dict):
        return [required("spec.template")]
    causes = validate_labels((template.get("metadata") or {}).get("labels"), "spec.template.metadata.labels")
    causes += validate_pod_spec(template.get("spec"), "spec.template.spec", restart_policies=restart_policies)
    return causes


def _non_negative(spec: dict[str, Any], key: str, path: str = "spec") -> list[Cause]:
    value = spec.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [invalid(f"{path}.{key}", value, "must be greater than or equal to 0")]
    return []


def _immutable(new: Any, old: Any, field: str, *, rendered: str | None = None) -> list[Cause]:
    if new != old:
        return [invalid(field, new, IMMUTABLE, rendered=rendered)]
    return []


# ---------------------------------------------------------------- kinds

def _statefulset_template(spec: dict[str, Any]) -> list[Cause]:
    """StatefulSets validate only template labels and restart policy (the pod spec's volumes may be claims)."""
    template = spec.get("template")
    if not isinstance(template, dict):
        return [required("spec.template")]
    causes = validate_labels((template.get("metadata") or {}).get("labels"), "spec.template.labels")
    pod_spec = template.get("spec") or {}
    policy = pod_spec.get("restartPolicy")
    if policy is not None and policy != "Always":
        causes.append(not_supported("spec.template.spec.restartPolicy", policy, ("Always",)))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        causes.append(forbidden("spec.template.spec.activeDeadlineSeconds",
                                "activeDeadlineSeconds in StatefulSet is not Supported"))
    return causes


def _workload(kind: str, obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = _non_negative(spec, "replicas") + _non_negative(spec, "minReadySeconds")
    causes += _workload_selector(spec, kind)
    if kind == "statefulset":
        causes += _statefulset_template(spec)
    else:
        causes += _template(spec, restart_policies=("Always",))
    if old is not None:
        old_selector = (old.get("spec") or {}).get("selector")
        causes += _immutable(spec.get("selector"), old_selector, "spec.selector",
                             rendered=go_label_selector(spec.get("selector")))
    return causes


def _deployment(obj: Obj, old: Obj | None) -> list[Cause]:
    causes = _workload("deployment", obj, old)
    spec = obj.get("spec") or {}
    strategy = spec.get("strategy") or {}
    if strategy.get("type") not in (None, "RollingUpdate", "Recreate"):
        causes.append(not_supported("spec.strategy.type", strategy["type"], ("Recreate", "RollingUpdate")))
    if strategy.get("type") == "Recreate" and strategy.get("rollingUpdate"):
        causes.append(forbidden("spec.strategy.rollingUpdate",
                                "may not be specified when strategy `type` is 'Recreate'"))
    rolling = strategy.get("rollingUpdate") or {}
    if rolling.get("maxSurge") in (0, "0%") and rolling.get("maxUnavailable") in (0, "0%"):
        causes.append(invalid("spec.strategy.rollingUpdate.maxUnavailable", rolling["maxUnavailable"],
                              "may not be 0 when `maxSurge` is 0"))
    deadline, min_ready = spec.get("progressDeadlineSeconds"), spec.get("minReadySeconds") or 0
    if isinstance(deadline, int) and deadline <= min_ready:
        causes.append(invalid("spec.progressDeadlineSeconds", deadline,
                              "must be greater than minReadySeconds"))
    return causes


def _replicaset(obj: Obj, old: Obj | None) -> list[Cause]:
    return _workload("replicaset", obj, old)


_STS_MUTABLE = ("replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds", "ordinals")


def _statefulset(obj: Obj, old: Obj | None) -> list[Cause]:
    causes = _workload("statefulset", obj, old)
    spec = obj.get("spec") or {}
    policy = spec.get("podManagementPolicy")
    if policy is not None and policy not in ("OrderedReady", "Parallel"):
        causes.append(not_supported("spec.podManagementPolicy", policy, ("OrderedReady", "Parallel")))
    for i, claim in enumerate(spec.get("volumeClaimTemplates") or []):
        cname = (claim.get("metadata") or {}).get("name")
        if not cname:
            causes.append(required(f"spec.volumeClaimTemplates[{i}].metadata.name"))
    if old is not None:
        old_spec = old.get("spec") or {}
        def strip(s):
            return ({k: v for k, v in s.items() if k not in _STS_MUTABLE and k != "selector"})
        if strip(spec) != strip(old_spec):
            causes.append(forbidden("spec", "updates to statefulset spec for fields other than 'replicas', "
                                    "'ordinals', 'template', 'updateStrategy', "
                                    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"))
    return causes


def _daemonset(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = _workload_selector(spec, "daemonset") + _template(spec, restart_policies=("Always",))
    if old is not None:
        causes += _immutable(spec.get("selector"), (old.get("spec") or {}).get("selector"), "spec.selector",
                             rendered=go_label_selector(spec.get("selector")))
    return causes


def _job_spec(spec: dict[str, Any], path: str = "spec") -> list[Cause]:
    causes: list[Cause] = []
    for key in ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds"):
        causes += _non_negative(spec, key, path)
    template = spec.get("template")
    if not isinstance(template, dict):
        return causes + [required(f"{path}.template")]
    causes += validate_labels((template.get("metadata") or {}).get("labels"), f"{path}.template.metadata.labels")
    causes += validate_pod_spec(template.get("spec"), f"{path}.template.spec",
                                restart_policies=("OnFailure", "Never"))
    return causes


JOB_LABELS = ("batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name", "controller-uid", "job-name")


def _without_job_labels(template: Any, strip: bool) -> Any:
    """A Job template without the labels the server generates (while the selector is still being generated)."""
    if not strip or not isinstance(template, dict):
        return template
    labels = (template.get("metadata") or {}).get("labels") or {}
    rest = {k: v for k, v in labels.items() if k not in JOB_LABELS}
    meta = {k: v for k, v in (template.get("metadata") or {}).items() if k != "labels"}
    if rest:
        meta["labels"] = rest
    return {**template, "metadata": meta}


def _job(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = _job_spec(spec)
    selector = spec.get("selector")
    if selector is not None:
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
        if not selector_matches(selector, labels):
            causes.append(invalid("spec.template.metadata.labels", labels or {},
                                  "`selector` does not match template `labels`"))
    if old is not None:
        old_spec = old.get("spec") or {}
        generated = old_spec.get("selector") is None and not spec.get("manualSelector")
        if not generated:
            causes += _immutable(spec.get("selector"), old_spec.get("selector"), "spec.selector",
                                 rendered=go_label_selector(spec.get("selector")))
        if _without_job_labels(spec.get("template"), generated) != _without_job_labels(old_spec.get("template"),
                                                                                          generated):
            causes.append(invalid("spec.template", None, IMMUTABLE,
                                  rendered="core.PodTemplateSpec{...}"))
        causes += _immutable(spec.get("completions"), old_spec.get("completions"), "spec.completions")
        causes += _immutable(spec.get("completionMode"), old_spec.get("completionMode"), "spec.completionMode")
    return causes


def _cronjob(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    name = str((obj.get("metadata") or {}).get("name") or "")
    if len(name) > 52:
        causes.append(invalid("metadata.name", name, "must be no more than 52 characters"))
    schedule = spec.get("schedule")
    if not schedule:
        causes.append(required("spec.schedule"))
    elif len(str(schedule).split()) not in (5, 6) and not str(schedule).startswith("@"):
        causes.append(invalid("spec.schedule", schedule,
                              f"unparseable schedule: expected exactly 5 fields, found {len(str(schedule).split())}:"
                              f" {schedule}"))
    policy = spec.get("concurrencyPolicy")
    if policy is not None and policy not in ("Allow", "Forbid", "Replace"):
        causes.append(not_supported("spec.concurrencyPolicy", policy, ("Allow", "Forbid", "Replace")))
    job_spec = (spec.get("jobTemplate") or {}).get("spec")
    if not isinstance(job_spec, dict):
        causes.append(required("spec.jobTemplate.spec"))
    else:
        causes += _job_spec(job_spec, "spec.jobTemplate.spec")
    return causes


def _pod(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = validate_pod_spec(spec, "spec")
    if old is not None:
        old_spec = dict(old.get("spec") or {})
        new_spec = dict(spec)
        if not old_spec.get("nodeName"):
            old_spec.pop("nodeName", None)
            new_spec.pop("nodeName", None)
        for s in (old_spec, new_spec):
            s.pop("activeDeadlineSeconds", None)
            s.pop("tolerations", None)
            for key in ("containers", "initContainers"):
                s[key] = [{k: v for k, v in c.items() if k != "image"} for c in s.get(key) or []]
        if old_spec != new_spec:
            causes.append(forbidden("spec", "pod updates may not change fields other than "
                                    "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                                    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                                    "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if "
                                    "it was previously negative)"))
    return causes


def _service(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    kind = spec.get("type", "ClusterIP")
    types = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
    if kind not in types:
        causes.append(not_supported("spec.type", kind, types))
    ports = spec.get("ports") or []
    if kind == "ExternalName":
        if not spec.get("externalName"):
            causes.append(required("spec.externalName"))
    elif not ports and spec.get("clusterIP") != "None":
        causes.append(required("spec.ports"))
    names: set[str] = set()
    for i, port in enumerate(ports):
        path = f"spec.ports[{i}]"
        pname = port.get("name")
        if len(ports) > 1 and not pname:
            causes.append(required(f"{path}.name"))
        elif pname:
            causes += _dns_label(str(pname), f"{path}.name")
            if pname in names:
                causes.append(duplicate(f"{path}.name", pname))
            names.add(pname)
        if port.get("port") is None:
            causes.append(required(f"{path}.port"))
        else:
            causes += _port_number(port["port"], f"{path}.port")
        target = port.get("targetPort")
        if isinstance(target, int) and not isinstance(target, bool):
            causes += _port_number(target, f"{path}.targetPort")
        protocol = port.get("protocol")
        if protocol is not None and protocol not in ("TCP", "UDP", "SCTP"):
            causes.append(not_supported(f"{path}.protocol", protocol, ("SCTP", "TCP", "UDP")))
    affinity = spec.get("sessionAffinity")
    if affinity is not None and affinity not in ("ClientIP", "None"):
        causes.append(not_supported("spec.sessionAffinity", affinity, ("ClientIP", "None")))
    causes += validate_labels(spec.get("selector"), "spec.selector")
    if old is not None:
        old_spec = old.get("spec") or {}
        old_ips = old_spec.get("clusterIPs") or ([old_spec["clusterIP"]] if old_spec.get("clusterIP") else [])
        new_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
        if old_ips and new_ips and old_ips[0] != new_ips[0] and kind != "ExternalName" \
                and old_spec.get("type", "ClusterIP") != "ExternalName":
            causes.append(invalid("spec.clusterIPs[0]", new_ips, "may not change once set"))
    return causes


def _immutable_data(obj: Obj, old: Obj | None) -> list[Cause]:
    if old is None or not old.get("immutable"):
        return []
    causes: list[Cause] = []
    detail = "field is immutable when `immutable` is set"
    if not obj.get("immutable"):
        causes.append(forbidden("immutable", detail))
    for key in ("data", "binaryData", "stringData"):
        if key == "stringData":
            continue
        if (obj.get(key) or {}) != (old.get(key) or {}):
            causes.append(forbidden(key, detail))
    return causes


def _data_keys(obj: Obj, keys: tuple[str, ...]) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for section in keys:
        for key in obj.get(section) or {}:
            if not _CONFIG_KEY_RE.match(key) or len(key) > 253:
                causes.append(invalid(f"{section}[{key}]", key, CONFIG_KEY_MSG))
            if section != "stringData" and key in seen:
                causes.append(invalid(f"{section}[{key}]", key, "duplicate of key present in data"))
            seen.add(key)
    return causes


def _configmap(obj: Obj, old: Obj | None) -> list[Cause]:
    return _data_keys(obj, ("data", "binaryData")) + _immutable_data(obj, old)


def _secret(obj: Obj, old: Obj | None) -> list[Cause]:
    causes = _data_keys(obj, ("data", "stringData")) + _immutable_data(obj, old)
    if old is not None and obj.get("type", "Opaque") != old.get("type", "Opaque"):
        causes.append(invalid("type", obj.get("type"), IMMUTABLE))
    return causes


def _pvc(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    if not spec.get("accessModes"):
        causes.append(required("spec.accessModes", "at least 1 access mode is required"))
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if storage is None:
        causes.append(required("spec.resources[storage]"))
    else:
        try:
            parse_quantity(storage)
        except ValueError as err:
            causes.append(invalid("spec.resources.requests[storage]", storage, str(err)))
            return causes
    if old is not None:
        old_spec = old.get("spec") or {}
        new_rest = {k: v for k, v in spec.items() if k not in ("resources", "volumeAttributesClassName")}
        old_rest = {k: v for k, v in old_spec.items() if k not in ("resources", "volumeAttributesClassName")}
        if not old_spec.get("volumeName"):
            new_rest.pop("volumeName", None)
            old_rest.pop("volumeName", None)
        if not old_spec.get("storageClassName"):
            new_rest.pop("storageClassName", None)
            old_rest.pop("storageClassName", None)
        new_limits = (spec.get("resources") or {}).get("limits")
        old_limits = (old_spec.get("resources") or {}).get("limits")
        if new_rest != old_rest or new_limits != old_limits:
            causes.append(forbidden("spec", "spec is immutable after creation except resources.requests and "
                                    "volumeAttributesClassName for bound claims"))
        old_storage = ((old_spec.get("resources") or {}).get("requests") or {}).get("storage")
        if storage is not None and old_storage is not None and parse_quantity(storage) < parse_quantity(
                old_storage):
            causes.append(forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"
                                    if (old.get("status") or {}).get("capacity") else
                                    "field can not be less than previous value"))
    return causes


_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
             "n": 10**-9, "u": 10**-6, "m": 10**-3, "": 1, "k": 10**3, "M": 10**6, "G": 10**9,
             "T": 10**12, "P": 10**15, "E": 10**18}


def parse_quantity(value: Any) -> float:
    """A resource.Quantity ('1Gi', '500m', 2) as a number."""
    text = str(value).strip()
    match = re.fullmatch(r"([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)", text)
    if not match or match.group(2) not in _SUFFIXES:
        raise ValueError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    return float(match.group(1)) * _SUFFIXES[match.group(2)]


def _namespace(obj: Obj, old: Obj | None) -> list[Cause]:
    return []


_VALIDATORS: dict[tuple[str, str], Callable[[Obj, Obj | None], list[Cause]]] = {
    ("apps", "deployments"): _deployment,
    ("apps", "replicasets"): _replicaset,
    ("apps", "statefulsets"): _statefulset,
    ("apps", "daemonsets"): _daemonset,
    ("batch", "jobs"): _job,
    ("batch", "cronjobs"): _cronjob,
    ("", "pods"): _pod,
    ("", "services"): _service,
    ("", "configmaps"): _configmap,
    ("", "secrets"): _secret,
    ("", "persistentvolumeclaims"): _pvc,
    ("", "namespaces"): _namespace,
}

BUILTIN_GROUPS = frozenset({"", "apps", "batch", "storage.k8s.io", "rbac.authorization.k8s.io",
                            "networking.k8s.io", "policy", "autoscaling", "coordination.k8s.io",
                            "discovery.k8s.io", "events.k8s.io", "apiextensions.k8s.io",
                            "admissionregistration.k8s.io", "scheduling.k8s.io", "node.k8s.io",
                            "certificates.k8s.io", "apiregistration.k8s.io"})


def validate(gvr: GVR, obj: Obj, old: Obj | None) -> list[Cause]:
    """Validation causes for a create (old is None) or an update of a built-in resource; [] when valid."""
    causes = _metadata(gvr, obj) if old is None or gvr.group in BUILTIN_GROUPS else []
    validator = _VALIDATORS.get((gvr.group, gvr.resource))
    if validator is not None:
        try:
            causes += validator(obj, old)
        except (AttributeError, TypeError):
            causes.append(invalid("spec", None, "malformed object", rendered="{...}"))
    return causes
