"""The lab-cluster providers behind one interface: factory, kubeconfig backend, kind backend (with fakes)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s

from workshop.cluster import BACKENDS, ClusterError, LabCluster, create_cluster
from workshop.cluster.kind import KIND_NODE_IMAGE, KindLabCluster, kind_unavailable_reason
from workshop.cluster.kubeconfig import KubeconfigCluster
from workshop.testing import FakeApiServer, write_kubeconfig


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def executable(path: Path, script: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_factory_knows_three_backends_and_rejects_others() -> None:
    assert BACKENDS == ("embedded", "kind", "kubeconfig")
    with pytest.raises(ClusterError, match="unknown cluster backend 'minikube'.*embedded, kind, kubeconfig"):
        create_cluster("minikube", "x")


def test_factory_builds_subclasses_of_labcluster(tmp_path: Path) -> None:
    kind = create_cluster("kind", "lab", workdir=tmp_path / "k")
    kubeconfig = create_cluster("kubeconfig", "lab", kubeconfig=tmp_path / "config")
    assert isinstance(kind, KindLabCluster) and isinstance(kind, LabCluster) and kind.backend == "kind"
    assert isinstance(kubeconfig, KubeconfigCluster) and kubeconfig.backend == "kubeconfig"
    assert kind.kubeconfig_path == tmp_path / "k" / "kubeconfig"


def test_factory_reports_bad_options_as_cluster_error() -> None:
    with pytest.raises(ClusterError, match="bad options for the kubeconfig backend"):
        create_cluster("kubeconfig", "lab", colour="blue")


# --- kubeconfig backend -------------------------------------------------------------------------------

def test_kubeconfig_cluster_connects_to_a_reachable_server(tmp_path: Path, fake_apiserver: FakeApiServer) -> None:
    path = write_kubeconfig(tmp_path / "config", {"lab": fake_apiserver.url}, "lab")
    with KubeconfigCluster("lab", kubeconfig=path) as cluster:
        assert cluster.kubeconfig_path == path
        with cluster.api_client() as api:
            assert api.configuration.host == fake_apiserver.url
    assert path.exists(), "stop() must never delete the user's kubeconfig"


def test_kubeconfig_context_selects_a_cluster(tmp_path: Path, fake_apiserver: FakeApiServer) -> None:
    path = write_kubeconfig(tmp_path / "config", {"down": closed_port_url(), "up": fake_apiserver.url}, "down")
    cluster = KubeconfigCluster("lab", kubeconfig=path, context="up", workdir=tmp_path / "work")
    cluster.start()
    derived = cluster.kubeconfig_path
    assert derived != path
    assert yaml.safe_load(derived.read_text())["current-context"] == "up"
    assert oct(derived.stat().st_mode & 0o777) == "0o600"
    assert yaml.safe_load(path.read_text())["current-context"] == "down", "source kubeconfig untouched"
    cluster.stop()
    assert not derived.exists()


def test_kubeconfig_unreachable_server_says_where_and_what_to_try(tmp_path: Path) -> None:
    url = closed_port_url()
    path = write_kubeconfig(tmp_path / "config", {"lab": url}, "lab")
    with pytest.raises(ClusterError) as err:
        KubeconfigCluster("lab", kubeconfig=path, timeout=2).start()
    assert f"cannot reach the Kubernetes API at {url}" in str(err.value)
    assert "kubectl --kubeconfig" in str(err.value)


def test_kubeconfig_missing_file_and_unknown_context(tmp_path: Path, fake_apiserver: FakeApiServer) -> None:
    with pytest.raises(ClusterError, match="does not exist: pass --kubeconfig"):
        KubeconfigCluster("lab", kubeconfig=tmp_path / "nope").start()
    path = write_kubeconfig(tmp_path / "config", {"a": fake_apiserver.url, "b": fake_apiserver.url}, "a")
    with pytest.raises(ClusterError, match="context 'c' is not in .*it has: a, b"):
        KubeconfigCluster("lab", kubeconfig=path, context="c").start()


def test_kubeconfig_defaults_to_the_kubeconfig_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   fake_apiserver: FakeApiServer) -> None:
    path = write_kubeconfig(tmp_path / "env-config", {"lab": fake_apiserver.url}, "lab")
    monkeypatch.setenv("KUBECONFIG", f"{path}{os.pathsep}{tmp_path / 'other'}")
    cluster = KubeconfigCluster("lab")
    assert cluster.kubeconfig_path == path
    cluster.start()


# --- kind backend (fake kind and docker binaries; the real one is in tests/kind/) -------------------------

def test_pinned_node_image_is_kubernetes_1_33() -> None:
    assert re.fullmatch(r"kindest/node:v1\.33\.\d+@sha256:[0-9a-f]{64}", KIND_NODE_IMAGE)


def test_kind_missing_binary_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    reason = kind_unavailable_reason()
    assert reason is not None and "no `kind` binary on PATH" in reason and "arm64" in reason
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ClusterError, match="cannot start kind cluster 'lab': no `kind` binary"):
        KindLabCluster("lab", workdir=tmp_path / "k").start()
    assert not (tmp_path / ".pytest-kind").exists(), "nothing may be downloaded"


def test_kind_missing_docker_and_stopped_engine_are_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    executable(bin_dir / "kind", "exit 0\n")
    monkeypatch.setenv("PATH", str(bin_dir))
    assert "no `docker` on PATH" in (kind_unavailable_reason() or "")
    executable(bin_dir / "docker", "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' >&2\nexit 1\n")
    reason = kind_unavailable_reason() or ""
    assert "Docker engine is not reachable" in reason and "Cannot connect to the Docker daemon" in reason
    executable(bin_dir / "docker", "echo 27.0.3\n")
    assert kind_unavailable_reason() is None


FAKE_KIND = """\
echo "$@" >> "{log}"
case "$1 $2" in
  "get clusters") cat "{clusters}" 2>/dev/null || true ;;
  "create cluster")
    for arg in "$@"; do case "$arg" in --kubeconfig=*) kc="${{arg#--kubeconfig=}}" ;; --name=*) n="${{arg#--name=}}" ;; esac; done
    cp "{kubeconfig}" "$kc"; echo "$n" >> "{clusters}" ;;
  "delete cluster") : > "{clusters}" ;;
  "get kubeconfig") cat "{kubeconfig}" ;;
