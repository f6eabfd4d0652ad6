"""Container image references as containerd sees them: parsing, normalising, digests, pull errors."""

from __future__ import annotations

import hashlib
import re

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}"
_REFERENCE = re.compile(rf"^(?:({_DOMAIN})/)?({_COMPONENT}(?:/{_COMPONENT})*)(?::({_TAG}))?(?:@({_DIGEST}))?$")


class InvalidImageName(ValueError):
    """The reference cannot be parsed; the kubelet reports InvalidImageName."""


def normalize(image: str) -> str:
    """`nginx:1.25` -> `docker.io/library/nginx:1.25`; untagged references get `:latest`."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        domain, path = first, rest
    else:
        domain, path = "docker.io", image
    match = _REFERENCE.match(f"{domain}/{path}")
    if match is None:
        reason = "repository name must be lowercase" if image != image.lower() and _REFERENCE.match(
            f"{domain}/{path}".lower()) else "invalid reference format"
        detail = f"invalid reference format: {reason}" if reason != "invalid reference format" else reason
        raise InvalidImageName(f'Failed to apply default image tag "{image}": couldn\'t parse image name '
                               f'"{image}": {detail}')
    repo = match.group(2)
    if domain == "docker.io" and "/" not in repo:
        repo = f"library/{repo}"
    tag, digest = match.group(3), match.group(4)
    if digest:
        return f"{domain}/{repo}" + (f":{tag}" if tag else "") + f"@{digest}"
    return f"{domain}/{repo}:{tag or 'latest'}"


def repository(normalized: str) -> str:
    name = normalized.split("@", 1)[0]
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > last_slash else name


def image_digest(normalized: str) -> str:
    """A stable content digest for an image (what the lab's node 'pulled')."""
    if "@" in normalized:
        return normalized.split("@", 1)[1]
    return "sha256:" + hashlib.sha256(normalized.encode()).hexdigest()


def image_id(normalized: str) -> str:
    return f"{repository(normalized)}@{image_digest(normalized)}"


def image_size(normalized: str) -> int:
    return 5_000_000 + int.from_bytes(hashlib.sha256(normalized.encode()).digest()[:3], "big") * 3


def pull_error(image: str, normalized: str) -> str:
    """containerd's answer when the reference does not resolve (kind's wording)."""
    return (f"rpc error: code = NotFound desc = failed to pull and unpack image \"{normalized}\": failed to "
            f"resolve reference \"{normalized}\": {normalized}: not found")
