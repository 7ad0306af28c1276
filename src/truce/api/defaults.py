"""The defaults the front ends show in their options, importable without the numerics
(the command line reads them before it knows whether anything will be solved)."""

from __future__ import annotations

from truce._types import (
    DEFAULT_ELASTICITIES,
    DEFAULT_MAX_STEPS,
    DEFAULT_PLAYERS,
    ELASTICITY_CHOICES,
    GRADIENT_TOL,
    MAX_TARIFF,
    MODEL_NAMES,
)

#: The built-in models (``--model``, ``options: {model: ...}``, world.toml ``model``).
MODELS: tuple[str, ...] = MODEL_NAMES
#: The default model: worlds and scenarios that name none run on it.
MODEL_NAME: str = MODEL_NAMES[0]

__all__ = [
    "DEFAULT_ELASTICITIES",
    "DEFAULT_MAX_STEPS",
    "DEFAULT_PLAYERS",
    "ELASTICITY_CHOICES",
    "GRADIENT_TOL",
    "MAX_TARIFF",
    "MODELS",
    "MODEL_NAME",
]
