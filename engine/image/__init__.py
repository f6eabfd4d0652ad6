"""Image automation: registry client, tag policies, marker setters and the update-automation commit."""

from engine.image.policy import PolicyError, select_latest

__all__ = ["PolicyError", "select_latest"]
