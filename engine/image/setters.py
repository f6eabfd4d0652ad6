"""The Setters update strategy: rewrite scalars marked `# {"$imagepolicy": "ns:name[:tag|:name|:digest]"}`.

Only the marked scalar's bytes change; every other byte of the file (comments, indentation, quoting, key
order, other documents, block scalars) is kept. Files are screened for the literal `"$imagepolicy"` before
they are parsed, files that fail to parse are skipped, and unknown setter names are ignored, as in Flux.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.gotext import go_parse_float
from engine.image.reference import ImageRef

TOKEN = b'"$imagepolicy"'
_REF_PREFIX = "#/definitions/io.k8s.cli.setters."


class UpdateError(Exception):
    """The setters cannot run (bad `update.path`, unreadable tree); nothing was written."""


@dataclass(frozen=True)
class ObjectIdentifier:
    """The object a change is in; empty fields for a kustomization.yaml name or non-Kubernetes YAML."""

    api_version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""

    def sort_key(self) -> tuple[str, str, str, str]:
        """Go's map-key order for kyaml's ResourceIdentifier (APIVersion, Kind, Name, Namespace)."""
        return (self.api_version, self.kind, self.name, self.namespace)

    # Go-template field names
    @property
    def APIVersion(self) -> str:  # noqa: N802
        return self.api_version

    @property
    def Kind(self) -> str:  # noqa: N802
        return self.kind

    @property
    def Namespace(self) -> str:  # noqa: N802
        return self.namespace

    @property
    def Name(self) -> str:  # noqa: N802
        return self.name

    def go_format(self) -> str:
        """`%v` of the Go struct."""
        return f"{{{{{{{self.api_version} {self.kind}}} {{{self.name} {self.namespace}}}}}}}"


@dataclass(frozen=True)
class Change:
    """One scalar rewritten by one setter."""

    old_value: str
    new_value: str
    setter: str

    @property
    def OldValue(self) -> str:  # noqa: N802
        return self.old_value

    @property
    def NewValue(self) -> str:  # noqa: N802
        return self.new_value

    @property
    def Setter(self) -> str:  # noqa: N802
        return self.setter

    def go_format(self) -> str:
        return f"{{{self.old_value} {self.new_value} {self.setter}}}"


ObjectChanges = dict[ObjectIdentifier, list[Change]]


@dataclass
class UpdateResult:
    """What a setters run changed: file (relative to the update path) -> object -> changes, in file order."""

    file_changes: dict[str, ObjectChanges] = field(default_factory=dict)
    problem_files: list[str] = field(default_factory=list)

    @property
    def files_changed(self) -> list[str]:
        return sorted(self.file_changes)

    def changes(self) -> list[Change]:
        """Every change once (`.Changed.Changes`)."""
        seen: dict[Change, None] = {}
        for objects in self.file_changes.values():
            for changes in objects.values():
                for change in changes:
                    seen.setdefault(change)
        return list(seen)

    def objects(self) -> ObjectChanges:
        """Changes per object across files (`.Changed.Objects`)."""
        merged: ObjectChanges = {}
        for objects in self.file_changes.values():
            for obj, changes in objects.items():
                merged.setdefault(obj, []).extend(changes)
        return merged

    @property
    def FileChanges(self) -> dict[str, ObjectChanges]:  # noqa: N802
        return self.file_changes

    def Changes(self) -> list[Change]:  # noqa: N802
        return self.changes()

    def Objects(self) -> ObjectChanges:  # noqa: N802
        return self.objects()


def setter_values(policies: Mapping[str, Any]) -> dict[str, str]:
    """Setter name -> value for each `ns:policy` -> latestRef (full image, `:tag`, `:name`, `:digest`)."""
    values: dict[str, str] = {}
    for key, value in policies.items():
        ref = ImageRef.of(value)
        values[key] = str(ref)
        values[f"{key}:tag"] = ref.tag
        values[f"{key}:name"] = ref.name
        values[f"{key}:digest"] = ref.digest
    return values


def marker_setter(comment: str) -> str | None:
    """The setter name in a marker comment, or None when the comment is not exactly a marker."""
    body = comment.lstrip("#")
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return None
    if data.get("$imagepolicy"):
        return str(data["$imagepolicy"])
    ref = data.get("$ref", "")
    if ref.startswith(_REF_PREFIX) and len(ref) > len(_REF_PREFIX):
        return ref[len(_REF_PREFIX):]
    return None


# --- scalar formatting --------------------------------------------------------------------------

_BOOL_NULL_11 = {
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
    "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL",
    ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
}
_GO_INT = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)")
_PLAIN_UNSAFE_START = set("-?:,[]{}#&*!|>'\"%@`")


def reads_as_non_string(value: str) -> bool:
    """True when a plain scalar with this text would load as a bool, number or null (YAML 1.1 rules)."""
    if value in _BOOL_NULL_11:
        return True
    if value[:1] and value[0] in "+-.0123456789":
        plain = value.replace("_", "")
        if _GO_INT.fullmatch(plain) or go_parse_float(plain) is not None:
            return True
    return False


def _plain_safe(value: str) -> bool:
    if not value or value != value.strip() or "\n" in value or "\t" in value:
        return False
    if ": " in value or " #" in value or value.endswith(":"):
        return False
    if value[0] in "-?:":
        return len(value) > 1 and value[1] != " "
    return value[0] not in _PLAIN_UNSAFE_START


def _double_quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def render_scalar(value: str, style: str | None) -> str:
    """The source text for `value` in the node's style; plain values that would not read back as strings
    are double-quoted, as Flux's string-typed setter schema makes kyaml do."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"':
        return _double_quoted(value)
    if value == "" or reads_as_non_string(value):
        return _double_quoted(value)
    if not _plain_safe(value):
        return "'" + value.replace("'", "''") + "'"
    return value


