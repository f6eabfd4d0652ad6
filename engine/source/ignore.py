"""`.sourceignore` / `spec.ignore` rules with Flux's defaults (go-git gitignore semantics, fluxcd/pkg/sourceignore)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

IGNORE_FILE = ".sourceignore"
VCS_PATTERNS = (".git/", ".gitignore", ".gitmodules", ".gitattributes")
EXT_PATTERNS = ("*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip")
CI_PATTERNS = (".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml",
               "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml")
EXTRA_PATTERNS = ("**/.goreleaser.yml", "**/.sops.yaml", "**/.flux.yaml")


class MatchResult(Enum):
    NO_MATCH = 0
    EXCLUDE = 1
    INCLUDE = 2


def _glob_regex(glob: str) -> re.Pattern[str]:
    """Go's filepath.Match for one path component: `*`, `?`, `[...]`/`[^...]`, `\\` escapes."""
    out, i = [], 0
    while i < len(glob):
        ch = glob[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < len(glob):
            i += 1
            out.append(re.escape(glob[i]))
        elif ch == "[":
            end = glob.find("]", i + 2)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = glob[i + 1:end]
                if body.startswith("^"):
                    body = "^" + body[1:].replace("\\", "\\\\")
                else:
                    body = body.replace("\\", "\\\\")
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True)
class Pattern:
    """One gitignore line, scoped to the directory (`domain`) of the file that declared it."""

    parts: tuple[str, ...]
    domain: tuple[str, ...]
    inclusion: bool
    dir_only: bool
    is_glob: bool

    @classmethod
    def parse(cls, line: str, domain: Iterable[str] = ()) -> Pattern:
        inclusion = line.startswith("!")
        if inclusion:
            line = line[1:]
        if not line.endswith("\\ "):
            line = line.rstrip(" ")
        dir_only = line.endswith("/")
        if dir_only:
            line = line[:-1]
        return cls(tuple(line.split("/")), tuple(domain), inclusion, dir_only, "/" in line)

    def match(self, path: list[str], is_dir: bool) -> MatchResult:
        if len(path) <= len(self.domain) or tuple(path[:len(self.domain)]) != self.domain:
            return MatchResult.NO_MATCH
        rel = path[len(self.domain):]
        hit = self._glob_match(rel, is_dir) if self.is_glob else self._name_match(rel, is_dir)
        if not hit:
            return MatchResult.NO_MATCH
        return MatchResult.INCLUDE if self.inclusion else MatchResult.EXCLUDE

    def _name_match(self, path: list[str], is_dir: bool) -> bool:
        rx = _glob_regex(self.parts[0])
        for i, name in enumerate(path):
            if not rx.match(name):
                continue
            return not (self.dir_only and not is_dir and i == len(path) - 1)
        return False

    def _glob_match(self, path: list[str], is_dir: bool) -> bool:
        matched = can_traverse = False
        for i, part in enumerate(self.parts):
            if part == "":
                can_traverse = False
                continue
            if part == "**":
                if i == len(self.parts) - 1:
                    break
                can_traverse = True
                continue
            if "**" in part or not path:
                return False
            rx = _glob_regex(part)
            if can_traverse:
                can_traverse = False
                while path:
                    head, path = path[0], path[1:]
                    if rx.match(head):
                        matched = True
                        break
                    if not path:
                        matched = False
            else:
                if not rx.match(path[0]):
                    return False
                matched = True
                path = path[1:]
        if matched and self.dir_only and not is_dir and not path:
            matched = False
        return matched


def read_patterns(text: str, domain: Iterable[str] = ()) -> list[Pattern]:
    """Patterns of a gitignore-style text; `#` comments and blank lines dropped."""
    dom = tuple(domain)
    return [Pattern.parse(line, dom) for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


def load_ignore_files(root: Path) -> list[Pattern]:
    """Every `.sourceignore` under root (each scoped to its directory), in lexical walk order; `.git` skipped."""
    found: list[Pattern] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        if IGNORE_FILE in filenames:
            rel = Path(dirpath).relative_to(root)
            domain = () if str(rel) == "." else rel.parts
            found.extend(read_patterns((Path(dirpath) / IGNORE_FILE).read_text(errors="replace"), domain))
    return found


class Matcher:
    """The last matching pattern wins; VCS files always excluded; defaults only when no user patterns exist."""

    def __init__(self, user_patterns: list[Pattern]) -> None:
        defaults = list(VCS_PATTERNS)
        if not user_patterns:
            defaults += [*EXT_PATTERNS, *CI_PATTERNS, *EXTRA_PATTERNS]
        self.patterns = [Pattern.parse(p) for p in defaults] + list(user_patterns)

    def ignored(self, rel_path: str, is_dir: bool) -> bool:
        parts = rel_path.split("/")
        for pattern in reversed(self.patterns):
            result = pattern.match(parts, is_dir)
            if result is not MatchResult.NO_MATCH:
                return result is MatchResult.EXCLUDE
        return False


def matcher_for(root: Path, spec_ignore: str | None) -> Matcher:
    """Flux's matcher for a checkout: `.sourceignore` files, then `spec.ignore` lines (appended last, they win)."""
    patterns = load_ignore_files(root)
    if spec_ignore:
        patterns += read_patterns(spec_ignore)
    return Matcher(patterns)
