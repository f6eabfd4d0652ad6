"""The registry of kinds the engine serves: group/version/kind/plural, so reconcilers and the CLI can extend it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class KindInfo:
    """One custom resource kind: where it is served and how kubectl shows it."""

    group: str
    version: str
    kind: str
    plural: str
    short_names: tuple[str, ...] = ()
    namespaced: bool = True
    categories: tuple[str, ...] = ("all",)
    printer_columns: tuple[dict[str, Any], ...] = ()
    schema: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{self.group}"


_KINDS: dict[str, KindInfo] = {}


def register_kind(info: KindInfo) -> KindInfo:
    """Add a kind (e.g. ImageRepository) so `install_crds` and the manager know it; returns `info`."""
    _KINDS[info.kind] = info
    return info


def kind_info(kind: str) -> KindInfo:
    try:
        return _KINDS[kind]
    except KeyError:
        raise KeyError(f"unknown kind {kind!r}: known kinds are {', '.join(sorted(_KINDS))}") from None


def registered_kinds() -> list[KindInfo]:
    return list(_KINDS.values())