# --- locating marked scalars ------------------------------------------------------------------------

@dataclass(frozen=True)
class MarkedScalar:
    """A scalar node, its source span and the setter named by its marker."""

    start: int
    end: int
    style: str | None
    value: str
    setter: str
    object_id: ObjectIdentifier


def _line_comment(text: str, end: int) -> str:
    line_end = text.find("\n", end)
    rest = text[end: len(text) if line_end < 0 else line_end].rstrip("\r")
    stripped = rest.lstrip(" \t")
    return stripped.rstrip() if stripped.startswith("#") else ""


_SEQ_PREFIX = re.compile(r"[ \t]*(?:-[ \t]+)+")


def _head_comment(text: str, start: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    if not _SEQ_PREFIX.fullmatch(text[line_start:start]):
        return ""
    lines: list[str] = []
    pos = line_start
    while pos > 0:
        prev_start = text.rfind("\n", 0, pos - 1) + 1
        line = text[prev_start:pos - 1].rstrip("\r").strip()
        if not line.startswith("#"):
            break
        lines.insert(0, line)
        pos = prev_start
    return "\n".join(lines)


def _scalar(node: yaml.Node | None, key: str) -> str:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.ScalarNode):
                return str(v.value)
    return ""


def _object_id(doc: yaml.Node | None) -> ObjectIdentifier:
    meta = None
    if isinstance(doc, yaml.MappingNode):
        meta = next((v for k, v in doc.value if isinstance(k, yaml.ScalarNode) and k.value == "metadata"), None)
    return ObjectIdentifier(_scalar(doc, "apiVersion"), _scalar(doc, "kind"), _scalar(meta, "namespace"),
                            _scalar(meta, "name"))


def _scalars(node: yaml.Node, in_sequence: bool, seen: set[int]) -> Iterator[tuple[yaml.ScalarNode, bool]]:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        yield node, in_sequence
    elif isinstance(node, yaml.MappingNode):
        for _key, value in node.value:
            yield from _scalars(value, False, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item, True, seen)


