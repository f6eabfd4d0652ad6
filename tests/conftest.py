"""Shared pytest configuration; fixtures for lab clusters live in workshop.testing (registered below)."""
