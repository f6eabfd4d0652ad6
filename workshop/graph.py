"""Graphviz pictures of a lab: the dependsOn graph and the source -> Kustomization -> objects tree.

Each function takes the objects as the API serves them (plain dicts), returns a `graphviz.Digraph`
(rendered as SVG by Jupyter) and has a sorted, deterministic DOT source. `depends_on_text` reads the
dependsOn graph as plain text (what notebooks print for nbval to compare), and `depends_on_picture`
shows the SVG where graphviz's `dot` runs and that text where it does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import graphviz

from engine.jsonobj import Obj

READY_COLOURS = {"True": "#2e7d32", "False": "#c62828", "Unknown": "#9e9e9e"}


def _key(obj: Obj) -> str:
    meta = obj.get("metadata", {})
    return f"{obj.get('kind', '')}/{meta.get('namespace', '')}/{meta.get('name', '')}"


def _ready(obj: Obj) -> str:
    for cond in obj.get("status", {}).get("conditions", []) or []:
        if cond.get("type") == "Ready":
            return str(cond.get("status", "Unknown"))
    return "Unknown"


def _node_id(kind: str, namespace: str, name: str) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def _new_graph(name: str) -> graphviz.Digraph:
    graph = graphviz.Digraph(name, graph_attr={"rankdir": "LR", "fontname": "Helvetica"},
                             node_attr={"shape": "box", "style": "rounded", "fontname": "Helvetica"})
    return graph


def depends_on_graph(kustomizations: Iterable[Obj]) -> graphviz.Digraph:
    """Kustomizations as nodes (coloured by Ready), an edge from each dependency to its dependant."""
    graph = _new_graph("dependsOn")
    items = sorted(kustomizations, key=_key)
    for ks in items:
        meta = ks["metadata"]
        ns = meta.get("namespace", "")
        graph.node(_node_id("Kustomization", ns, meta["name"]), label=f"{meta['name']}\n{ns}",
                   color=READY_COLOURS[_ready(ks)])
    for ks in items:
        meta = ks["metadata"]
        ns = meta.get("namespace", "")
        for dep in sorted(ks.get("spec", {}).get("dependsOn", []) or [], key=lambda d: (d.get("namespace", ns), d["name"])):
            graph.edge(_node_id("Kustomization", dep.get("namespace", ns), dep["name"]),
                       _node_id("Kustomization", ns, meta["name"]))
    return graph


def parse_inventory_id(entry_id: str) -> tuple[str, str, str, str]:
    """Split a Flux inventory id `<namespace>_<name>_<group>_<kind>` into (namespace, name, group, kind)."""
    parts = entry_id.split("_")
    if len(parts) < 4:
        raise ValueError(f"inventory id {entry_id!r} is not of the form <namespace>_<name>_<group>_<kind>")
    namespace, kind, group = parts[0], parts[-1], parts[-2]
    name = "_".join(parts[1:-2])
    return namespace, name, group, kind


def reconcile_tree(sources: Iterable[Obj], kustomizations: Iterable[Obj]) -> graphviz.Digraph:
    """Sources -> Kustomizations -> the objects in each Kustomization's inventory."""
    graph = _new_graph("tree")
    for src in sorted(sources, key=_key):
        meta = src["metadata"]
        revision = src.get("status", {}).get("artifact", {}).get("revision", "")
        graph.node(_node_id(src["kind"], meta.get("namespace", ""), meta["name"]),
                   label=f"{src['kind']}/{meta['name']}\n{revision}", shape="cylinder",
                   color=READY_COLOURS[_ready(src)])
    for ks in sorted(kustomizations, key=_key):
        meta = ks["metadata"]
        ns = meta.get("namespace", "")
        ks_id = _node_id("Kustomization", ns, meta["name"])
        graph.node(ks_id, label=f"Kustomization/{meta['name']}", color=READY_COLOURS[_ready(ks)])
        ref = ks.get("spec", {}).get("sourceRef", {})
        if ref:
            graph.edge(_node_id(ref.get("kind", "GitRepository"), ref.get("namespace", ns), ref["name"]), ks_id)
        entries = ks.get("status", {}).get("inventory", {}).get("entries", []) or []
        for entry in sorted(entries, key=lambda e: e["id"]):
            obj_ns, name, _group, kind = parse_inventory_id(entry["id"])
            obj_id = _node_id(kind, obj_ns, name)
            graph.node(obj_id, label=f"{kind}/{obj_ns + '/' if obj_ns else ''}{name}", shape="note")
            graph.edge(ks_id, obj_id)
    return graph


def _dependencies(ks: Obj) -> list[tuple[str, str]]:
    ns = ks["metadata"].get("namespace", "")
    return [(d.get("namespace", ns), d["name"]) for d in ks.get("spec", {}).get("dependsOn", []) or []]


def depends_on_text(kustomizations: Iterable[Obj]) -> str:
    """The dependsOn graph as text: Kustomizations by the step they can run at, what each waits for, Ready.

    Step 1 waits for nothing; step N waits for something at step N-1. A dependsOn cycle or a missing
    dependency is named, because the Kustomizations caught in it never become Ready.
    """
    items = {(ks["metadata"].get("namespace", ""), ks["metadata"]["name"]): ks for ks in kustomizations}
    one_namespace = len({ns for ns, _ in items}) <= 1

    def label(key: tuple[str, str]) -> str:
        return key[1] if one_namespace else f"{key[0]}/{key[1]}"

    steps: dict[tuple[str, str], int] = {}
    remaining = dict(items)
    while remaining:
        ready_now = {key: 1 + max((steps[d] for d in _dependencies(ks) if d in steps), default=0)
                     for key, ks in remaining.items()
                     if all(d in steps or d not in items for d in _dependencies(ks))}
        if not ready_now:
            break
        steps.update(ready_now)
        for key in ready_now:
            del remaining[key]
    rows = sorted(steps.items(), key=lambda kv: (kv[1], kv[0]))
    width = max((len(label(k)) for k in items), default=0)
    lines = []
    for key, step in rows:
        deps = _dependencies(items[key])
        after = ", ".join(label(d) + ("" if d in items else " (missing)") for d in sorted(deps))
        lines.append(f"step {step}  {label(key):<{width}}  Ready={_ready(items[key]):<7}  "
                     f"{'after ' + after if after else 'waits for nothing'}".rstrip())
    if remaining:
        lines.append("dependsOn cycle, never Ready: " + ", ".join(label(k) for k in sorted(remaining)))
    return "\n".join(lines) if lines else "no Kustomizations"


class Picture:
    """A graph Jupyter shows as SVG when graphviz's `dot` runs, and as its text everywhere else."""

    def __init__(self, graph: graphviz.Digraph, text: str) -> None:
        self.graph = graph
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        bundle = {"text/plain": self.text}
        try:
            bundle["image/svg+xml"] = self.graph.pipe(format="svg", encoding="utf-8")
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError):
            pass
        return bundle


def depends_on_picture(kustomizations: Iterable[Obj]) -> Picture:
    """depends_on_graph as SVG, with depends_on_text as its text fallback."""
    items = list(kustomizations)
    return Picture(depends_on_graph(items), depends_on_text(items))