def find_marked_scalars(text: str, known: Mapping[str, str]) -> list[MarkedScalar]:
    """Marked scalars whose setter is in `known`, in document order (yaml.YAMLError if it does not parse)."""
    tokens = {t.end_mark.index: t for t in yaml.scan(text, Loader=yaml.SafeLoader) if isinstance(t, yaml.ScalarToken)}
    found: list[MarkedScalar] = []
    for doc in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if doc is None:
            continue
        object_id = _object_id(doc)
        for node, in_sequence in _scalars(doc, False, set()):
            token = tokens.get(node.end_mark.index)
            if token is None or token.style in ("|", ">"):
                continue
            comment = _line_comment(text, token.end_mark.index)
            if not comment and in_sequence:
                comment = _head_comment(text, token.start_mark.index)
            setter = marker_setter(comment) if comment else None
            if setter is None or setter not in known:
                continue
            found.append(MarkedScalar(token.start_mark.index, token.end_mark.index, token.style, node.value, setter,
                                      object_id))
    return found


def apply_setters_to_text(text: str, values: Mapping[str, str]) -> tuple[str, list[tuple[ObjectIdentifier, Change]]]:
    """Rewrite the marked scalars of one file's text; returns the new text and the changes in order."""
    changes: list[tuple[ObjectIdentifier, Change]] = []
    pieces: list[str] = []
    cursor = 0
    for marked in sorted(find_marked_scalars(text, values), key=lambda m: m.start):
        new = values[marked.setter]
        if new == marked.value:
            continue
        pieces += [text[cursor:marked.start], render_scalar(new, marked.style)]
        cursor = marked.end
        changes.append((marked.object_id, Change(marked.value, new, marked.setter)))
    pieces.append(text[cursor:])
    return "".join(pieces), changes


# --- walking a tree ---------------------------------------------------------------------------------

def _is_candidate(name: str) -> bool:
    return name.endswith((".yaml", ".yml")) or name == "Kustomization"


def secure_join(root: Path, path: str) -> Path:
    """`path` inside `root`; refuses a path that leaves the root (`..`, absolute, symlink escape)."""
    root = root.resolve()
    target = (root / path.lstrip("/")).resolve()
    if target != root and root not in target.parents:
        raise UpdateError(f"update.path '{path}' points outside the repository; use a path relative to its root")
    return target


def _walk(base: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if _is_candidate(name):
                yield Path(dirpath) / name


def update_with_setters(root: Path, policies: Mapping[str, Any], *, path: str = ".") -> UpdateResult:
    """Apply every `ns:name` -> latestRef setter to the YAML files under `root/path`, in place."""
    base = secure_join(Path(root), path or ".")
    if not base.is_dir():
        raise UpdateError(f"update.path '{path}' does not exist in the repository (looked for {base})")
    values = setter_values(policies)
    result = UpdateResult()
    writes: list[tuple[Path, bytes]] = []
    for file in _walk(base):
        rel = file.relative_to(base).as_posix()
        try:
            raw = file.read_bytes()
        except OSError:
            continue
        if TOKEN not in raw:
            continue
        try:
            text = raw.decode("utf-8")
            new_text, changes = apply_setters_to_text(text, values)
        except (UnicodeDecodeError, yaml.YAMLError):
            result.problem_files.append(rel)
            continue
        if not changes:
            continue
        per_object: ObjectChanges = {}
        for object_id, change in changes:
            per_object.setdefault(object_id, []).append(change)
        result.file_changes[rel] = per_object
        writes.append((file, new_text.encode("utf-8")))
    for file, data in writes:
        file.write_bytes(data)
    return result


def check_update_strategy(update: Mapping[str, Any] | None) -> None:
    """Flux's applier check of `spec.update` (the CRD defaults it to `{strategy: Setters}`)."""
    if update is None:
        raise UpdateError("no update strategy")
    strategy = update.get("strategy") or "Setters"
    if strategy != "Setters":
        raise UpdateError(f"unsupported update strategy: {strategy}")
