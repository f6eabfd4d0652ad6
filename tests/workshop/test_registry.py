"""The lab registry on every backend installed here: publish, list, pull check, lifecycle."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from workshop.registry import ACCEPT, LabRegistry, LabRegistryError, available_kinds, image_blobs


@pytest.fixture(params=available_kinds())
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LabRegistry]:
    reg = LabRegistry(tmp_path / "registry", kind=request.param).start()
    try:
        yield reg
    finally:
        reg.stop()


def test_publish_list_and_pull(registry: LabRegistry) -> None:
    assert registry.host.startswith("127.0.0.1:")
    digests = {tag: registry.publish("teaching/app", tag) for tag in ["1.0.0", "1.1.0", "2.0.0-rc.1"]}
    assert len(set(digests.values())) == 3
    assert registry.tags("teaching/app") == ["1.0.0", "1.1.0", "2.0.0-rc.1"]
    assert registry.tags("teaching/missing") == []
    assert registry.digest("teaching/app", "1.1.0") == digests["1.1.0"]
    assert registry.image_available(registry.image("teaching/app", "1.0.0"))
    assert registry.image_available(f"{registry.image('teaching/app')}@{digests['1.0.0']}")
    assert not registry.image_available(registry.image("teaching/app", "3.0.0"))
    assert not registry.image_available("docker.io/library/nginx:1.25")
    assert not registry.image_available(f"{registry.image('teaching/app')}@sha256:{'0' * 64}")


def test_the_image_is_a_valid_oci_image(registry: LabRegistry) -> None:
    digest = registry.publish("teaching/app", "1.0.0")
    response = requests.get(f"{registry.url}/v2/teaching/app/manifests/1.0.0", headers={"Accept": ACCEPT},
                            timeout=10)
    assert response.headers["Content-Type"] == "application/vnd.oci.image.manifest.v1+json"
    assert "sha256:" + hashlib.sha256(response.content).hexdigest() == digest
    manifest = json.loads(response.content)
    for descriptor in [manifest["config"], *manifest["layers"]]:
        blob = requests.get(f"{registry.url}/v2/teaching/app/blobs/{descriptor['digest']}", timeout=10).content
        assert len(blob) == descriptor["size"]
        assert "sha256:" + hashlib.sha256(blob).hexdigest() == descriptor["digest"]
    config = json.loads(requests.get(f"{registry.url}/v2/teaching/app/blobs/{manifest['config']['digest']}",
                                     timeout=10).content)
    assert config["rootfs"]["diff_ids"] == [manifest["layers"][0]["digest"]]


def test_republishing_is_idempotent_and_stable(registry: LabRegistry) -> None:
    first = registry.publish("teaching/app", "1.0.0")
    assert registry.publish("teaching/app", "1.0.0") == first
    assert first == "sha256:" + hashlib.sha256(image_blobs("teaching/app", "1.0.0")[2]).hexdigest()


def test_uppercase_repository_is_refused(registry: LabRegistry) -> None:
    with pytest.raises(LabRegistryError, match="must be lowercase"):
        registry.publish("Teaching/App", "1.0.0")


def test_stop_frees_the_port(tmp_path: Path) -> None:
    reg = LabRegistry(kind=available_kinds()[0]).start()
    url = reg.url
    reg.stop()
    assert not reg.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/v2/", timeout=2)
    with pytest.raises(LabRegistryError, match="not running"):
        _ = reg.host


def test_auto_prefers_the_real_registry() -> None:
    expected = "docker-registry" if "docker-registry" in available_kinds() else "embedded"
    assert LabRegistry().kind == expected
    assert LabRegistry(credentials=("u", "p")).kind == "embedded"
