"""Chart repository logic without a cluster: index loading, version selection (Masterminds), URLs, chart builds,
OCI tag selection; and the lab chart repository's reproducible packages."""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml

from engine.source import helm_chart as hc
from engine.source.helm_index import (
    ChartReferenceError,
    GetterError,
    IndexLoadError,
    fetch_index,
    index_url,
    load_index,
    resolve_reference_url,
    select_version,
)
from engine.source.helm_oci import OCIChartError, OCIChartRef, select_tag
from workshop.chart_repo import LAB_CHARTS, LabChartRepository, build_repository


def _index(versions: dict[str, list[str | tuple[str, str]]]) -> bytes:
    entries = {}
    for name, vs in versions.items():
        entries[name] = []
        for v in vs:
            version, created = v if isinstance(v, tuple) else (v, "2026-01-01T00:00:00Z")
            entries[name].append({"apiVersion": "v2", "name": name, "version": version, "created": created,
                                  "urls": [f"{name}-{version}.tgz"], "digest": "00"})
    return yaml.safe_dump({"apiVersion": "v1", "entries": entries, "generated": "2026-01-01T00:00:00Z"}).encode()


INDEX = load_index(_index({"web": ["0.1.0", "0.2.0", "1.0.0-rc.1", "0.10.0", "v0.3", "not-a-version"],
                           "empty": []}))


@pytest.mark.parametrize("version, expected", [
    ("*", "0.10.0"),                   # latest stable: semver order, not string order; pre-releases skipped
    ("", "0.10.0"),
    ("0.2.0", "0.2.0"),                # exact match
    ("~0.1", "0.1.0"),
    ("^0.2", "0.2.0"),
    (">=0.2.0 <0.10.0", "0.2.0"),
    ("0.1.0 - 0.2.0", "0.2.0"),
    ("1.x", None),                     # a pre-release only matches a range that names one
    (">=1.0.0-0", "1.0.0-rc.1"),
    ("v0.3", "v0.3"),                  # an exact string match comes first (ranges skip two-part versions)
])
def test_version_selection_follows_masterminds(version: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ChartReferenceError, match=f"no 'web' chart with version matching '{version}' found"):
            select_version(INDEX, "web", version)
    else:
        assert select_version(INDEX, "web", version)["version"] == expected


def test_missing_chart_and_empty_chart_and_bad_range() -> None:
    with pytest.raises(ChartReferenceError, match="^no chart name found$"):
        select_version(INDEX, "nope", "*")
    with pytest.raises(ChartReferenceError, match="^no chart version found$"):
        select_version(INDEX, "empty", "*")
    with pytest.raises(ChartReferenceError, match='improper constraint: "bogus!"'):
        select_version(INDEX, "web", "bogus!")


def test_equal_versions_pick_the_later_created() -> None:
    index = load_index(_index({"a": [("1.0.0+build.1", "2026-01-01T00:00:00Z"),
                                     ("1.0.0+build.2", "2026-02-01T00:00:00.123456789Z")]}))
    assert select_version(index, "a", "*")["version"] == "1.0.0+build.2"


def test_loading_sorts_newest_first_and_drops_invalid_entries() -> None:
    index = load_index(_index({"web": ["0.1.0", "0.10.0", "0.2.0"]}))
    assert [e["version"] for e in index.entries["web"]] == ["0.10.0", "0.2.0", "0.1.0"]
    raw = yaml.safe_dump({"apiVersion": "v1", "entries": {"x": [{"name": "x"}, {"name": "x", "version": "1.0.0"},
                                                                {"name": "../x", "version": "1.0.0"}]}}).encode()
    assert [e["version"] for e in load_index(raw).entries["x"]] == ["1.0.0"]
    doc = json.loads(load_index(raw).to_json())
    assert list(doc) == ["apiVersion", "generated", "entries"]
    assert doc["entries"]["x"][0] == {"name": "x", "version": "1.0.0", "apiVersion": "v1",
                                      "created": "0001-01-01T00:00:00Z"}
    assert load_index(json.dumps({"apiVersion": "v1"}).encode()).entries == {}  # JSON is accepted too


