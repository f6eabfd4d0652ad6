"""The lab's Helm chart repository: the kit's own charts (workshop/charts), packaged reproducibly, served offline
as an HTTP chart repository on 127.0.0.1 (`index.yaml` + `.tgz`) and pushed as OCI charts to a lab registry.

    charts = LabChartRepository().start()          # http://127.0.0.1:<port>/
    charts.url                                     # what a HelmRepository's spec.url names
    charts.push_oci(registry)                      # oci://127.0.0.1:<port>/charts/<chart>:<version>
    charts.stop()

Every chart version is packaged with fixed mtimes and ordering and indexed with a fixed `created` date, so the
chart digests and the HelmRepository revision (sha256 of index.yaml) are the same on every machine.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from engine.loopback import LoopbackServer, Reply, Request
from engine.source.helm_chart import load_directory, package

CHARTS_DIR = Path(__file__).resolve().parent / "charts"
#: The `created`/`generated` date of every index entry (a fixed date keeps the index, and its revision, stable).
INDEX_DATE = "2026-01-01T00:00:00Z"
OCI_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
OCI_CHART_CONFIG = "application/vnd.cncf.helm.config.v1+json"
#: Registry path the lab pushes its OCI charts under: `oci://<registry>/charts`.
OCI_PATH = "charts"


@dataclass(frozen=True)
class LabChart:
    """One chart version the lab publishes: the chart source directory, its version and app version."""

    source: str
    version: str
    app_version: str

    @property
    def filename(self) -> str:
        return f"{self.source}-{self.version}.tgz"


#: What the lab repository holds. `web` has two releases and a pre-release (`*` picks 0.2.0; `>=0.3.0-0` the
#: pre-release); `ingress-nginx` stands in for the real chart with two 4.x versions.
LAB_CHARTS: tuple[LabChart, ...] = (
    LabChart("web", "0.1.0", "6.5.2"),
    LabChart("web", "0.2.0", "6.5.3"),
    LabChart("web", "0.3.0-rc.1", "6.6.0"),
    LabChart("ingress-nginx", "4.10.1", "1.10.1"),
    LabChart("ingress-nginx", "4.11.3", "1.11.3"),
)


def package_chart(chart: LabChart, charts_dir: Path = CHARTS_DIR) -> bytes:
    """The `.tgz` of one lab chart version (byte-for-byte the same on every run)."""
    loaded = load_directory(charts_dir, chart.source)
    loaded.metadata["version"] = chart.version
    loaded.metadata["appVersion"] = chart.app_version
    return package(loaded)


def chart_metadata(chart: LabChart, charts_dir: Path = CHARTS_DIR) -> dict[str, Any]:
    """Chart.yaml of one lab chart version, as the index lists it."""
    meta = yaml.safe_load((charts_dir / chart.source / "Chart.yaml").read_text())
    meta.update(version=chart.version, appVersion=chart.app_version)
    return dict(meta)


def build_index(entries: dict[str, list[dict[str, Any]]]) -> bytes:
    """`index.yaml` as `helm repo index` writes it: keys sorted, each chart's versions newest first."""
    doc = {"apiVersion": "v1", "entries": entries, "generated": INDEX_DATE}
    return yaml.safe_dump(doc, sort_keys=True, default_flow_style=False).encode()


def build_repository(charts: tuple[LabChart, ...] = LAB_CHARTS, charts_dir: Path = CHARTS_DIR) -> dict[str, bytes]:
    """Every chart archive and the index.yaml listing them: {file name: bytes}."""
    files: dict[str, bytes] = {}
    entries: dict[str, list[dict[str, Any]]] = {}
    for chart in charts:
        data = package_chart(chart, charts_dir)
        files[chart.filename] = data
        entry = {**chart_metadata(chart, charts_dir), "urls": [chart.filename], "created": INDEX_DATE,
                 "digest": hashlib.sha256(data).hexdigest()}
        entries.setdefault(chart.source, []).insert(0, entry)
    files["index.yaml"] = build_index(entries)
    return files


def write_repository(directory: Path, charts: tuple[LabChart, ...] = LAB_CHARTS,
                     charts_dir: Path = CHARTS_DIR) -> dict[str, bytes]:
    """Write the chart archives and index.yaml into `directory` (a static chart repository); returns them."""
    files = build_repository(charts, charts_dir)
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return files


