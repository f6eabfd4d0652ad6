"""Graphviz pictures: deterministic DOT source that names every edge a learner should see."""

import graphviz
import pytest

from workshop.graph import (
    depends_on_graph,
    depends_on_picture,
    depends_on_text,
    parse_inventory_id,
    reconcile_tree,
)


def _ks(name, deps=(), ready="True", inventory=()):
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": name, "namespace": "flux-system"},
        "spec": {"sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                 "dependsOn": [{"name": d} for d in deps]},
        "status": {"conditions": [{"type": "Ready", "status": ready}],
                   "inventory": {"entries": [{"id": i, "v": "v1"} for i in inventory]}},
    }


def test_depends_on_edges_point_from_dependency_to_dependant():
    dot = depends_on_graph([_ks("apps", ["infra-configs"]), _ks("infra-configs", ["infra-controllers"]),
                            _ks("infra-controllers", ready="False")]).source
    assert '"Kustomization/flux-system/infra-configs" -> "Kustomization/flux-system/apps"' in dot
    assert '"Kustomization/flux-system/infra-controllers" -> "Kustomization/flux-system/infra-configs"' in dot
    assert "#c62828" in dot


def test_same_input_in_any_order_gives_the_same_source():
    items = [_ks("b", ["a"]), _ks("a"), _ks("c", ["a", "b"])]
    assert depends_on_graph(items).source == depends_on_graph(list(reversed(items))).source


def test_tree_lists_inventory_objects():
    src = {"kind": "GitRepository", "metadata": {"name": "flux-system", "namespace": "flux-system"},
           "status": {"artifact": {"revision": "main@sha1:abc"}}}
    dot = reconcile_tree([src], [_ks("apps", inventory=["default_web_apps_Deployment", "_hello-world__Namespace"])]).source
    assert '"GitRepository/flux-system/flux-system" -> "Kustomization/flux-system/apps"' in dot
    assert '"Kustomization/flux-system/apps" -> "Deployment/default/web"' in dot
    assert '"Kustomization/flux-system/apps" -> "Namespace/hello-world"' in dot


def test_inventory_id_parsing():
    assert parse_inventory_id("default_web_apps_Deployment") == ("default", "web", "apps", "Deployment")
    assert parse_inventory_id("_hello-world__Namespace") == ("", "hello-world", "", "Namespace")
    with pytest.raises(ValueError, match="namespace"):
        parse_inventory_id("bad")


def test_depends_on_text_orders_by_step_and_names_what_each_waits_for():
    text = depends_on_text([_ks("apps", ["infra-configs"]), _ks("flux-system"),
                            _ks("infra-configs", ["infra-controllers"]), _ks("infra-controllers", ready="False")])
    assert text.splitlines() == [
        "step 1  flux-system        Ready=True     waits for nothing",
        "step 1  infra-controllers  Ready=False    waits for nothing",
        "step 2  infra-configs      Ready=True     after infra-controllers",
        "step 3  apps               Ready=True     after infra-configs",
    ]


def test_depends_on_text_names_cycles_and_missing_dependencies():
    text = depends_on_text([_ks("a", ["b"]), _ks("b", ["a"]), _ks("c", ["gone"])])
    assert "step 1  c  Ready=True     after gone (missing)" in text
    assert text.splitlines()[-1] == "dependsOn cycle, never Ready: a, b"


def test_picture_falls_back_to_text_without_dot(monkeypatch):
    picture = depends_on_picture([_ks("apps", ["infra"]), _ks("infra")])
    assert repr(picture) == picture.text
    assert "<svg" in picture._repr_mimebundle_()["image/svg+xml"]

    def no_dot(*args, **kwargs):
        raise graphviz.ExecutableNotFound(("dot",))

    monkeypatch.setattr(graphviz.Digraph, "pipe", no_dot)
    assert picture._repr_mimebundle_() == {"text/plain": picture.text}
