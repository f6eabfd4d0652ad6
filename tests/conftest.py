"""Shared pytest configuration: the lab-cluster fixtures come from workshop.testing."""

pytest_plugins = ["workshop.testing"]
