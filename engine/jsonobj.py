"""`Obj`: a Kubernetes object (or any JSON object) as the API server sends it, a plain dict."""

from typing import Any

Obj = dict[str, Any]
