"""Post-rendering as helm-controller chains it and the "replay" chart that hands post-rendered manifests to Helm's actions.

Helm's SDK binding has no post-renderer hook, so the kit renders the chart itself, runs Flux's chain over the
manifests (each `postRenderers[].kustomize` through the kit's kustomize, then `commonMetadata`, then the
origin labels `helm.toolkit.fluxcd.io/name|namespace`), and packs the result into a chart whose templates
only print the post-rendered files back (`{{ .Files.Get "..." }}`). That chart keeps the real Chart.yaml,
values.yaml and schema and the original template paths, so Helm still sees hooks, tests, `# Source:` lines
and `helm get` shows the real chart name and version.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.jsonobj import Obj
from engine.kustomize import KustomizeError, build, render

HELM_GROUP = "helm.toolkit.fluxcd.io"
ORIGIN_NAME = f"{HELM_GROUP}/name"
ORIGIN_NAMESPACE = f"{HELM_GROUP}/namespace"
NOTES = "NOTES.txt"


class PostRenderError(Exception):
    """A post-renderer failed (bad patch, bad kustomization); the message names the cause."""


@dataclass
class Rendered:
    """A chart's rendered manifests: objects grouped by template path, and the notes text."""

    chart: str
    files: dict[str, list[Obj]]
    notes: str = ""

    @classmethod
    def parse(cls, chart: str, rendered: dict[str, str]) -> Rendered:
        """Split Helm's `{path: text}` into objects per template (NOTES.txt and partials dropped)."""
        files: dict[str, list[Obj]] = {}
        notes = ""
        for path in sorted(rendered):
            text = rendered[path]
            if path.endswith(NOTES):
                if path.count("/charts/") == 0:
                    notes = text
                continue
            base = path.rsplit("/", 1)[-1]
            if base.startswith("_"):
                continue
            try:
                docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict) and d]
            except yaml.YAMLError as exc:
                raise PostRenderError(f"YAML parse error on {path}: {exc}") from None
            if docs:
                files[path] = docs
        return cls(chart, files, notes)

    def objects(self) -> list[Obj]:
        return [obj for docs in self.files.values() for obj in docs]


def _key(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("apiVersion", "")), str(obj.get("kind", "")), str(meta.get("namespace") or ""),
            str(meta.get("name", "")))


def _kustomize(objects: list[Obj], spec: Obj) -> list[Obj]:
    with tempfile.TemporaryDirectory(prefix="helm-postrender-") as tmp:
        root = Path(tmp)
        (root / "resources.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
        kustomization: Obj = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                              "resources": ["resources.yaml"]}
        if spec.get("patches"):
            kustomization["patches"] = spec["patches"]
        if spec.get("images"):
            kustomization["images"] = spec["images"]
        (root / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False))
        try:
            return build(root)
        except KustomizeError as exc:
            raise PostRenderError(f"kustomize post-renderer failed: {exc}") from None


def post_render(rendered: Rendered, post_renderers: list[Obj], common_metadata: Obj | None,
                hr_name: str, hr_namespace: str) -> Rendered:
    """Flux's chain: kustomize post-renderers in order, commonMetadata, then the origin labels (always)."""
    objects = rendered.objects()
    for renderer in post_renderers:
        spec = renderer.get("kustomize") or {}
        if spec.get("patches") or spec.get("images"):
            objects = _kustomize(objects, spec)
    common = common_metadata or {}
    for obj in objects:
        meta = obj.setdefault("metadata", {})
        labels = {**(meta.get("labels") or {}), **(common.get("labels") or {}),
                  ORIGIN_NAME: hr_name, ORIGIN_NAMESPACE: hr_namespace}
        meta["labels"] = labels
        if common.get("annotations"):
            meta["annotations"] = {**(meta.get("annotations") or {}), **common["annotations"]}
    # Give each object back to the template it came from (kustomize keeps identities), else to one file.
    origin = {_key(obj): path for path, docs in rendered.files.items() for obj in docs}
    files: dict[str, list[Obj]] = {}
    for obj in objects:
        path = origin.get(_key(obj), f"{rendered.chart}/templates/postrendered.yaml")
        files.setdefault(path, []).append(obj)
    return Rendered(rendered.chart, files, rendered.notes)


def _template_name(chart: str, path: str) -> str:
    """`web/templates/x.yaml` → `templates/x.yaml`; subchart paths are kept under templates/."""
    rest = path[len(chart) + 1:] if path.startswith(f"{chart}/") else path
    return rest if rest.startswith("templates/") else f"templates/{rest}"


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def replay_chart(metadata: Obj, values: Obj, schema: Obj | None, crds: list[dict[str, str]],
                 rendered: Rendered) -> bytes:
    """A chart archive that renders to exactly `rendered` (whatever values it is given)."""
    chart = str(metadata.get("name", "chart"))
    meta = {k: v for k, v in metadata.items() if k != "dependencies"}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        _add(tar, f"{chart}/Chart.yaml", yaml.safe_dump(meta, sort_keys=False).encode())
        _add(tar, f"{chart}/values.yaml", yaml.safe_dump(values, sort_keys=False).encode())
        if schema:
            _add(tar, f"{chart}/values.schema.json", json.dumps(schema, indent=2).encode())
        for crd in crds:
            _add(tar, f"{chart}/{crd.get('filename') or 'crds/' + crd.get('name', 'crd.yaml')}",
                 str(crd.get("data", "")).encode())
        if rendered.notes:
            _add(tar, f"{chart}/templates/NOTES.txt", b'{{ .Files.Get "rendered/NOTES.txt" }}')
            _add(tar, f"{chart}/rendered/NOTES.txt", rendered.notes.encode())
        for path in sorted(rendered.files):
            name = _template_name(chart, path)
            text = render(rendered.files[path])  # Go-compatible YAML ("y", "on" stay strings)
            _add(tar, f"{chart}/rendered/{name}", text.encode())
            _add(tar, f"{chart}/{name}", f'{{{{ .Files.Get "rendered/{name}" }}}}'.encode())
    return buf.getvalue()
