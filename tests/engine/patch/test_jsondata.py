import json

from engine.patch.jsondata import clone


def test_clone_is_a_deep_copy_that_keeps_key_order() -> None:
    original = {"b": [1, {"x": [True, None]}, []], "a": {"z": 1.5, "y": {}}, "c": "s"}
    copied = clone(original)
    assert json.dumps(copied) == json.dumps(original)
    copied["b"][1]["x"].append(2)
    copied["a"]["y"]["new"] = 1
    copied["b"][2].append(0)
    assert original == {"b": [1, {"x": [True, None]}, []], "a": {"z": 1.5, "y": {}}, "c": "s"}
