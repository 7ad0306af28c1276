"""Shared type aliases."""

from __future__ import annotations

from typing import TypeAlias

Code: TypeAlias = str
"""A region code (ISO3 or a group code such as ``EU27``) or a sector code."""

Codes: TypeAlias = tuple[str, ...]
"""Ordered codes labelling one axis of an array."""
