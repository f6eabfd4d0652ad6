"""Image automation: registry client, tag policies, marker setters and the update-automation commit."""

from engine.image.automation import AutomationError, UpdateRequest, run_update
from engine.image.policy import PolicyError, select_latest
from engine.image.reference import ImageRef, parse_image
from engine.image.scan import ScanResult, scan_repository
from engine.image.setters import UpdateResult, update_with_setters

__all__ = ["AutomationError", "ImageRef", "PolicyError", "ScanResult", "UpdateRequest", "UpdateResult",
           "parse_image", "run_update", "scan_repository", "select_latest", "update_with_setters"]