@pytest.mark.parametrize("data, message", [
    (b"", "empty index.yaml file"),
    (b"entries: {}\n", "no API version specified"),
    (b"apiVersion: v1\nentries: [\n", "error converting YAML to JSON: yaml: line 3"),
    (b"apiVersion: v1\napiVersion: v2\n", 'key "apiVersion" already set in map'),
    (b"- a\n", "cannot unmarshal array"),
])
def test_bad_indexes_fail_with_helms_words(data: bytes, message: str) -> None:
    with pytest.raises(IndexLoadError, match=message.replace("[", r"\[")):
        load_index(data)


def test_urls() -> None:
    assert index_url("http://127.0.0.1:8879/charts/") == "http://127.0.0.1:8879/charts/index.yaml"
    assert index_url("http://127.0.0.1:8879") == "http://127.0.0.1:8879/index.yaml"
    assert resolve_reference_url("http://h/charts", "web-0.1.0.tgz") == "http://h/charts/web-0.1.0.tgz"
    assert resolve_reference_url("http://h/charts/?token=x", "web.tgz") == "http://h/charts/web.tgz?token=x"
    assert resolve_reference_url("http://h/charts", "https://cdn/web.tgz") == "https://cdn/web.tgz"


def test_unreachable_repository_names_the_url() -> None:
    with pytest.raises(GetterError) as err:
        fetch_index("http://127.0.0.1:9/", timeout=5)
    assert str(err.value) == ('failed to cache index to temporary file: Get "http://127.0.0.1:9/index.yaml": '
                              'dial tcp 127.0.0.1:9: connect: connection refused')


def test_a_missing_index_is_an_http_error(chart_repository: LabChartRepository) -> None:
    with pytest.raises(GetterError, match=r"failed to fetch http://127\.0\.0\.1:\d+/nope/index\.yaml : 404 Not Found"):
        fetch_index(chart_repository.url + "nope")
    assert fetch_index(chart_repository.url) == chart_repository.files["index.yaml"]


def test_lab_charts_are_reproducible_and_indexed() -> None:
    first, second = build_repository(), build_repository()
    assert first == second
    index = yaml.safe_load(first["index.yaml"])
    assert [e["version"] for e in index["entries"]["web"]] == ["0.3.0-rc.1", "0.2.0", "0.1.0"]
    for chart in LAB_CHARTS:
        entry = next(e for e in index["entries"][chart.source] if e["version"] == chart.version)
        assert entry["digest"] == hashlib.sha256(first[chart.filename]).hexdigest()
        assert entry["urls"] == [chart.filename] and entry["appVersion"] == chart.app_version
        loaded = hc.load_archive(first[chart.filename])
        assert loaded.version == chart.version and "values.schema.json" in loaded.files
    web = hc.load_archive(first["web-0.2.0.tgz"])
    assert "templates/tests/test-connection.yaml" in web.files and web.values["service"]["port"] == 80
    ingress = hc.load_archive(first["ingress-nginx-4.11.3.tgz"])
    assert ingress.values["controller"]["service"]["type"] == "NodePort"
    assert ingress.values["controller"]["replicaCount"] == 1


def test_remote_build_with_values_files_repackages_with_generation_metadata() -> None:
    data = build_repository()["web-0.2.0.tgz"]
    pulled = hc.build_remote(data, "web", "0.2.0", values_files=[], ignore_missing=False)
    assert pulled.archive == data and not pulled.packaged
    assert pulled.summary == "pulled 'web' chart with version '0.2.0'" and pulled.reason == "ChartPullSucceeded"
    assert hc.build_remote(data, "web", "0.2.0", values_files=["values.yaml"], ignore_missing=False).archive == data
    chart = hc.load_archive(data)
    chart.files["values-prod.yaml"] = b"replicaCount: 3\nservice:\n  type: NodePort\n"
    with_prod = hc.package(chart)
    built = hc.build_remote(with_prod, "web", "0.2.0", values_files=["values.yaml", "values-prod.yaml"],
                            ignore_missing=False, version_metadata="4")
    assert built.version == "0.2.0+4" and built.packaged
    assert built.summary == ("packaged 'web' chart with version '0.2.0+4' and merged values files "
                             "[values.yaml values-prod.yaml]")
    merged = hc.load_archive(built.archive)
    assert merged.values["replicaCount"] == 3 and merged.values["service"] == {"type": "NodePort", "port": 80}
    assert merged.metadata["version"] == "0.2.0+4"
    with pytest.raises(hc.BuildError) as err:
        hc.build_remote(data, "web", "0.2.0", values_files=["nope.yaml"], ignore_missing=False, version_metadata="1")
    assert str(err.value) == ("values files merge error: failed to merge chart values: no values file found at path "
                              "'nope.yaml'")
    assert err.value.reason.reason == "ValuesFilesError" and err.value.reason.persistent
    assert err.value.reason.condition == "BuildFailed"
    ignored = hc.build_remote(data, "web", "0.2.0", values_files=["nope.yaml"], ignore_missing=True,
                              version_metadata="1")
    assert ignored.values_files == [] and ignored.version == "0.2.0+1"


