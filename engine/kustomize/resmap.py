"""The ordered collection of resources a kustomization accumulates (kustomize's ResMap)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from .errors import KustomizeError
from .resid import ResId
from .resource import Resource

if TYPE_CHECKING:
    from .openapi import OpenApiState


class ResMap:
    """Resources in accumulation order; ids are unique by `ResId.equals`."""

    def __init__(self, resources: Iterable[Resource] = ()) -> None:
        self._list: list[Resource] = []
        self._keys: set[tuple[str, ...]] | None = None
        self.openapi: OpenApiState | None = None  # the build's schema, for strategic merge patches
        self.append_all(resources)

    def invalidate(self) -> None:
        """Forget the id index; call after anything may have renamed resources."""
        self._keys = None

    def __iter__(self) -> Iterator[Resource]:
        return iter(list(self._list))

    def __len__(self) -> int:
        return len(self._list)

    def resources(self) -> list[Resource]:
        return list(self._list)

    def append(self, res: Resource) -> None:
        self.append_all([res])

    def append_all(self, resources: Iterable[Resource]) -> None:
        """Append in order; an id already present is an error (the resources before it stay appended)."""
        if self._keys is None:
            self._keys = {r.cur_id().key() for r in self._list}
        existing = self._keys
        for res in resources:
            cur = res.cur_id()
            key = cur.key()
            if key in existing:
                raise KustomizeError(f"may not add resource with an already registered id: {cur}")
            existing.add(key)
            self._list.append(res)

    def replace_all(self, resources: list[Resource]) -> None:
        self._list = list(resources)
        self._keys = None

    def remove(self, res: Resource) -> None:
        self._list = [r for r in self._list if r is not res]
        self._keys = None

    def replace(self, old: Resource, new: Resource) -> None:
        self._list = [new if r is old else r for r in self._list]
        self._keys = None

    def by_any_id(self, pred: Callable[[ResId], bool]) -> list[Resource]:
        return [r for r in self._list if any(pred(i) for i in r.all_ids())]

    def by_current_id(self, pred: Callable[[ResId], bool]) -> list[Resource]:
        return [r for r in self._list if pred(r.cur_id())]

    def get_by_id(self, rid: ResId) -> Resource:
        """The one resource any of whose ids equals `rid` (kustomize's GetById)."""
        name = rid.name
        named = [r for r in self._list if r.name == name or any(p.name == name for p in r.prev_ids)]
        found = [r for r in named if any(rid.equals(i) for i in r.all_ids())]
        if len(found) == 1:
            return found[0]
        if found:
            raise KustomizeError(
                f"multiple matches for Id {rid}; failed to find unique target for patch {rid}"
            )
        raise KustomizeError(f"no matches for Id {rid}; failed to find unique target for patch {rid}")
