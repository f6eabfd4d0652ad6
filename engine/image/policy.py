"""ImagePolicy tag selection: filterTags, then the semver, alphabetical or numerical policy, as Flux picks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.gotext import GoRegexError, compile_go_regex, go_expand, go_parse_float
from engine.masterminds import ConstraintError, Constraints, Version, parse_tag

INVALID_POLICY = "InvalidPolicy"
FAILURE = "Failure"


class PolicyError(Exception):
    """No tag can be picked. `reason` is the ImagePolicy condition reason (`InvalidPolicy` stalls it)."""

    def __init__(self, message: str, reason: str = FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason

    @property
    def stalled(self) -> bool:
        return self.reason == INVALID_POLICY


def _empty() -> PolicyError:
    return PolicyError("version list argument cannot be empty")


class SemverPolicy:
    """`policy.semver.range`: the highest version the range allows; the first of equal versions wins."""

    def __init__(self, range_: str) -> None:
        try:
            self.constraints = Constraints(range_)
        except ConstraintError as err:
            raise PolicyError(f"invalid policy: {err}", INVALID_POLICY) from err

    def latest(self, tags: list[str]) -> str:
        if not tags:
            raise _empty()
        best: Version | None = None
        for tag in tags:
            v = parse_tag(tag)
            if v is not None and self.constraints.check(v) and (best is None or v.compare(best) > 0):
                best = v
        if best is None:
            raise PolicyError("unable to determine latest version from provided list")
        return best.original


def _order(policy: Mapping[str, Any]) -> str:
    order = str(policy.get("order") or "asc").upper()
    if order not in ("ASC", "DESC"):
        raise PolicyError(
            f"invalid policy: invalid order argument provided: '{order}', must be one of: ASC, DESC", INVALID_POLICY
        )
    return order


class AlphabeticalPolicy:
    """`policy.alphabetical.order`: byte order; `asc` picks the greatest tag, `desc` the least."""

    def __init__(self, order: str) -> None:
        self.order = order

    def latest(self, tags: list[str]) -> str:
        if not tags:
            raise _empty()
        latest = tags[0]
        for tag in tags[1:]:
            a, b = tag.encode("utf-8", "surrogateescape"), latest.encode("utf-8", "surrogateescape")
            if (self.order == "ASC" and a >= b) or (self.order == "DESC" and a <= b):
                latest = tag
        return latest


class NumericalPolicy:
    """`policy.numerical.order`: every tag must be a Go float; `asc` picks the largest, last of equals wins."""

    def __init__(self, order: str) -> None:
        self.order = order

    def latest(self, tags: list[str]) -> str:
        if not tags:
            raise _empty()
        latest, previous = "", 0.0
        for i, tag in enumerate(tags):
            value = go_parse_float(tag)
            if value is None:
                raise PolicyError(f"failed to parse invalid numeric value '{tag}'")
            if i > 0 and ((self.order == "ASC" and value < previous) or (self.order == "DESC" and value > previous)):
                continue
            latest, previous = tag, value
        return latest


Policer = SemverPolicy | AlphabeticalPolicy | NumericalPolicy


def policer(choice: Mapping[str, Any]) -> Policer:
    """The policy object for an ImagePolicy `spec.policy` (semver, then alphabetical, then numerical)."""
    if choice.get("semver") is not None:
        return SemverPolicy(str((choice["semver"] or {}).get("range", "")))
    if choice.get("alphabetical") is not None:
        return AlphabeticalPolicy(_order(choice["alphabetical"] or {}))
    if choice.get("numerical") is not None:
        return NumericalPolicy(_order(choice["numerical"] or {}))
    raise PolicyError("given ImagePolicyChoice object is invalid", INVALID_POLICY)


class TagFilter:
    """`filterTags`: keep tags the pattern finds (unanchored), keyed by `extract`; later tags win a key."""

    def __init__(self, pattern: str, extract: str = "") -> None:
        try:
            self.regex = compile_go_regex(pattern)
        except GoRegexError as err:
            raise PolicyError(
                f"failed to filter tags: invalid regular expression pattern '{pattern}': {err}", INVALID_POLICY
            ) from err
        self.extract = extract

    def apply(self, tags: Iterable[str]) -> dict[str, str]:
        """Map of key -> original tag, in first-seen key order."""
        keyed: dict[str, str] = {}
        for tag in tags:
            m = self.regex.search(tag)
            if m is None:
                continue
            keyed[go_expand(self.extract, m) if self.extract else tag] = tag
        return keyed


def select_latest(spec: Mapping[str, Any], tags: list[str]) -> str:
    """The tag an ImagePolicy with this `spec` picks from `tags` (in the repository's stored order)."""
    choice = policer(spec.get("policy") or {})
    filter_spec = spec.get("filterTags")
    if not filter_spec:
        return choice.latest(list(tags))
    keyed = TagFilter(str(filter_spec.get("pattern") or ""), str(filter_spec.get("extract") or "")).apply(tags)
    return keyed[choice.latest(list(keyed))]
