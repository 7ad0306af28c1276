"""Uniform tariffs from the sufficient-statistics formula of Lashkaripour (2021).

In a multi-sector model without input-output links, a country's optimal uniform tariff
satisfies (Lashkaripour 2021, "The cost of a global tariff war: a sufficient
statistics approach", Journal of International Economics 131, eq. 14; the formula the
MATLAB package tariffwar solves)

    t_n = 1 / Σ_s ε_s Σ_{i≠n} χ_ni,s (1 − λ_ni,s),

where χ_ni,s is the share of n's exports (at world prices, net of tariffs) that go to
i in sector s, λ_ni,s is n's share of i's spending on sector s and ε_s the sector's
trade elasticity, all at the equilibrium under the tariffs themselves.  The right-hand
side is n's inverse export-supply elasticity.  Solving it for every player at once is
a fixed point in the tariffs, found here by a quasi-Newton method: the exact Jacobian
(the implicit derivative of the equilibrium solve) at the start, Broyden's update
after each step, the exact one again when a step fails.

The formula is a first-order condition that holds the partners' spending shares'
responses to their first order; it is not the exact optimum of the model, whose best
responses lie a few points above it (docs/numerics.md#sufficient-statistics).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from truce.errors import NonConvergenceError
from truce.games.economy import Economy, finite_derivative, unsolved_at
from truce.games.plan import TariffPlan

#: Newton steps before giving up.
MAX_STEPS = 40
#: Largest change of any rate in one step.
MAX_RATE_STEP = 0.5


def inverse_export_supply(
    flow_sni: Float[Array, "s n i"], share_sni: Float[Array, "s n i"], theta_s: Float[Array, " s"]
) -> Float[Array, " n"]:
    """Σ_s ε_s Σ_{i≠n} χ_ni,s (1 − λ_ni,s) for every region n (the exporter), from the
    purchases ``flow_sni`` and spending shares ``share_sni`` ``[sector, importer,
    exporter]``."""
    foreign = 1.0 - jnp.eye(flow_sni.shape[1])
    sales = flow_sni * foreign[None, :, :]
    weighted = (theta_s[:, None, None] * sales * (1.0 - share_sni)).sum(axis=(0, 1))
    return weighted / jnp.maximum(sales.sum(axis=(0, 1)), 1e-300)


def check_formula_applies(economy: Economy, plan: TariffPlan) -> None:
    """Raise ValueError unless the formula describes the game: one uniform rate per
    player on every other region, in a model with bilateral spending shares."""
    if economy.trade is None:
        raise ValueError(
            f"the sufficient-statistics formula needs bilateral spending shares, which the "
            f"{economy.model} model does not have"
        )
    if not plan.uniform:
        raise ValueError("the sufficient-statistics formula gives one uniform rate per player")
    narrow = [
        p
        for p, targets in zip(plan.players, plan.targets, strict=True)
        if len(targets) != len(plan.regions) - 1
    ]
    if narrow:
        raise ValueError(
            "the sufficient-statistics formula is a tariff on every other region; "
            f"{', '.join(narrow)} tax only the other players (play with everyone)"
        )


@dataclass(frozen=True)
class FormulaOutcome:
    """Rates that solve the formula for every player."""

    rates: np.ndarray
    """``[player, 1]``."""
    steps: int
    evaluations: int
    """Equilibrium solves (with or without the Jacobian)."""
    gap: float
    """Largest |t − formula(t)| at ``rates``."""
    jacobian: np.ndarray
    """The gap's Jacobian in the rates, ``[player, player]``: exact at ``rates`` when
    asked for, else exact at the last point it was taken, with Broyden's updates since."""


class _Formula:
    """The formula's gap t − clip(1/S(t)) and its Jacobian, compiled."""

    def __init__(self, economy: Economy, plan: TariffPlan) -> None:
        assert economy.trade is not None and economy.theta_s is not None
        trade, theta = economy.trade, jnp.asarray(economy.theta_s)
        base = jnp.asarray(economy.base_tariffs)
        rows = jnp.asarray([plan.regions.index(p) for p in plan.players])
        top = plan.max_tariff
        self.model = economy.model

        def gap(rates):
            flow, share, converged, residual = trade(plan.tariffs(base, rates))
            formula = 1.0 / jnp.maximum(inverse_export_supply(flow, share, theta)[rows], 1e-12)
            value = rates[:, 0] - jnp.clip(formula, 0.0, top)
            return value, (value, converged, residual)

        self._with_jacobian = jax.jit(jax.jacfwd(gap, has_aux=True))
        self._value = jax.jit(gap)

    def __call__(self, rates: np.ndarray, *, jacobian: bool):
        """The gap at ``rates`` and, with ``jacobian``, its Jacobian."""
        if jacobian:
            jac, (value, converged, residual) = self._with_jacobian(jnp.asarray(rates))
            jac = np.asarray(jac)[:, :, 0]
        else:
            _, (value, converged, residual) = self._value(jnp.asarray(rates))
            jac = None
        if not bool(converged):
            raise unsolved_at(self.model, rates, float(residual))
        if jac is not None:
            jac = finite_derivative(jac, self.model, rates)
        return np.asarray(value), jac


@lru_cache(maxsize=8)
def _formula_of(economy: Economy, plan: TariffPlan) -> _Formula:
    return _Formula(economy, plan)


def formula_tariffs(
    economy: Economy,
    plan: TariffPlan,
    start: np.ndarray,
    *,
    tol: float,
    progress: Callable[[int, float], None] | None = None,
    exact_jacobian: bool = False,
) -> FormulaOutcome:
    """Every player's uniform rate solving the formula (to ``tol``), by Newton's method
    from ``start`` (``[player, 1]``); with ``exact_jacobian`` the outcome's Jacobian is
    taken exactly at its rates.  Raises ValueError when the formula does not describe the
    game (:func:`check_formula_applies`) and :class:`NonConvergenceError` when the steps
    fail."""
    check_formula_applies(economy, plan)
    formula = _formula_of(economy, plan)
    rates = np.clip(np.asarray(start, dtype=np.float64), 0.0, plan.max_tariff)
    value, jac = formula(rates, jacobian=True)
    evaluations, fresh = 1, True
    for step in range(MAX_STEPS + 1):
        gap = float(np.max(np.abs(value)))
        if step and progress is not None:
            progress(step, gap)
        if gap <= tol:
            if exact_jacobian and not fresh:
                _, jac = formula(rates, jacobian=True)
                evaluations += 1
            return FormulaOutcome(rates, step, evaluations, gap, jac)
        if step == MAX_STEPS:
            break
        length = 1.0
        for _ in range(20):
            direction = -np.linalg.solve(jac, value)
            direction *= min(1.0, MAX_RATE_STEP / max(float(np.max(np.abs(direction))), 1e-300))
            trial = rates + length * direction[:, None]
            t_value, _ = formula(trial, jacobian=False)
            evaluations += 1
            if np.linalg.norm(t_value) < np.linalg.norm(value):
                break
            if fresh:
                length *= 0.5
            else:  # the updated Jacobian misled: take it exactly, and step again
                _, jac = formula(rates, jacobian=True)
                evaluations, fresh = evaluations + 1, True
        else:
            break
        s, y = (trial - rates)[:, 0], t_value - value
        jac = jac + np.outer(y - jac @ s, s) / float(s @ s)  # Broyden's update
        rates, value, fresh = trial, t_value, False
    raise NonConvergenceError(
        f"the sufficient-statistics formula is not solved after {step} Newton steps "
        f"(largest gap {gap:.3g}, tolerance {tol:.1g})",
        iterations=step,
        residual=gap,
    )
