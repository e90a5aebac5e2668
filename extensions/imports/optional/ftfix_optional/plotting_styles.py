"""Needs the same optional dependency through plotting: grouped into plotting's signal."""

from ftfix_optional import plotting  # noqa: F401
