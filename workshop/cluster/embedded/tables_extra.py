"""Table printers of the kinds served for RBAC, certificates and aggregation: CertificateSigningRequest,
APIService and CSIStorageCapacity (the columns kube-apiserver's printers give them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.jsonobj import Obj

from .objects import age

Column = tuple[str, str, str, int, str]
Printer = tuple[list[Column], Callable[[Obj], list[Any]]]

_NAME: Column = ("Name", "string", "name", 0, "Name must be unique within a namespace.")
_AGE: Column = ("Age", "string", "", 0, "CreationTimestamp is a timestamp representing the server time when this "
                "object was created.")


def _col(name: str, type_: str = "string") -> Column:
    return (name, type_, "", 0, name)


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return "<none>"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _csr_row(o: Obj) -> list[Any]:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    conditions = [c.get("type", "") for c in status.get("conditions") or [] if isinstance(c, dict)
                  and c.get("status", "True") == "True"]
    if status.get("certificate"):
        conditions.append("Issued")
    return [o["metadata"]["name"], age(o["metadata"].get("creationTimestamp")), spec.get("signerName", ""),
            spec.get("username", ""), _duration(spec.get("expirationSeconds")),
            ",".join(conditions) or "Pending"]


def _apiservice_row(o: Obj) -> list[Any]:
    svc = (o.get("spec") or {}).get("service")
    service = f"{svc.get('namespace')}/{svc.get('name')}" if isinstance(svc, dict) else "Local"
    available = next((c for c in (o.get("status") or {}).get("conditions") or []
                      if isinstance(c, dict) and c.get("type") == "Available"), None)
    text = "Unknown" if available is None else str(available.get("status"))
    if available is not None and available.get("status") != "True":
        text += f" ({available.get('reason', '')})"
    return [o["metadata"]["name"], service, text, age(o["metadata"].get("creationTimestamp"))]


def _capacity_row(o: Obj) -> list[Any]:
    return [o["metadata"]["name"], o.get("storageClassName", ""), o.get("capacity", "")]


EXTRA_PRINTERS: dict[tuple[str, str], Printer] = {
    ("certificates.k8s.io", "certificatesigningrequests"): (
        [_NAME, _AGE, _col("SignerName"), _col("Requestor"), _col("RequestedDuration"), _col("Condition")], _csr_row),
    ("apiregistration.k8s.io", "apiservices"): ([_NAME, _col("Service"), _col("Available"), _AGE], _apiservice_row),
    ("storage.k8s.io", "csistoragecapacities"): ([_NAME, _col("StorageClassName"), _col("Capacity")], _capacity_row),
}