esac
"""


def fake_kind_setup(tmp_path: Path, server_url: str) -> tuple[Path, Path]:
    bin_dir = tmp_path / "bin"
    log = tmp_path / "kind.log"
    source = write_kubeconfig(tmp_path / "kind-made-kubeconfig", {"kind-lab": server_url}, "kind-lab")
    executable(bin_dir / "kind", FAKE_KIND.format(log=log, clusters=tmp_path / "clusters", kubeconfig=source))
    executable(bin_dir / "docker", "echo 27.0.3\n")
    executable(bin_dir / "kubectl", "echo kubectl \"$@\"\n")
    return bin_dir, log


def test_kind_cluster_lifecycle_through_pytest_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    fake_apiserver: FakeApiServer) -> None:
    bin_dir, log = fake_kind_setup(tmp_path, fake_apiserver.url)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    cluster = KindLabCluster("lab", workdir=tmp_path / "work")
    cluster.start()
    calls = log.read_text().splitlines()
    create = next(c for c in calls if c.startswith("create cluster"))
    assert f"--image={KIND_NODE_IMAGE}" in create
    assert f"--kubeconfig={tmp_path / 'work' / 'kubeconfig'}" in create
    assert cluster.context == "kind-lab"
    assert "get pods -A" in cluster.kubectl("get", "pods", "-A")
    cluster.stop()
    assert log.read_text().splitlines()[-1].startswith("delete cluster --name=lab")
    assert not (tmp_path / ".pytest-kind").exists(), "pytest-kind must not download binaries into the cwd"


def test_kind_keep_leaves_cluster_and_reuses_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                fake_apiserver: FakeApiServer) -> None:
    bin_dir, log = fake_kind_setup(tmp_path, fake_apiserver.url)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    first = KindLabCluster("lab", workdir=tmp_path / "work", keep=True)
    first.start()
    first.stop()
    second = KindLabCluster("lab", workdir=tmp_path / "work")
    second.start()
    calls = log.read_text().splitlines()
    assert sum(c.startswith("create cluster") for c in calls) == 1, "an existing cluster is re-used"
    assert not any(c.startswith("delete") for c in calls)
    second.delete()


def test_kind_not_ready_in_time_is_a_cluster_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir, _ = fake_kind_setup(tmp_path, closed_port_url())
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(ClusterError, match="did not become ready in 2s.*kind get clusters"):
        KindLabCluster("lab", workdir=tmp_path / "work", ready_timeout=2).start()


def test_a_leftover_kind_cluster_is_adopted_with_a_fresh_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    fake_apiserver: FakeApiServer) -> None:
    bin_dir, log = fake_kind_setup(tmp_path, fake_apiserver.url)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "clusters").write_text("lab\n")  # left by a killed session; its kubeconfig is gone
    cluster = KindLabCluster("lab", workdir=tmp_path / "new-work")
    cluster.start()
    calls = log.read_text().splitlines()
    assert "get kubeconfig --name lab" in calls
    assert not any(c.startswith(("create cluster", "delete cluster")) for c in calls)
    assert "kind-lab" in cluster.kubeconfig_path.read_text()
    assert cluster.notice.startswith("kind cluster 'lab' already existed: adopted it")


def test_a_leftover_kind_cluster_can_be_recreated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  fake_apiserver: FakeApiServer) -> None:
    bin_dir, log = fake_kind_setup(tmp_path, fake_apiserver.url)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "clusters").write_text("lab\n")
    cluster = KindLabCluster("lab", workdir=tmp_path / "work", on_existing="recreate")
    cluster.start()
    calls = [c.split()[0] for c in log.read_text().splitlines() if not c.startswith("get")]
    assert calls == ["delete", "create"]
    assert cluster.notice == "kind cluster 'lab' already existed: deleted it and created a new one"
    with pytest.raises(ClusterError, match="on_existing must be one of adopt, recreate"):
        KindLabCluster("lab", on_existing="reuse")


def test_adopting_deletes_the_namespaces_an_earlier_lab_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             embedded_cluster: Any) -> None:
    """The leftover cluster is played by an embedded API server holding a previous lesson's namespaces."""
    with embedded_cluster.api_client() as api:
        core = k8s.CoreV1Api(api)
        for name in ("flux-system", "apps"):
            core.create_namespace({"metadata": {"name": name}})
        core.create_namespaced_config_map("default", {"metadata": {"name": "kept"}})
    bin_dir, _ = fake_kind_setup(tmp_path, "http://unused")
    shutil.copy(embedded_cluster.kubeconfig_path, tmp_path / "kind-made-kubeconfig")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "clusters").write_text("lab\n")
    cluster = KindLabCluster("lab", workdir=tmp_path / "work", ready_timeout=30)
    cluster.start()
    with embedded_cluster.api_client() as api:
        names = {ns.metadata.name for ns in k8s.CoreV1Api(api).list_namespace().items}
    assert not names & {"flux-system", "apps"}
    assert "default" in names


