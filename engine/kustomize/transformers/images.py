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
                "^" + self.name + r"(@sha256)?(:[a-zA-Z0-9_.{}-]*)?\Z"
            )
        except re.error:
            self.pattern = None

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

    def _containers(self, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("containers", "initContainers") and isinstance(value, list):
                    for c in value:
                        if isinstance(c, dict) and "image" in c:
                            c["image"] = self.update(c["image"])
                else:
                    self._containers(value)
        elif isinstance(node, list):
            for item in node:
                self._containers(item)

    def _set(self, parent: Any, key: Any) -> None:
        parent[key] = self.update(parent[key])

    def apply(self, resmap: ResMap, specs: list[FieldSpec]) -> None:
        for r in resmap.resources():
            self._containers(r.obj)
            gvk = r.gvk
            for fs in specs:
                if fs.applies_to(gvk):
                    visit(r.obj, fs.parts, self._set, create=False)
