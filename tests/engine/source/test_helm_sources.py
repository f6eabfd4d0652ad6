"""HelmRepository and HelmChart stories against the lab chart repository on 127.0.0.1 (and the lab registry)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from kustomization.story import Story

from engine.api import conditions
from workshop.chart_repo import LabChartRepository

SOURCE_API = "source.toolkit.fluxcd.io/v1"
Obj = dict[str, Any]


def helm_repository(story: Story, name: str, url: str, **spec: Any) -> Obj:
    return story.client.create({"apiVersion": SOURCE_API, "kind": "HelmRepository",
                                "metadata": {"name": name, "namespace": story.ns},
                                "spec": {"url": url, "interval": "5m", **spec}})


def helm_chart(story: Story, name: str, chart: str, source: str = "lab", kind: str = "HelmRepository",
               **spec: Any) -> Obj:
    return story.client.create({"apiVersion": SOURCE_API, "kind": "HelmChart",
                                "metadata": {"name": name, "namespace": story.ns},
                                "spec": {"chart": chart, "interval": "5m",
                                         "sourceRef": {"kind": kind, "name": source}, **spec}})


def get(story: Story, kind: str, name: str) -> Obj:
    obj = story.client.get(SOURCE_API, kind, name, story.ns)
    assert obj is not None
    return obj


def ready(story: Story, kind: str, name: str) -> tuple[str, str, str]:
    return conditions.summary(get(story, kind, name))


def cond(story: Story, kind: str, name: str, type_: str) -> Obj | None:
    return conditions.get_condition(get(story, kind, name), type_)


def patch(story: Story, kind: str, name: str, spec: Obj) -> None:
    story.client.merge_patch(SOURCE_API, kind, name, story.ns, {"spec": spec})


def test_helm_repository_becomes_ready_with_flux_revision_and_artifact(
        story: Story, chart_repository: LabChartRepository) -> None:
    helm_repository(story, "lab", chart_repository.url)
    story.sync()
    obj = get(story, "HelmRepository", "lab")
    index = chart_repository.files["index.yaml"]
    revision = "sha256:" + hashlib.sha256(index).hexdigest()
    artifact = obj["status"]["artifact"]
    assert artifact["revision"] == revision
    assert artifact["path"] == f"helmrepository/{story.ns}/lab/index-{revision[7:]}.yaml"
    assert artifact["digest"] != revision and re.fullmatch(r"sha256:[0-9a-f]{64}", artifact["digest"])
    assert obj["status"]["url"].endswith(f"helmrepository/{story.ns}/lab/index.yaml")
    assert ready(story, "HelmRepository", "lab") == ("True", "Succeeded", f"stored artifact: revision '{revision}'")
    assert cond(story, "HelmRepository", "lab", "Reconciling") is None
    assert obj["status"]["observedGeneration"] == 1
    size = artifact["size"]
    text = f"{size / 1000:.4g}kB" if size >= 1000 else f"{size}B"
    assert ("Normal", "NewArtifact", f"stored fetched index of size {text} from '{chart_repository.url}'") \
        in story.events("HelmRepository")
    story.sync()  # same index: same artifact, no second NewArtifact
    assert get(story, "HelmRepository", "lab")["status"]["artifact"] == artifact
    assert story.events("HelmRepository").count(("Normal", "NewArtifact", f"stored fetched index of size {text} "
                                                                         f"from '{chart_repository.url}'")) == 1


def test_unreachable_repository_retries_and_recovers(story: Story, chart_repository: LabChartRepository) -> None:
    helm_repository(story, "lab", "http://127.0.0.1:9/charts")
    story.sync()
    message = ('failed to fetch Helm repository index: failed to cache index to temporary file: '
               'Get "http://127.0.0.1:9/charts/index.yaml": dial tcp 127.0.0.1:9: connect: connection refused')
    assert ready(story, "HelmRepository", "lab") == ("False", "Failed", message)
    fetch = cond(story, "HelmRepository", "lab", "FetchFailed")
    assert fetch is not None and fetch["status"] == "True"
    reconciling = cond(story, "HelmRepository", "lab", "Reconciling")
    assert reconciling is not None and reconciling["reason"] == "ProgressingWithRetry"
    assert cond(story, "HelmRepository", "lab", "Stalled") is None
    assert ("Warning", "Failed", message) in story.events("HelmRepository")
    patch(story, "HelmRepository", "lab", {"url": chart_repository.url})
    story.sync()
    assert ready(story, "HelmRepository", "lab")[0] == "True"
    assert cond(story, "HelmRepository", "lab", "FetchFailed") is None


def test_bad_index_and_missing_index(story: Story, chart_repository: LabChartRepository) -> None:
    helm_repository(story, "missing", chart_repository.url + "nope/")
    chart_repository.files["broken/index.yaml"] = b"apiVersion: v1\nentries: [\n"
    helm_repository(story, "broken", chart_repository.url + "broken")
    story.sync()
    status, reason, message = ready(story, "HelmRepository", "missing")
    assert (status, reason) == ("False", "Failed")
    assert message.endswith(f"failed to fetch {chart_repository.url}nope/index.yaml : 404 Not Found")
    status, reason, message = ready(story, "HelmRepository", "broken")
    assert (status, reason) == ("False", "IndexationFailed")
    assert message.startswith("failed to load Helm repository from index YAML: error converting YAML to JSON: yaml:")


def test_oci_url_needs_the_oci_type(story: Story) -> None:
    helm_repository(story, "wrong", "oci://127.0.0.1:5000/charts")
    story.sync()
    message = "invalid Helm repository URL: 'oci' URL scheme cannot be used with 'default' HelmRepository type"
    assert ready(story, "HelmRepository", "wrong") == ("False", "URLInvalid", message)
    stalled = cond(story, "HelmRepository", "wrong", "Stalled")
    assert stalled is not None and stalled["reason"] == "URLInvalid"


def test_basic_auth_from_secret_ref(story: Story) -> None:
    with LabChartRepository(credentials=("learner", "s3cret")) as private:
        helm_repository(story, "private", private.url, secretRef={"name": "repo-auth"})
        story.sync()
        status, reason, message = ready(story, "HelmRepository", "private")
        assert (status, reason) == ("False", "AuthenticationFailed")
        assert message == (f"failed to get authentication secret '{story.ns}/repo-auth': "
                           'secrets "repo-auth" not found')
        story.client.create({"apiVersion": "v1", "kind": "Secret",
                             "metadata": {"name": "repo-auth", "namespace": story.ns},
                             "stringData": {"username": "learner", "password": "wrong"}})
        story.sync()
        assert ready(story, "HelmRepository", "private")[2].endswith(": 401 Unauthorized")
        story.client.delete("v1", "Secret", "repo-auth", story.ns)
        story.client.create({"apiVersion": "v1", "kind": "Secret",
                             "metadata": {"name": "repo-auth", "namespace": story.ns},
                             "stringData": {"username": "learner", "password": "s3cret"}})
        story.sync()
        assert ready(story, "HelmRepository", "private")[0] == "True"
        helm_chart(story, "web", "web", source="private")
        story.sync()
        assert ready(story, "HelmChart", "web") == ("True", "ChartPullSucceeded",
                                                    "pulled 'web' chart with version '0.2.0'")


def test_helm_chart_pulls_the_latest_stable_version(story: Story, chart_repository: LabChartRepository) -> None:
    helm_repository(story, "lab", chart_repository.url)
    helm_chart(story, "web", "web")
    story.sync()
    obj = get(story, "HelmChart", "web")
    artifact = obj["status"]["artifact"]
    assert artifact["revision"] == "0.2.0"
    assert artifact["path"] == f"helmchart/{story.ns}/web/web-0.2.0.tgz"
    assert artifact["digest"] == chart_repository.digest("web", "0.2.0")  # stored byte for byte
    assert obj["status"]["url"].endswith(f"helmchart/{story.ns}/web/latest.tar.gz")
    assert obj["status"]["observedChartName"] == "web"
    repo_revision = get(story, "HelmRepository", "lab")["status"]["artifact"]["revision"]
    assert obj["status"]["observedSourceArtifactRevision"] == repo_revision
    assert ready(story, "HelmChart", "web") == ("True", "ChartPullSucceeded",
                                                "pulled 'web' chart with version '0.2.0'")
    assert ("Normal", "ChartPullSucceeded", "pulled 'web' chart with version '0.2.0'") in story.events("HelmChart")
    patch(story, "HelmChart", "web", {"version": ">=0.3.0-0"})
    story.sync()
    assert get(story, "HelmChart", "web")["status"]["artifact"]["revision"] == "0.3.0-rc.1"
    assert cond(story, "HelmChart", "web", "ArtifactOutdated") is None
    downloads = [p for p in chart_repository.requests if p.endswith(".tgz")]
    story.sync()
    assert [p for p in chart_repository.requests if p.endswith(".tgz")] == downloads  # cached: no re-download


@pytest.mark.parametrize("chart, version, message", [
    ("web", "9.x", "invalid chart reference: failed to get chart version for remote reference: "
                   "no 'web' chart with version matching '9.x' found"),
    ("nope", "*", "invalid chart reference: failed to get chart version for remote reference: no chart name found"),
    ("Web", "*", "invalid chart reference: invalid chart name 'Web': a valid name must be lower case letters and "
                 "numbers and MAY be separated with dashes (-), slashes (/) or periods (.)"),
])
def test_chart_reference_errors_stall(story: Story, chart_repository: LabChartRepository, chart: str,
                                      version: str, message: str) -> None:
    helm_repository(story, "lab", chart_repository.url)
    helm_chart(story, "bad", chart, version=version)
    story.sync()
    assert ready(story, "HelmChart", "bad") == ("False", "InvalidChartReference", message)
    stalled = cond(story, "HelmChart", "bad", "Stalled")
    assert stalled is not None and stalled["message"] == message
    assert cond(story, "HelmChart", "bad", "Reconciling") is None
    fetch = cond(story, "HelmChart", "bad", "FetchFailed")
    assert fetch is not None and fetch["reason"] == "InvalidChartReference"
    assert ("Warning", "InvalidChartReference", message) in story.events("HelmChart")


def test_chart_download_failure_is_a_pull_error(story: Story, chart_repository: LabChartRepository) -> None:
    helm_repository(story, "lab", chart_repository.url)
    story.sync()
    del chart_repository.files["web-0.2.0.tgz"]
    helm_chart(story, "web", "web")
    story.sync()
    status, reason, message = ready(story, "HelmChart", "web")
    assert (status, reason) == ("False", "ChartPullError")
    assert message == (f"chart pull error: failed to download chart for remote reference: failed to fetch "
                       f"{chart_repository.url}web-0.2.0.tgz : 404 Not Found")
    assert cond(story, "HelmChart", "web", "Stalled") is None


def test_values_files_repackage_and_missing_ones_stall(story: Story, chart_repository: LabChartRepository) -> None:
    helm_repository(story, "lab", chart_repository.url)
    helm_chart(story, "merged", "web", valuesFiles=["values.yaml", "values-prod.yaml"],
               ignoreMissingValuesFiles=True)
    helm_chart(story, "strict", "web", valuesFiles=["values-prod.yaml"])
    story.sync()
    message = "packaged 'web' chart with version '0.2.0+1' and merged values files [values.yaml]"
    assert ready(story, "HelmChart", "merged") == ("True", "ChartPackageSucceeded", message)
    status = get(story, "HelmChart", "merged")["status"]
    assert status["artifact"]["revision"] == "0.2.0+1" and status["observedValuesFiles"] == ["values.yaml"]
    strict = ("values files merge error: failed to merge chart values: no values file found at path "
              "'values-prod.yaml'")
    assert ready(story, "HelmChart", "strict") == ("False", "ValuesFilesError", strict)
    build = cond(story, "HelmChart", "strict", "BuildFailed")
    assert build is not None and build["reason"] == "ValuesFilesError"
    assert cond(story, "HelmChart", "strict", "Stalled") is not None


def test_chart_waits_for_its_source(story: Story, chart_repository: LabChartRepository) -> None:
    helm_chart(story, "web", "web")
    helm_chart(story, "bucket", "web", source="b", kind="Bucket")
    story.sync()
    status, reason, message = ready(story, "HelmChart", "web")
    assert (status, reason) == ("False", "SourceUnavailable")
    assert message == 'failed to get source: helmrepositories.source.toolkit.fluxcd.io "lab" not found'
    assert ready(story, "HelmChart", "bucket")[1] == "SourceUnavailable"
    helm_repository(story, "lab", chart_repository.url, suspend=True)
    story.sync()
    assert ready(story, "HelmChart", "web") == ("False", "NoSourceArtifact",
                                                "no artifact available for HelmRepository source 'lab'")
    patch(story, "HelmRepository", "lab", {"suspend": False})
    story.sync()
    assert ready(story, "HelmChart", "web")[0] == "True"


def test_chart_from_a_git_repository(story: Story, chart_repository: LabChartRepository) -> None:
    from engine.source.helm_chart import load_archive

    chart = load_archive(chart_repository.files["web-0.1.0.tgz"])
    files: dict[str, str | None] = {f"charts/web/{k}": v.decode() for k, v in chart.files.items()}
    files["envs/prod.yaml"] = "replicaCount: 3\n"
    sha = story.commit("Add the web chart", files)
    story.git_repository()
    helm_chart(story, "web", "./charts/web", source="fleet", kind="GitRepository")
    helm_chart(story, "web-rev", "charts/web", source="fleet", kind="GitRepository",
               reconcileStrategy="Revision", valuesFiles=["envs/prod.yaml"])
    helm_chart(story, "nochart", "charts/none", source="fleet", kind="GitRepository")
    story.sync()
    assert ready(story, "HelmChart", "web") == ("True", "ChartPackageSucceeded",
                                                "packaged 'web' chart with version '0.1.0'")
    version = f"0.1.0+{sha[:12]}.1"
    assert ready(story, "HelmChart", "web-rev") == (
        "True", "ChartPackageSucceeded",
        f"packaged 'web' chart with version '{version}' and merged values files [envs/prod.yaml]")
    assert get(story, "HelmChart", "web-rev")["status"]["observedSourceArtifactRevision"] == f"main@sha1:{sha}"
    assert ready(story, "HelmChart", "nochart") == (
        "False", "InvalidChartReference", "invalid chart reference: stat charts/none: no such file or directory")
    # ChartVersion strategy: a template change without a version bump builds no new artifact (Flux's gotcha)
    before = get(story, "HelmChart", "web")["status"]["artifact"]
    story.commit("Change a template", {"charts/web/templates/NOTES.txt": "changed\n"})
    story.sync()
    assert get(story, "HelmChart", "web")["status"]["artifact"]["digest"] == before["digest"]
    assert get(story, "HelmChart", "web-rev")["status"]["artifact"]["revision"] != version


def test_oci_repository_is_static_and_charts_pull_from_it(story: Story, chart_registry: Any) -> None:
    url = f"oci://{chart_registry.host}/charts"
    helm_repository(story, "oci", url, type="oci", insecure=True)
    helm_chart(story, "web", "web", source="oci")
    helm_chart(story, "pinned", "ingress-nginx", source="oci", version="4.10.1")
    helm_chart(story, "none", "web", source="oci", version="9.x")
    story.sync()
    repo = get(story, "HelmRepository", "oci")
    assert not (repo.get("status") or {}).get("conditions") and "artifact" not in (repo.get("status") or {})
    assert ready(story, "HelmChart", "web") == ("True", "ChartPullSucceeded",
                                                "pulled 'web' chart with version '0.2.0'")
    assert get(story, "HelmChart", "pinned")["status"]["artifact"]["revision"] == "4.10.1"
    status, reason, message = ready(story, "HelmChart", "none")
    assert (status, reason) == ("False", "ChartPullError")
    assert message == ("chart pull error: failed to get chart version for remote reference: could not locate a "
                       "version matching provided version string 9.x")


def test_a_new_chart_version_in_the_repository_reaches_the_chart(story: Story,
                                                                 chart_repository: LabChartRepository) -> None:
    from workshop.chart_repo import LAB_CHARTS, LabChart, build_repository

    helm_repository(story, "lab", chart_repository.url)
    helm_chart(story, "web", "web", version="0.2.x")
    story.sync()
    assert get(story, "HelmChart", "web")["status"]["artifact"]["revision"] == "0.2.0"
    chart_repository.files = build_repository((*LAB_CHARTS, LabChart("web", "0.2.1", "6.5.4")))
    story.sync()
    revision = "sha256:" + hashlib.sha256(chart_repository.files["index.yaml"]).hexdigest()
    assert get(story, "HelmRepository", "lab")["status"]["artifact"]["revision"] == revision
    assert ready(story, "HelmChart", "web") == ("True", "ChartPullSucceeded",
                                                "pulled 'web' chart with version '0.2.1'")
    assert ("Normal", "NewArtifact") in [e[:2] for e in story.events("HelmRepository")]


def test_repository_timeout(story: Story) -> None:
    import threading

    from engine.loopback import LoopbackServer, Reply

    release = threading.Event()

    def slow(_request: Any) -> Reply:
        release.wait(5)
        return Reply(200, b"apiVersion: v1\nentries: {}\n")

    with LoopbackServer(slow) as server:
        helm_repository(story, "slow", server.url, timeout="500ms")
        story.sync()
        release.set()
    assert ready(story, "HelmRepository", "slow") == (
        "False", "Failed", "failed to fetch Helm repository index: failed to cache index to temporary file: "
        f'Get "{server.url}/index.yaml": context deadline exceeded (Client.Timeout exceeded while awaiting headers)')


def test_deleting_sources_removes_their_artifacts(story: Story, chart_repository: LabChartRepository) -> None:
    helm_repository(story, "lab", chart_repository.url)
    helm_chart(story, "web", "web")
    story.sync()
    paths = [story.storage_dir / get(story, kind, name)["status"]["artifact"]["path"]
             for kind, name in (("HelmRepository", "lab"), ("HelmChart", "web"))]
    assert all(p.is_file() for p in paths)
    for kind, name in (("HelmChart", "web"), ("HelmRepository", "lab")):
        story.client.delete(SOURCE_API, kind, name, story.ns)
    story.sync()
    assert story.client.get(SOURCE_API, "HelmChart", "web", story.ns) is None
    assert story.client.get(SOURCE_API, "HelmRepository", "lab", story.ns) is None
    assert not any(p.exists() for p in paths)


def test_suspended_chart_is_left_alone(story: Story, chart_repository: LabChartRepository) -> None:
    helm_repository(story, "lab", chart_repository.url)
    helm_chart(story, "web", "web", suspend=True)
    story.sync()
    obj = get(story, "HelmChart", "web")
    assert "artifact" not in (obj.get("status") or {})
    assert "finalizers.fluxcd.io" in obj["metadata"]["finalizers"]


@pytest.mark.parametrize("auth_mode", ["token", "basic"])
def test_private_oci_registry_needs_the_secret(story: Story, auth_mode: str) -> None:
    from workshop.registry import LabRegistry

    with LabRegistry(kind="embedded", credentials=("learner", "s3cret"), auth_mode=auth_mode) as registry:
        LabChartRepository().push_oci(registry)
        url = f"oci://{registry.host}/charts"
        helm_repository(story, "private", url, type="oci", insecure=True, secretRef={"name": "regcred"})
        helm_repository(story, "anonymous", url, type="oci", insecure=True)
        helm_chart(story, "web", "web", source="private")
        helm_chart(story, "anon", "web", source="anonymous")
        story.client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "regcred",
                                                                                "namespace": story.ns},
                             "stringData": {"username": "learner", "password": "s3cret"}})
        story.sync()
        assert ready(story, "HelmChart", "web") == ("True", "ChartPullSucceeded",
                                                    "pulled 'web' chart with version '0.2.0'")
        status, reason, message = ready(story, "HelmChart", "anon")
        assert (status, reason) == ("False", "AuthenticationFailed")
        assert message.startswith("failed to authenticate with the Helm repository: chart pull error: ")
        assert "unauthorized" in message
