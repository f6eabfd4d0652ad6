"""The setters reproduce Flux's expected files byte for byte on the conformance trees."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from engine.image.setters import (
    Change,
    ObjectIdentifier,
    UpdateError,
    check_update_strategy,
    update_with_setters,
)
from tests.corpus import IMAGE_AUTOMATION_CORPUS

CONFORMANCE = IMAGE_AUTOMATION_CORPUS
INTERNAL = CONFORMANCE / "image-automation-controller" / "internal"
SETTERS_RUN = yaml.safe_load((CONFORMANCE / "_fixtures" / "update-setters-run.yaml").read_text())
APPLIER = yaml.safe_load((CONFORMANCE / "_fixtures" / "policy-applier-cases.yaml").read_text())


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _policies(run: dict) -> dict[str, dict]:
    return {f"{p['namespace']}:{p['name']}": p["latestRef"] for p in run["policies"]}


def test_setters_tree(tmp_path: Path) -> None:
    work = tmp_path / "repo"
    shutil.copytree(INTERNAL / "update/testdata/setters/original", work)
    os.symlink("testing.yaml", work / "test.yaml")  # the dangling link of SYMLINKS.txt
    before = _files(work)
    result = update_with_setters(work, _policies(SETTERS_RUN))

    expected = _files(INTERNAL / "update/testdata/setters/expected")
    assert result.files_changed == sorted(SETTERS_RUN["expectedFiles"]) == sorted(expected)
    after = _files(work)
    for name, data in after.items():
        assert data == expected.get(name, before[name]), name
    for name, objects in SETTERS_RUN["expectedChanges"].items():
        want = {ObjectIdentifier(o["object"]["apiVersion"], o["object"]["kind"], o["object"]["namespace"],
                                 o["object"]["name"]): [Change(c["old"], c["new"], c["setter"]) for c in o["changes"]]
                for o in objects}
        assert result.file_changes[name] == want


def _marked(src: Path, dst: Path, marker: str) -> None:
    shutil.copytree(src, dst)
    for p in dst.rglob("*"):
        if p.is_file():
            p.write_bytes(p.read_bytes().replace(b"SETTER_SITE", marker.encode()))


APPLIER_CASES = [c for c in APPLIER["cases"] if c.get("input")]


@pytest.mark.parametrize("case", APPLIER_CASES, ids=lambda c: c["name"])
@pytest.mark.parametrize("tree", ["policy", "controller"])
def test_applier_cases(case: dict, tree: str, tmp_path: Path) -> None:
    """policy/ and controller/ testdata (identical copies upstream); controller/ has no pathconfig-expected,
    so its pathconfig run is compared with policy/'s expected tree."""
    marker = f'{{"$imagepolicy": "{APPLIER["namespace"]}:{case["markerPolicy"]}"}}'
    src = CONFORMANCE / case["input"].replace("internal/policy/", f"internal/{tree}/")
    expected_src = CONFORMANCE / case["expected"].replace("internal/policy/", f"internal/{tree}/")
    if not expected_src.exists():
        expected_src = CONFORMANCE / case["expected"]
    _marked(src, tmp_path / "in", marker)
    _marked(expected_src, tmp_path / "want", marker)
    policies = {f"{APPLIER['namespace']}:{k}": v for k, v in case["policies"].items()}
    result = update_with_setters(tmp_path / "in", policies, path=case.get("path", "."))
    assert _files(tmp_path / "in") == _files(tmp_path / "want")
    assert len(result.changes()) == 1
    assert result.changes()[0].new_value == case["policies"][case["markerPolicy"]]


def test_applier_strategy_errors() -> None:
    errors = {c["strategy"]: c["expectError"] for c in APPLIER["cases"] if "expectError" in c}
    assert errors == {None: "no update strategy", "foo": "unsupported update strategy: foo"}
    for strategy, message in errors.items():
        update = None if strategy is None else {"strategy": strategy}
        with pytest.raises(UpdateError, match=f"^{message}$"):
            check_update_strategy(update)


def _with_marker_on_image_lines(src: Path, dst: Path, marker: str) -> None:
    shutil.copytree(src, dst)
    for p in dst.rglob("*.yaml"):
        lines = p.read_text().split("\n")
        p.write_text("\n".join(f"{line} {marker}" if "image:" in line else line for line in lines))


@pytest.mark.parametrize("case", ["replace"])
def test_legacy_replace_tree_with_markers(case: str, tmp_path: Path) -> None:
    """replace/: marking the image lines and running the setters gives replace/expected, byte for byte."""
    marker = '# {"$imagepolicy": "ns:used"}'
    _with_marker_on_image_lines(INTERNAL / f"update/testdata/{case}/original", tmp_path / "in", marker)
    _with_marker_on_image_lines(INTERNAL / f"update/testdata/{case}/expected", tmp_path / "want", marker)
    result = update_with_setters(tmp_path / "in", {"ns:used": "used:v1.1.0"})
    assert result.files_changed == ["cronjob.yaml", "deployment.yaml"]
    assert _files(tmp_path / "in") == _files(tmp_path / "want")


def test_legacy_commented_keeps_comments(tmp_path: Path) -> None:
    """replace/commented: the head comments, the Korean comments and the line comment survive; the value
    changes. commented-expected also re-indents the sequence (the 2020 writer); we keep the file's own
    indentation as current Flux does, so only that indentation differs."""
    work = tmp_path / "in"
    shutil.copytree(INTERNAL / "update/testdata/replace/commented", work)
    deploy = work / "deployment.yaml"
    original = deploy.read_text()
    deploy.write_text(original.replace("# the comment must stay!", '# {"$imagepolicy": "ns:used"}'))
    update_with_setters(work, {"ns:used": "used:v1.1.0"})
    got = deploy.read_text().replace('# {"$imagepolicy": "ns:used"}', "# the comment must stay!")
    want = (INTERNAL / "update/testdata/replace/commented-expected/deployment.yaml").read_text()
    assert got == original.replace("used:v1.0.0", "used:v1.1.0")
    assert [line.strip() for line in got.splitlines()] == [line.strip() for line in want.splitlines()]
    assert yaml.safe_load(got) == yaml.safe_load(want)


def test_legacy_leave_tree_untouched(tmp_path: Path) -> None:
    """leave/: files without markers are never written (the expected files differ only by the old
    writer's re-indentation, so they load to the same YAML)."""
    shutil.copytree(INTERNAL / "update/testdata/leave/original", tmp_path / "in")
    before = _files(tmp_path / "in")
    result = update_with_setters(tmp_path / "in", {"ns:used": "helloworld:v1.1.0"})
    assert result.file_changes == {}
    assert _files(tmp_path / "in") == before
    for name, data in before.items():
        want = (INTERNAL / "update/testdata/leave/expected" / name).read_bytes()
        assert yaml.safe_load(data) == yaml.safe_load(want)


def test_update_path_must_stay_inside(tmp_path: Path) -> None:
    with pytest.raises(UpdateError, match="outside the repository"):
        update_with_setters(tmp_path, {}, path="../elsewhere")
    with pytest.raises(UpdateError, match="does not exist"):
        update_with_setters(tmp_path, {}, path="./missing")
