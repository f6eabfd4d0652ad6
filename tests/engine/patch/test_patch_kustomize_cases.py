"""The recorded kustomize cases that exercise patches, replayed through engine.patch (flavor="kustomize")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.patch import PatchError, apply_json_patch, apply_strategic_merge_patch, deletes_object
from tests.corpus import KUSTOMIZE_CORPUS

CORPUS = KUSTOMIZE_CORPUS
CASES = ["053", "055", "056", "058", "059", "060", "063", "070", "071"]


def _case_dir(number: str) -> Path:
    matches = sorted(CORPUS.glob(f"{number}-*"))
    assert matches, f"conformance case {number} not found under {CORPUS}"
    return matches[0]


def _load_resources(directory: Path) -> list[dict]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    docs: list[dict] = []
    for entry in kustomization.get("resources", []):
        target = directory / entry
        if target.is_dir():
            docs.extend(_load_resources(target))
        else:
            docs.extend(d for d in yaml.safe_load_all(target.read_text()) if d)
    return docs


def _matches(obj: dict, target: dict | None, patch_doc: dict | None) -> bool:
    if target:
        group, _, version = obj["apiVersion"].rpartition("/")
        checks = {"kind": obj["kind"], "name": obj["metadata"]["name"], "group": group, "version": version}
        return all(
            re.fullmatch(str(pattern), checks[field]) for field, pattern in target.items() if field in checks
        )
    assert patch_doc is not None
    return obj["kind"] == patch_doc["kind"] and obj["metadata"]["name"] == patch_doc["metadata"]["name"]


def _apply(docs: list[dict], text: str, target: dict | None) -> list[dict]:
    parsed = [d for d in yaml.safe_load_all(text) if d is not None]
    if len(parsed) == 1 and isinstance(parsed[0], list):
        return [apply_json_patch(d, parsed[0]) if _matches(d, target, None) else d for d in docs]
    for patch in parsed:
        out: list[dict] = []
        for doc in docs:
            if not _matches(doc, target, patch):
                out.append(doc)
            elif not deletes_object(patch):
                aimed = {**patch, "metadata": {**patch.get("metadata", {}), "name": doc["metadata"]["name"]}}
                out.append(apply_strategic_merge_patch(doc, aimed if target else patch, flavor="kustomize"))
        docs = out
    return docs


def _build(build: Path) -> list[dict]:
    kustomization: dict[str, Any] = yaml.safe_load((build / "kustomization.yaml").read_text())
    docs = _load_resources(build)
    for entry in kustomization.get("patches", []):
        text = entry.get("patch") or (build / entry["path"]).read_text()
        docs = _apply(docs, text, entry.get("target"))
    for entry in kustomization.get("patchesStrategicMerge", []):
        text = entry if "\n" in entry else (build / entry).read_text()
        docs = _apply(docs, text, None)
    for entry in kustomization.get("patchesJson6902", []):
        text = entry.get("patch") or (build / entry["path"]).read_text()
        docs = _apply(docs, text, entry["target"])
    return docs


def _ident(doc: dict) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


@pytest.mark.parametrize("number", CASES)
def test_patch_cases_match_recorded_kustomize_output(number: str) -> None:
    case = _case_dir(number)
    spec = yaml.safe_load((case / "case.yaml").read_text())
    got = sorted(_build(case / spec.get("build_path", "build")), key=_ident)
    expected = sorted((d for d in yaml.safe_load_all((case / "expected.yaml").read_text()) if d), key=_ident)
    assert got == expected


def test_failing_test_operation_case_062() -> None:
    case = _case_dir("062")
    message = (case / "expected-error-message.txt").read_text().strip()
    with pytest.raises(PatchError) as failure:
        _build(case / "build")
    assert str(failure.value) == message
