"""CRDs of `notification.toolkit.fluxcd.io`: Provider and Alert (v1beta3), Receiver (v1)."""

from __future__ import annotations

from typing import Any

from engine.api.kinds import KindInfo, register_kind

GROUP = "notification.toolkit.fluxcd.io"
_OPEN: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
    "spec": dict(_OPEN), "status": dict(_OPEN)}}  # distinct dicts: no YAML anchors in exports
_AGE = {"jsonPath": ".metadata.creationTimestamp", "name": "Age", "type": "date"}
_READY = (
    {"jsonPath": '.status.conditions[?(@.type=="Ready")].status', "name": "Ready", "type": "string"},
    {"jsonPath": '.status.conditions[?(@.type=="Ready")].message', "name": "Status", "type": "string"},
)

PROVIDER_TYPES = (
    "slack", "discord", "msteams", "rocket", "generic", "generic-hmac", "github", "gitlab", "gitea",
    "giteapullrequestcomment", "bitbucketserver", "bitbucket", "azuredevops", "googlechat", "googlepubsub", "webex",
    "sentry", "azureeventhub", "telegram", "lark", "matrix", "opsgenie", "alertmanager", "grafana", "githubdispatch",
    "githubpullrequestcomment", "gitlabmergerequestcomment", "pagerduty", "datadog", "nats", "zulip", "otel", "zoom",
    "incident.io",
)
RECEIVER_TYPES = ("generic", "generic-hmac", "generic-oidc", "github", "gitlab", "bitbucket", "harbor", "dockerhub",
                  "quay", "gcr", "nexus", "acr", "cdevents")


def _kind(kind: str, version: str, plural: str, columns: tuple[dict[str, Any], ...]) -> KindInfo:
    return register_kind(KindInfo(group=GROUP, version=version, kind=kind, plural=plural, short_names=(),
                                  categories=("all",), printer_columns=columns, schema=_SCHEMA))


PROVIDER = _kind("Provider", "v1beta3", "providers", (_AGE, *_READY))
ALERT = _kind("Alert", "v1beta3", "alerts", (_AGE, *_READY))
RECEIVER = _kind("Receiver", "v1", "receivers", (_AGE, *_READY))
