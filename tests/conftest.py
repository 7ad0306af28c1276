"""Shared test settings: float64 and strict array semantics."""

import jax

import truce  # noqa: F401  (enables float64)

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")
