"""Shared type aliases, and the defaults every layer (and the command line's options)
reads without importing the numerics."""

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

ElasticityChoice: TypeAlias = Literal[
    "is", "u4", "cp", "bsy", "gyy", "shapiro", "fontagne", "ll", "median"
]
"""The trade-elasticity sources a world is built with: eight published ones and their
per-sector median."""

ELASTICITY_CHOICES: tuple[str, ...] = get_args(ElasticityChoice)

DEFAULT_ELASTICITIES: ElasticityChoice = "median"
"""The default world's elasticities: why the median, in README.md ("Which elasticities")."""

DEFAULT_MAX_STEPS = 200
"""Default cap on the equilibrium solve's outer iterations."""

MAX_TARIFF = 2.0
"""The highest tariff a player of a tariff game may choose: 200%, above every rate of the
2025 war (the US 145% of April 2025) and the 108% escalation; the models' solves are not
reliable far beyond it (a 500% US tariff on every import does not converge in
ilms2025)."""

DEFAULT_PLAYERS: tuple[str, ...] = ("USA", "CHN")
"""The players of a tariff game when none are named."""

GRADIENT_TOL = 1e-5
"""A tariff game's players are at their optimum when the projected gradient of each
one's welfare is below this (welfare % per unit of tariff)."""
