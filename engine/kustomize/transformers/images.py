"""The `images:` field: rewrite container images by name (newName, newTag, digest)."""

from __future__ import annotations

import re
from typing import Any

from ..fieldspec import FieldSpec, visit
from ..resmap import ResMap


def split_image(image: str) -> tuple[str, str, str]:
    """name, tag, digest of an image reference; a registry port is not a tag."""
    slash = image.find("/")
    search = image[slash:] if slash > 0 else image
    offset = slash if slash > 0 else 0
    at, colon = search.find("@"), search.find(":")
    if colon < 0 and at < 0:
        return image, "", ""
    if at >= 0 and (at < colon or colon < 0):
        return image[: at + offset], "", image[at + offset + 1 :]
    if at >= 0 and colon >= 0:
        return image[: colon + offset], image[colon + offset + 1 : at + offset], image[at + offset + 1 :]
    return image[: colon + offset], image[colon + offset + 1 :], ""


class ImageUpdater:
    """One `images:` entry."""

    def __init__(self, entry: dict[str, Any]) -> None:
        self.name = str(entry.get("name") or "")
        self.new_name = str(entry.get("newName") or "")
        self.new_tag = str(entry.get("newTag") or "")
        self.digest = str(entry.get("digest") or "")
        try:
            self.pattern: re.Pattern[str] | None = re.compile(
                "^" + self.name + r"(@sha256)?(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?\Z"
            )
        except re.error:
            self.pattern = None

    def set_value(self, parent: Any, key: Any) -> None:
        parent[key] = self.update(parent[key])

    def update(self, value: Any) -> Any:
        if not isinstance(value, str) or self.pattern is None or not self.pattern.match(value):
            return value
        name, tag, digest = split_image(value)
        if self.new_name:
            name = self.new_name
        if self.new_tag and self.digest:
            tag, digest = self.new_tag, self.digest
        elif self.new_tag:
            tag, digest = self.new_tag, ""
        elif self.digest:
            tag, digest = "", self.digest
        if tag:
            name += ":" + tag
        if digest:
            name += "@" + digest
        return name


def _walk_containers(node: Any, updaters: list[ImageUpdater]) -> None:
    """Every `image` in any list named containers/initContainers, at any depth (kustomize's legacy filter)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if (key == "containers" or key == "initContainers") and isinstance(value, list):
                for c in value:
                    if isinstance(c, dict) and "image" in c:
                        for u in updaters:
                            c["image"] = u.update(c["image"])
            elif isinstance(value, (dict, list)):
                _walk_containers(value, updaters)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, (dict, list)):
                _walk_containers(item, updaters)


def update_images(resmap: ResMap, updaters: list[ImageUpdater], specs: list[FieldSpec]) -> None:
    """Apply the `images:` entries in order: the legacy containers walk, then the field specs (as kustomize does)."""
    if not updaters:
        return
    for r in resmap.resources():
        gvk = r.gvk
        for u in updaters:
            _walk_containers(r.obj, [u])
            for fs in specs:
                if fs.applies_to(gvk):
                    visit(r.obj, fs.parts, u.set_value, create=False)
