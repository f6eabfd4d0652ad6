"""workshop.testing's lab_cluster and lab_namespaces as a test suite meets them (run in an inner pytest)."""

from __future__ import annotations

import pytest

INNER = '''
import pytest

@pytest.mark.embedded_only("the failure comes from the simulated kubelet")
def test_needs_simulation(lab_cluster):
    pass

@pytest.mark.embedded_only
def test_without_reason(lab_cluster):
    pass
'''


def test_embedded_only_skips_the_kind_param_with_its_reason(pytester: pytest.Pytester,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # only the plugin under test
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_inprocess("-p", "workshop.testing", "-p", "no:cacheprovider", "-k", "kind", "-rsE")
    result.assert_outcomes(skipped=1, errors=1)
    result.stdout.fnmatch_lines([
        "E *UsageError: test_inner.py::test_without_reason[[]kind[]]: embedded_only needs a reason*",
        "SKIPPED * embedded only: the failure comes from the simulated kubelet",
    ])
