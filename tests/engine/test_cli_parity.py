"""flux CLI parity on the embedded cluster: check --pre's Kubernetes constraint, watch flags, label selectors,
events --for, resume --wait, create flags and secrets."""

from __future__ import annotations


def test_check_pre_refuses_a_cluster_older_than_flux_2_9_supports(fake_apiserver: object, tmp_path: object,
                                                                  capsys: object) -> None:
    from pathlib import Path

    from engine.cli import main
    from workshop.testing import write_kubeconfig

    config = write_kubeconfig(Path(str(tmp_path)) / "kubeconfig", {"old": fake_apiserver.url}, "old")  # type: ignore[attr-defined]
    assert main(["check", "--pre", "--kubeconfig", str(config)]) == 1
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert err == "► checking prerequisites\n✗ Kubernetes version v1.32.2 does not match >=1.33.0-0\n"
