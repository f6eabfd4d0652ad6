"""Every case of the kit's kustomize corpus (tests/data), built with engine.kustomize and compared with kustomize v5.5.0.

Success cases compare the documents (parsed) in order, plus the deprecation warnings; error cases compare
kustomize's bare error message. Byte-identical output is counted separately and reported.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.kustomize import KustomizeError, build_result, render
from engine.kustomize.yamlio import load_documents
from tests.corpus import KUSTOMIZE_CORPUS

CORPUS = KUSTOMIZE_CORPUS
CASES = sorted(p for p in CORPUS.glob("[0-9][0-9][0-9]-*") if p.is_dir())

# Cases that do not pass yet, with the reason (strict: a fix turns them into failures to clear from here).
KNOWN_FAILURES: dict[str, str] = {}


def _build_path(case: Path) -> Path:
    build_path = "build"
    for line in (case / "case.yaml").read_text().splitlines():
        if line.startswith("build_path:"):
            build_path = line.split(":", 1)[1].strip().strip("\"'")
    return case / build_path


def _params() -> list:
    params = []
    for case in CASES:
        marks = []
        if case.name in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(reason=KNOWN_FAILURES[case.name], strict=True))
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def _expected_error(case: Path) -> str:
    text = (case / "expected-error-message.txt").read_text()
    return text.rstrip("\n").replace("<CASE_DIR>", os.path.realpath(case))


@pytest.mark.parametrize("case", _params())
def test_case(case: Path) -> None:
    build_dir = _build_path(case)
    if (case / "expected.yaml").exists():
        result = build_result(build_dir)
        expected = load_documents((case / "expected.yaml").read_text(), source="expected.yaml")
        assert result.objects == expected
        warnings_file = case / "expected-warnings.txt"
        expected_warnings = warnings_file.read_text().splitlines() if warnings_file.exists() else []
        assert result.warnings == expected_warnings
    else:
        with pytest.raises(KustomizeError) as info:
            build_result(build_dir)
        assert info.value.message == _expected_error(case)


# Floor for the byte-identical count, so a regression in output formatting shows up; raise it as it improves.
BYTE_IDENTICAL_FLOOR = 88


def test_byte_identical_count(capsys: pytest.CaptureFixture[str]) -> None:
    identical, success, differing = 0, 0, []
    for case in CASES:
        if not (case / "expected.yaml").exists():
            continue
        success += 1
        try:
            text = render(build_result(_build_path(case)).objects)
        except Exception:  # noqa: BLE001 - counted as differing; test_case reports the failure itself
            differing.append(case.name)
            continue
        if text == (case / "expected.yaml").read_text():
            identical += 1
        else:
            differing.append(case.name)
    with capsys.disabled():
        print(
            f"\nkustomize conformance: {identical}/{success} success cases byte-identical; differing: {differing}"
        )
    assert identical >= BYTE_IDENTICAL_FLOOR