def test_local_build_from_a_directory(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    for name, data in hc.load_archive(build_repository()["web-0.1.0.tgz"]).files.items():
        (root / "charts/web" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "charts/web" / name).write_bytes(data)
    (root / "envs").mkdir()
    (root / "envs/prod.yaml").write_text("replicaCount: 2\n")
    build = hc.build_local(root, "charts/web", values_files=[], ignore_missing=False)
    assert (build.name, build.version, build.packaged) == ("web", "0.1.0", True)
    assert build.summary == "packaged 'web' chart with version '0.1.0'"
    assert hc.build_local(root, "charts/web", values_files=[], ignore_missing=False).archive == build.archive
    revision = hc.build_local(root, "charts/web", values_files=["envs/prod.yaml"], ignore_missing=False,
                              version_metadata="4e5cbb7b97d0.2")
    assert revision.version == "0.1.0+4e5cbb7b97d0.2" and revision.values_files == ["envs/prod.yaml"]
    with pytest.raises(hc.BuildError, match="^invalid chart reference: stat charts/nope: no such file"):
        hc.build_local(root, "charts/nope", values_files=[], ignore_missing=False)
    (root / "charts/bad").mkdir()
    (root / "charts/bad/Chart.yaml").write_text("apiVersion: v2\nname: bad\n")
    with pytest.raises(hc.BuildError) as err:
        hc.build_local(root, "charts/bad", values_files=[], ignore_missing=False)
    assert str(err.value) == "invalid chart reference: validation: chart.metadata.version is required"
    with pytest.raises(hc.BuildError, match="no values file found at path '/envs/missing.yaml'"):
        hc.build_local(root, "charts/web", values_files=["envs/missing.yaml"], ignore_missing=False)


def test_oci_tag_selection_and_references() -> None:
    assert select_tag(["0.1.0", "0.2.0", "0.3.0-rc.1"], "*") == "0.2.0"
    assert select_tag(["0.1.0", "0.2.0"], "~0.1") == "0.1.0"
    with pytest.raises(OCIChartError, match="^could not locate a version matching provided version string 9.x$"):
        select_tag(["0.1.0"], "9.x")
    ref = OCIChartRef.of("oci://127.0.0.1:5000/charts/", "web")
    assert ref.repository == "charts/web" and ref.url("0.1.0") == "oci://127.0.0.1:5000/charts/web:0.1.0"


def test_entries_with_invalid_versions_are_dropped_on_load() -> None:
    assert "not-a-version" not in [e["version"] for e in INDEX.entries["web"]]
    with pytest.raises(ChartReferenceError, match='improper constraint: "not-a-version"'):
        select_version(INDEX, "web", "not-a-version")


def test_the_chart_repository_runs_from_a_terminal(tmp_path: pytest.TempPathFactory) -> None:
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    folder = Path(str(tmp_path)) / "repo"
    proc = subprocess.Popen([sys.executable, "-m", "workshop.chart_repo", "--dir", str(folder)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split(": ", 1)[1].strip()
        with urllib.request.urlopen(url + "index.yaml", timeout=10) as response:
            assert response.read() == (folder / "index.yaml").read_bytes()
        assert (folder / "web-0.2.0.tgz").is_file()
    finally:
        proc.terminate()
        proc.wait(10)
