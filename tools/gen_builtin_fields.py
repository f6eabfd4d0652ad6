"""Generate workshop/cluster/embedded/builtin_fields.json: the fields of every model of the official client.

The embedded server checks and prunes built-in kinds' fields against the `kubernetes` client's models
(workshop/cluster/embedded/builtin_fields.py). Importing those models builds ~850 pydantic classes (about a
second, paid again by every process on its first Deployment); this table holds the same facts and loads in
milliseconds. Regenerate it after upgrading the `kubernetes` package (a test compares it with the installed models):

    python tools/gen_builtin_fields.py > workshop/cluster/embedded/builtin_fields.json

Format: {"client": "<kubernetes package version>", "models": {"<class>": {"<JSON field>": "<client type>"}}},
types as the client writes them (`str`, `int`, `List[V1Container]`, `Dict[str, str]`, …).
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from typing import Any


def model_table() -> dict[str, Any]:
    """The table, read from the installed client's models."""
    import kubernetes.client.models as models

    table: dict[str, dict[str, str]] = {}
    for name in sorted(dir(models)):
        cls = getattr(models, name, None)
        if isinstance(cls, type) and hasattr(cls, "openapi_types") and hasattr(cls, "attribute_map"):
            table[name] = {cls.attribute_map[attr]: type_ for attr, type_ in cls.openapi_types.items()}
    return {"client": version("kubernetes"), "models": table}


def main() -> None:
    json.dump(model_table(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
