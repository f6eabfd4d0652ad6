"""Image names as go-containerregistry parses them: registry, repository, canonical name, Flux's checks."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

DEFAULT_REGISTRY = "index.docker.io"
_REPO_CHARS = re.compile(r"[a-z0-9_\-./]+")
_TAG = re.compile(r"[\w][\w.-]{0,127}")


class ImageNameError(ValueError):
    """`spec.image` cannot be used (Flux stalls the ImageRepository with reason ImageURLInvalid)."""


@dataclass(frozen=True)
class ImageName:
    """A repository reference: `registry` host[:port] and `repository` path, as the registry sees them."""

    registry: str
    repository: str

    @property
    def canonical(self) -> str:
        """`status.canonicalImageName` (Docker Hub short names become `index.docker.io/library/x`)."""
        return f"{self.registry}/{self.repository}"

    @property
    def plain_http(self) -> bool:
        """go-containerregistry's default scheme choice: http for localhost, loopback and private IPs."""
        host = self.registry.rsplit(":", 1)[0] if not self.registry.startswith("[") else self.registry[1:].split("]")[0]
        if host == "localhost" or host.endswith(".localhost") or host.endswith(".local"):
            return True
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return ip.is_loopback or ip.is_private


def _split_registry(text: str) -> tuple[str, str]:
    first, sep, rest = text.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry = "index.docker.io" if first == "docker.io" else first
        return registry, rest
    return DEFAULT_REGISTRY, text


def parse_image(image: str) -> ImageName:
    """Validate an ImageRepository `spec.image` (no scheme, no tag) and split it."""
    if "://" in image:
        scheme = image.split("://", 1)[0]
        raise ImageNameError(f"image '{image}' should not include URL scheme; remove '{scheme}://'")
    registry, repository = _split_registry(image)
    if ":" in repository:
        tag = repository.split(":", 1)[1]
        raise ImageNameError(f"image '{image}' should not include a tag; remove ':{tag}'")
    if "@" in repository:
        raise ImageNameError(f"image '{image}' should not include a digest; remove '@{repository.split('@', 1)[1]}'")
    if not repository:
        raise ImageNameError(f"could not parse reference: {image}: a repository name is required")
    if not _REPO_CHARS.fullmatch(repository):
        raise ImageNameError(
            f"could not parse reference: {image}: repository can only contain the characters "
            f"`abcdefghijklmnopqrstuvwxyz0123456789_-./`: {repository}"
        )
    if registry == DEFAULT_REGISTRY and "/" not in repository:
        repository = f"library/{repository}"
    return ImageName(registry, repository)


@dataclass(frozen=True)
class ImageRef:
    """A policy's `latestRef`: `name` is the ImageRepository's `spec.image` verbatim."""

    name: str
    tag: str
    digest: str = ""

    def __str__(self) -> str:
        return f"{self.name}:{self.tag}" + (f"@{self.digest}" if self.digest else "")

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        """`name:tag[@digest]` (the tag is after the last colon that follows the last slash)."""
        body, _, digest = text.partition("@")
        slash = body.rfind("/")
        colon = body.rfind(":")
        if colon <= slash:
            raise ImageNameError(f"image reference '{text}' has no tag; write it as name:tag")
        tag = body[colon + 1:]
        if not _TAG.fullmatch(tag):
            raise ImageNameError(f"image reference '{text}' has an invalid tag '{tag}'")
        return cls(body[:colon], tag, digest)

    @classmethod
    def of(cls, value: object) -> ImageRef:
        """Accept an ImageRef, a `latestRef` mapping or a `name:tag[@digest]` string."""
        if isinstance(value, ImageRef):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, dict):
            return cls(str(value.get("name", "")), str(value.get("tag", "")), str(value.get("digest") or ""))
        for attr in ("name", "tag"):
            if not hasattr(value, attr):
                raise TypeError(f"cannot use {value!r} as an image reference (needs name and tag)")
        return cls(str(value.name), str(value.tag), str(getattr(value, "digest", "") or ""))  # type: ignore[attr-defined]