def test_orphaned_lab_clusters_are_those_no_kernel_holds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         fake_apiserver: FakeApiServer) -> None:
    from workshop.cluster.kind import orphaned_lab_clusters
    from workshop.labfolder import LabLock

    bin_dir, _ = fake_kind_setup(tmp_path, fake_apiserver.url)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "clusters").write_text("lab-03-internals\nlab-04-monorepo-production\nlab-05-images\nworkshop\n")
    labs = tmp_path / "labs"
    (labs / "05-images").mkdir(parents=True)
    lock = LabLock(labs / "05-images", "05-images").acquire()  # a running kernel's lab
    try:
        assert orphaned_lab_clusters(labs) == ["lab-03-internals", "lab-04-monorepo-production"]
        assert orphaned_lab_clusters(labs, "04-monorepo") == ["lab-04-monorepo-production"]
        assert orphaned_lab_clusters(labs, "05-images") == []
    finally:
        lock.release()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert orphaned_lab_clusters(labs) == [], "no kind: nothing to clean"


def test_lessons_with_a_local_registry_refuse_kind_clearly(tmp_path: Path) -> None:
    from workshop.lab import Lab

    with pytest.raises(ClusterError, match="a kind node cannot pull from: run this lesson on the embedded cluster"):
        Lab.start("t-kind-images", root=tmp_path / "lab", cluster="kind", image_automation=True, quiet=True)
