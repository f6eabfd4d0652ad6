"""The scanner's registry client against the lab registry backends installed here, including the
pagination and auth challenges only the embedded registry can serve (distribution 2.8 ignores n/last)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.image.reference import ImageNameError, parse_image
from engine.image.registry import (
    RegistryAuthError,
    RegistryClient,
    RegistryError,
    credentials_from_dockerconfig,
)
from engine.image.scan import scan_repository
from workshop.registry import LabRegistry, available_kinds

TAGS = ["1.0.0", "1.0.1", "1.1.0-rc.1", "1.1.0", "v2.0.0", "latest", "main-abc1234-1700000000", "1.2.0.sig"]


@pytest.fixture(params=available_kinds())
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LabRegistry]:
    reg = LabRegistry(tmp_path / "registry", kind=request.param).start()
    try:
        for tag in TAGS:
            reg.publish("teaching/fake-app", tag)
        yield reg
    finally:
        reg.stop()


def test_list_tags_and_digest(registry: LabRegistry) -> None:
    client = RegistryClient(parse_image(f"{registry.host}/teaching/fake-app"))
    assert sorted(client.list_tags()) == sorted(TAGS)
    assert client.digest("1.1.0") == registry.digest("teaching/fake-app", "1.1.0")


def test_scan_applies_default_exclusions_and_flux_order(registry: LabRegistry) -> None:
    result = scan_repository(f"{registry.host}/teaching/fake-app")
    assert result.tag_count == len(TAGS) - 1
    assert "1.2.0.sig" not in result.tags
    assert result.tags == sorted(result.tags, key=str.encode, reverse=True)
    assert result.latest_tags == result.tags[:10]
    assert result.canonical_image_name == f"{registry.host}/teaching/fake-app"
    assert result.revision.startswith("sha256:")


def test_unknown_repository_and_dead_registry(registry: LabRegistry) -> None:
    with pytest.raises(RegistryError, match="NAME_UNKNOWN"):
        RegistryClient(parse_image(f"{registry.host}/teaching/nothing")).list_tags()
    with pytest.raises(RegistryError, match="connection refused"):
        RegistryClient(parse_image("127.0.0.1:1/teaching/nothing"), timeout=2).list_tags()


def test_pagination_follows_link_headers(tmp_path: Path) -> None:
    with LabRegistry(kind="embedded") as reg:
        for i in range(7):
            reg.publish("paged/app", f"1.0.{i}")
        client = RegistryClient(parse_image(f"{reg.host}/paged/app"), page_size=3)
        seen: list[str] = []
        client.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.url))
        assert client.list_tags() == [f"1.0.{i}" for i in range(7)]
        assert len(seen) == 3
        assert "last=1.0.2" in seen[1] and "last=1.0.5" in seen[2]


def _dockerconfig(host: str, user: str, password: str) -> dict[str, str]:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    raw = json.dumps({"auths": {host: {"auth": auth}}}).encode()
    return {".dockerconfigjson": base64.b64encode(raw).decode()}


@pytest.mark.parametrize("mode", ["token", "basic"])
def test_auth_challenges(mode: str) -> None:
    with LabRegistry(kind="embedded", credentials=("learner", "s3cret"), auth_mode=mode) as reg:
        reg.publish("private/app", "1.0.0")
        image = parse_image(f"{reg.host}/private/app")
        good = credentials_from_dockerconfig(_dockerconfig(reg.host, "learner", "s3cret"), reg.host)
        assert RegistryClient(image, credentials=good).list_tags() == ["1.0.0"]
        bad = credentials_from_dockerconfig(_dockerconfig(reg.host, "learner", "wrong"), reg.host)
        with pytest.raises(RegistryAuthError):
            RegistryClient(image, credentials=bad).list_tags()
        with pytest.raises(RegistryAuthError):
            RegistryClient(image).list_tags()


def test_dockerconfig_errors_and_matching() -> None:
    assert credentials_from_dockerconfig(_dockerconfig("other:5000", "a", "b"), "127.0.0.1:5000") is None
    hub = credentials_from_dockerconfig(_dockerconfig("https://index.docker.io/v1/", "a", "b"), "index.docker.io")
    assert hub is not None and hub.username == "a"
    with pytest.raises(RegistryAuthError, match="no '.dockerconfigjson' key"):
        credentials_from_dockerconfig({}, "x")


@pytest.mark.parametrize(("image", "canonical"), [
    ("alpine", "index.docker.io/library/alpine"),
    ("docker.io/org/app", "index.docker.io/org/app"),
    ("ghcr.io/org/app", "ghcr.io/org/app"),
    ("localhost:5000/x", "localhost:5000/x"),
])
def test_canonical_names(image: str, canonical: str) -> None:
    assert parse_image(image).canonical == canonical


@pytest.mark.parametrize(("image", "message"), [
    ("https://ghcr.io/org/app", "image 'https://ghcr.io/org/app' should not include URL scheme; remove 'https://'"),
    ("ghcr.io/org/app:1.0", "image 'ghcr.io/org/app:1.0' should not include a tag; remove ':1.0'"),
    ("ghcr.io/Org/App", "could not parse reference"),
])
def test_invalid_images(image: str, message: str) -> None:
    with pytest.raises(ImageNameError, match=message.replace("(", r"\(")):
        parse_image(image)
