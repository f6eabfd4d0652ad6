"""One ImageRepository scan: list the tags, drop excluded ones, sort them as Flux stores them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.image.reference import parse_image
from engine.image.registry import (
    RegistryAuthError,
    RegistryClient,
    apply_exclusions,
    credentials_from_dockerconfig,
    latest_tags,
    sort_tags,
    tags_revision,
)


@dataclass(frozen=True)
class ScanResult:
    """The stored tag list (bytewise descending) and the `lastScanResult` fields derived from it."""

    canonical_image_name: str
    tags: list[str]
    exclusion_list: list[str]

    @property
    def tag_count(self) -> int:
        return len(self.tags)

    @property
    def latest_tags(self) -> list[str]:
        return latest_tags(self.tags)

    @property
    def revision(self) -> str:
        return tags_revision(self.tags)


def scan_repository(image: str, *, exclusion_list: list[str] | None = None, insecure: bool = False,
                    secret_data: Mapping[str, str] | None = None, timeout: float = 30.0) -> ScanResult:
    """Scan `image` (an ImageRepository `spec.image`); `secret_data` is a dockerconfigjson Secret's data."""
    name = parse_image(image)
    observed = list(exclusion_list or []) or [r"^.*\.sig$"]
    credentials = None
    if secret_data is not None:
        credentials = credentials_from_dockerconfig(secret_data, name.registry)
        if credentials is None:
            raise RegistryAuthError(f"the Secret has no credentials for registry '{name.registry}'")
    client = RegistryClient(name, credentials=credentials, insecure=insecure, timeout=timeout)
    tags = apply_exclusions(client.list_tags(), observed)
    return ScanResult(name.canonical, sort_tags(tags), observed)
