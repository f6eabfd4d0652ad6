"""The built-in kinds' field table (builtin_fields.json) the embedded server checks objects against."""

from __future__ import annotations

import importlib.util
import json
import sys
from importlib.metadata import version
from pathlib import Path

from workshop.cluster.embedded.builtin_fields import DICT_TYPE, LIST_TYPE, PRIMITIVES, TABLE, model_fields
from workshop.cluster.embedded.resources import Registry

ROOT = Path(__file__).resolve().parents[3]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_builtin_fields", ROOT / "tools" / "gen_builtin_fields.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _referenced(type_: str) -> list[str]:
    for pattern in (LIST_TYPE, DICT_TYPE):
        m = pattern.match(type_)
        if m:
            return _referenced(m.group(1))
    return [] if type_ in PRIMITIVES or type_ == "object" else [type_]


def test_every_served_kind_and_every_model_it_references_is_in_the_table() -> None:
    todo = [info.model for info in Registry().all() if info.crd is None and info.model]
    assert "V1Deployment" in todo and "V1ConfigMap" in todo
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        fields = model_fields(name)
        assert fields is not None, f"{name} is missing from {TABLE.name}: run tools/gen_builtin_fields.py"
        todo.extend(ref for type_ in fields.values() for ref in _referenced(type_))
    assert model_fields("V1PodSpec")["containers"] == "List[V1Container]"  # type: ignore[index]
    assert model_fields("V1ObjectMeta")["labels"] == "Dict[str, str]"  # type: ignore[index]


def test_the_table_is_what_the_generator_reads_from_the_client_it_was_made_with() -> None:
    recorded = json.loads(TABLE.read_text())
    if recorded["client"] != version("kubernetes"):
        # another client release: the table stays the lab cluster's schema; it must still be a complete, valid table
        assert len(recorded["models"]) > 500
        return
    assert _generator().model_table() == recorded
