"""Welfare as a differentiable function of the tariffs, for any model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from truce.errors import NonConvergenceError
from truce.model.interface import Calibration, TradeModel, TradeOfTariffs, WelfareOfTariffs


@dataclass(frozen=True, eq=False)
class Economy:
    """A world under one model, seen as the map from tariffs to each region's welfare."""

    model: str
    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    base_tariffs: np.ndarray
    """The world's tariffs ``[sector, importer, exporter]``."""
    evaluate: WelfareOfTariffs
    """``evaluate(tau_sni) -> (welfare_pct [n], converged, residual)``; differentiable in
    ``tau_sni`` (through the implicit derivative of the model's solve) and
    jit-compatible."""
    trade: TradeOfTariffs | None = None
    """``trade(tau_sni) -> (flow_sni, share_sni, converged, residual)`` where the model
    has bilateral spending shares (for the sufficient-statistics formula)."""
    theta_s: np.ndarray | None = None
    """Each sector's trade elasticity."""


def unsolved_at(model: str, rates: np.ndarray, residual: float) -> NonConvergenceError:
    """The error for an equilibrium of ``model`` that did not converge at ``rates``."""
    return NonConvergenceError(
        f"the {model} equilibrium did not converge at tariffs "
        f"{np.round(np.asarray(rates), 6).tolist()} (residual {float(residual):.3g})",
        iterations=0,
        residual=float(residual),
    )


def finite_derivative(values: np.ndarray, model: str, rates: np.ndarray) -> np.ndarray:
    """``values``, derivatives of ``model``'s equilibrium at ``rates``; raises
    :class:`NonConvergenceError` when any is not finite (the implicit derivative's
    linear system singular, or its iterative solve not converged)."""
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise NonConvergenceError(
            f"the derivative of the {model} equilibrium is not finite at tariffs "
            f"{np.round(np.asarray(rates), 6).tolist()} (a singular or unsolved linear "
            "system)",
            iterations=0,
            residual=float("nan"),
        )
    return values


def model_economy(model: TradeModel, calibration: Calibration) -> Economy:
    """``model`` calibrated to a world (``calibration``), as a tariff game sees it: every
    policy but the tariffs held at the world's baseline."""
    baseline = calibration.baseline
    return Economy(
        model.name,
        tuple(baseline.regions),
        tuple(baseline.sectors),
        np.asarray(baseline.tau_sni, dtype=np.float64),
        model.welfare_of_tariffs(calibration),
        model.trade_of_tariffs(calibration),
        np.asarray(baseline.theta_s, dtype=np.float64),
    )
