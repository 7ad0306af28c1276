"""Welfare as a differentiable function of the tariffs, for either model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import equinox as eqx
import numpy as np
from jaxtyping import Array, Bool, Float

from truce.model import ilms

Evaluate = Callable[[Array], tuple[Array, Array, Array]]
"""``evaluate(tau_sni) -> (welfare_pct [n], converged, residual)``; differentiable in
``tau_sni`` (through the implicit derivative of the model's solve) and jit-compatible."""


@dataclass(frozen=True, eq=False)
class Economy:
    """A world under one model, seen as the map from tariffs to each region's welfare."""

    model: str
    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    base_tariffs: np.ndarray
    """The world's tariffs ``[sector, importer, exporter]``."""
    evaluate: Evaluate


def ilms_economy(
    regions: tuple[str, ...],
    sector: str,
    data: ilms.IlmsData,
    params: ilms.Params,
    *,
    rebate: str = ilms.INCOME_TAX,
    start_inverse: Array | None = None,
) -> Economy:
    """The ``ilms2025`` model on one-sector base data (no tariffs in the base)."""

    def evaluate(tau_sni: Array) -> tuple[Array, Bool[Array, ""], Float[Array, ""]]:
        eq = ilms.outcomes(data, tau_sni[0].T, params, rebate=rebate, start_inverse=start_inverse)
        return eq.welfare_pct, eq.converged, eq.residual

    n = len(regions)
    return Economy("ilms2025", regions, (sector,), np.zeros((1, n, n)), evaluate)


def cp_economy(baseline, shock) -> Economy:
    """The ``caliendo-parro`` model on ``baseline``; ``shock`` holds every policy other
    than the tariffs the game sets (its tariffs are the base of the game)."""
    from truce.model.solve import solve_differentiable
    from truce.model.welfare import region_outcomes

    def evaluate(tau_sni: Array) -> tuple[Array, Bool[Array, ""], Float[Array, ""]]:
        played = eqx.tree_at(lambda sh: sh.tau_sni, shock, tau_sni)
        eq = solve_differentiable(baseline, played)
        welfare = 100.0 * (region_outcomes(baseline, played, eq).welfare_n - 1.0)
        return welfare, eq.converged, eq.residual

    return Economy(
        "caliendo-parro",
        tuple(baseline.regions),
        tuple(baseline.sectors),
        np.asarray(shock.tau_sni, dtype=np.float64),
        evaluate,
    )
