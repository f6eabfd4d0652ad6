"""Where the kit's own conformance data lives: inside the repository, so a fresh clone tests itself.

`tests/data/conformance/kustomize` holds kustomize cases with the output `kubectl kustomize` v5.5.0 printed;
`tests/data/conformance/image-automation` holds image-automation-controller's test trees and policy cases.
"""

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
KUSTOMIZE_CORPUS = DATA / "conformance" / "kustomize"
IMAGE_AUTOMATION_CORPUS = DATA / "conformance" / "image-automation"
