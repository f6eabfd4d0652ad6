"""Hand-written edge cases (kustomize_oracle_cases.json) built by engine.kustomize and by `kubectl kustomize`.

Success: identical stdout and warnings. Failure: kustomize's bare error message (Go heap pointers normalised).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.kustomize import KustomizeError, build_result, render

KUBECTL = shutil.which("kubectl")
CASES = json.loads((Path(__file__).with_name("kustomize_oracle_cases.json")).read_text())
_POINTER = re.compile(r"0xc[0-9a-f]+")

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl (the kustomize oracle) is not on PATH")


def _kubectl_error(stderr: str) -> str:
    block = re.search(r"err=<\n(.*)\n >", stderr, re.S)
    if block:
        return "\n".join(line[1:] for line in block.group(1).split("\n"))
    quoted = re.search(r'err=(".*")\s*$', stderr, re.S)
    assert quoted, stderr
    return json.loads(quoted.group(1))


@pytest.mark.parametrize("name", sorted(CASES))
def test_edge_case_matches_kubectl(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    for rel, text in case["files"].items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    build_dir = tmp_path / case["build"]
    assert KUBECTL is not None
    proc = subprocess.run(
        [KUBECTL, "kustomize", str(build_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"LC_ALL": "C"},
    )
    if proc.returncode == 0:
        result = build_result(build_dir)
        assert render(result.objects) == proc.stdout
        assert result.warnings == proc.stderr.splitlines()
    else:
        with pytest.raises(KustomizeError) as info:
            build_result(build_dir)
        assert _POINTER.sub("0x0", info.value.message) == _POINTER.sub("0x0", _kubectl_error(proc.stderr))