class LabChartRepository:
    """The lab's HTTP chart repository on 127.0.0.1 (optionally behind basic auth), serving `directory`."""

    def __init__(self, directory: Path | None = None, *, charts: tuple[LabChart, ...] = LAB_CHARTS,
                 credentials: tuple[str, str] | None = None, port: int = 0) -> None:
        self.charts = charts
        self.credentials = credentials
        self.directory = directory
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        self._server = LoopbackServer(self._handle, port=port, name="lab-chart-repository", methods=("GET", "HEAD"))

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> LabChartRepository:
        """Package the charts (into `directory` when given) and serve them; returns self."""
        if not self.files:
            if self.directory is not None:
                self.files = write_repository(self.directory, self.charts)
            else:
                self.files = build_repository(self.charts)
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> LabChartRepository:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server.running

    @property
    def url(self) -> str:
        """The repository URL a HelmRepository names (`http://127.0.0.1:<port>/`)."""
        if not self.running:
            raise RuntimeError("the lab chart repository is not running: call start() first")
        return self._server.url + "/"

    @property
    def index(self) -> dict[str, Any]:
        return dict(yaml.safe_load(self.files["index.yaml"]))

    def digest(self, chart: str, version: str) -> str:
        """`sha256:<hex>` of a chart archive the repository serves."""
        return "sha256:" + hashlib.sha256(self.files[f"{chart}-{version}.tgz"]).hexdigest()

    # -- serving -----------------------------------------------------------------------------------
    def _handle(self, request: Request) -> Reply:
        path = unquote(urlsplit(request.path).path).lstrip("/")
        self.requests.append(path)
        if self.credentials is not None and not self._authorized(request):
            return Reply(401, b"401 Unauthorized\n", "text/plain")
        data = self.files.get(path)
        if data is None:
            return Reply(404, b"404 page not found\n", "text/plain; charset=utf-8")
        content_type = "application/x-yaml" if path.endswith(".yaml") else "application/gzip"
        return Reply(200, data if request.method == "GET" else b"", content_type)

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return False
        assert self.credentials is not None
        expected = base64.b64encode(":".join(self.credentials).encode()).decode()
        return header[len("Basic "):] == expected

    # -- OCI ---------------------------------------------------------------------------------------
    def push_oci(self, registry: Any, path: str = OCI_PATH) -> dict[str, str]:
        """Push every chart version to `registry` (a running LabRegistry) as Helm pushes it:
        repository `<path>/<chart>`, tag = version with `+` as `_`. Returns {`chart:version`: manifest digest}."""
        if not self.files:
            self.files = build_repository(self.charts)
        pushed: dict[str, str] = {}
        for chart in self.charts:
            data = self.files[chart.filename]
            config = json.dumps(chart_metadata(chart), sort_keys=True, separators=(",", ":")).encode()
            annotations = {"org.opencontainers.image.created": INDEX_DATE,
                           "org.opencontainers.image.title": chart.source,
                           "org.opencontainers.image.version": chart.version}
            description = chart_metadata(chart).get("description")
            if description:
                annotations["org.opencontainers.image.description"] = str(description)
            pushed[f"{chart.source}:{chart.version}"] = registry.push_artifact(
                f"{path}/{chart.source}", chart.version.replace("+", "_"), config=config,
                config_media_type=OCI_CHART_CONFIG, layers=[(data, OCI_CHART_LAYER)], annotations=annotations)
        return pushed



def main(argv: list[str] | None = None) -> int:
    """`python -m workshop.chart_repo [--port N] [--dir DIR]`: serve the lab charts until Ctrl-C (a terminal's
    chart repository for `gitops create source helm lab --url=<printed url>`)."""
    import argparse
    import threading

    parser = argparse.ArgumentParser(prog="python -m workshop.chart_repo", description=main.__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--dir", type=Path, default=None, help="also write the repository into this folder")
    args = parser.parse_args(argv)
    repo = LabChartRepository(args.dir, port=args.port)
    repo.start()
    print(f"lab chart repository: {repo.url}", flush=True)
    for chart in repo.charts:
        print(f"  {chart.source} {chart.version}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        repo.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
