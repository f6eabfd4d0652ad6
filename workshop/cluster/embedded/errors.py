"""API errors as a real API server reports them: `kind: Status` bodies with code, reason, message, details."""

from __future__ import annotations

from engine.jsonobj import Obj

from .api import StoreError


class ApiError(StoreError):
    """A StoreError that also carries Status `details` (name, group, kind, causes)."""

    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        super().__init__(code, reason, message)
        self.details = details or {}

    def status(self) -> Obj:
        """The `kind: Status` body for this error."""
        return status_body(self.code, self.reason, self.message, self.details)


def status_body(code: int, reason: str, message: str, details: Obj | None = None) -> Obj:
    body: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                 "message": message, "reason": reason}
    if details:
        body["details"] = details
    body["code"] = code  # a real server writes details before code (metav1.Status field order)
    return body


def success_status(details: Obj | None = None) -> Obj:
    body: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        body["details"] = details
    return body


def qualified(resource: str, group: str) -> str:
    """`deployments.apps`, or just `configmaps` for the core group."""
    return f"{resource}.{group}" if group else resource


def _details(resource: str, group: str, name: str) -> Obj:
    d: Obj = {"name": name}
    if group:
        d["group"] = group
    d["kind"] = resource
    return d


def not_found(resource: str, group: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{qualified(resource, group)} "{name}" not found',
                    _details(resource, group, name))


def already_exists(resource: str, group: str, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{qualified(resource, group)} "{name}" already exists',
                    _details(resource, group, name))


def conflict(resource: str, group: str, name: str) -> ApiError:
    return ApiError(409, "Conflict",
                    f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again",
                    _details(resource, group, name))


def invalid(kind: str, group: str, name: str, causes: list[Obj], message: str | None = None) -> ApiError:
    """422 Invalid with field causes; message `Kind "name" is invalid: field: reason` like the real server."""
    if message is None:
        parts = [f"{c.get('field')}: {c.get('message')}" if c.get("field") else str(c.get("message"))
                 for c in causes]
        summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
        message = f'{kind}{"." + group if group else ""} "{name}" is invalid: {summary}'
    details: Obj = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = causes
    return ApiError(422, "Invalid", message, details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def forbidden(message: str, resource: str = "", group: str = "", name: str = "") -> ApiError:
    return ApiError(403, "Forbidden", message, _details(resource, group, name) if resource else None)


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(415, "UnsupportedMediaType", f'the body of the request was in an unknown format - accepted media '
                    f'types include: application/json-patch+json, application/merge-patch+json, '
                    f'application/apply-patch+yaml (got "{content_type}")')


def resource_not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)
