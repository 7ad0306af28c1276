"""Shared type aliases."""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

Code: TypeAlias = str
"""A region code (ISO3 or a group code such as ``EU27``) or a sector code."""

Codes: TypeAlias = tuple[str, ...]
"""Ordered codes labelling one axis of an array."""

ModelName: TypeAlias = Literal["caliendo-parro", "ilms2025"]
"""The built-in models' names, as scenario files, world folders and ``--model`` write them."""

MODEL_NAMES: tuple[str, ...] = get_args(ModelName)
"""The built-in models, the default (``caliendo-parro``) first."""
