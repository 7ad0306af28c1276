"""The Caliendo–Parro (2015) equilibrium conditions in changes, as pure functions.

Notation follows the paper: hats are ratios of counterfactual to baseline values; ``w``
is factor income per unit of factor, ``c`` the unit cost of a sector's input bundle,
``P`` the sector price index.  Every function here is pure JAX: no I/O, no printing.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, Float

from truce.model.baseline import Baseline, Shock
from truce.model.fixed_point import fixed_point

#: Inner fixed points stop when successive iterates differ by less than this (in logs
#: for prices, relative to world factor income for spending).
INNER_TOL = 1e-14
#: Hard caps on the inner fixed points; hitting one leaves a residual the outer check sees.
INNER_MAX_STEPS = 2000


def cost_factor_sni(baseline: Baseline, shock: Shock) -> Float[Array, "s n i"]:
    """Change in the buyer's price per unit of exporter cost: trade costs and tariffs."""
    return shock.cost_sni * (1.0 + shock.tau_sni) / (1.0 + baseline.tau_sni)


def weighted_shares_sni(baseline: Baseline, shock: Shock) -> Float[Array, "s n i"]:
    """Baseline shares scaled by the cost factor to the power −θ (zero flows stay zero)."""
    kappa = cost_factor_sni(baseline, shock)
    return jnp.where(
        baseline.pi_sni > 0,
        baseline.pi_sni * kappa ** (-baseline.theta_s[:, None, None]),
        0.0,
    )


def log_unit_cost_sn(
    baseline: Baseline, log_w_n: Float[Array, " n"], log_P_sn: Float[Array, "s n"]
) -> Float[Array, "s n"]:
    """log ĉ: value added at the wage change, inputs at their price-index changes."""
    inputs = jnp.einsum("nsk,kn->sn", baseline.gamma_io_nsk, log_P_sn)
    return baseline.gamma_va_sn * log_w_n[None, :] + inputs


def log_price_index_sn(
    baseline: Baseline, A_sni: Float[Array, "s n i"], log_c_sn: Float[Array, "s n"]
) -> Float[Array, "s n"]:
    """log P̂ from the CES price index; sectors a region does not buy stay at 0."""
    theta = baseline.theta_s[:, None]
    total = jnp.einsum("sni,si->sn", A_sni, jnp.exp(-theta * log_c_sn))
    buys = total > 0
    return jnp.where(buys, -jnp.log(jnp.where(buys, total, 1.0)) / theta, 0.0)


def solve_prices(
    baseline: Baseline,
    A_sni: Float[Array, "s n i"],
    log_w_n: Float[Array, " n"],
    log_P0_sn: Float[Array, "s n"],
) -> Float[Array, "s n"]:
    """Price indices given wages: a contraction in log P (modulus below one)."""

    def step(log_P, params):
        baseline, A_sni, log_w_n = params
        return log_price_index_sn(baseline, A_sni, log_unit_cost_sn(baseline, log_w_n, log_P))

    return fixed_point(step, log_P0_sn, (baseline, A_sni, log_w_n), INNER_TOL, INNER_MAX_STEPS)


def trade_shares_sni(
    baseline: Baseline,
    A_sni: Float[Array, "s n i"],
    log_c_sn: Float[Array, "s n"],
    log_P_sn: Float[Array, "s n"],
) -> Float[Array, "s n i"]:
    """Counterfactual expenditure shares π′."""
    theta = baseline.theta_s[:, None]
    return A_sni * jnp.exp(-theta * log_c_sn)[:, None, :] * jnp.exp(theta * log_P_sn)[:, :, None]


def deficit_level_n(
    baseline: Baseline, shock: Shock, w_n: Float[Array, " n"]
) -> Float[Array, " n"]:
    """Deficits held at their share of world factor income (the shock's levels are in
    units of the baseline's world factor income)."""
    return shock.deficit_n * (w_n * baseline.va_n).sum() / baseline.va_n.sum()


def spending_step(
    baseline: Baseline,
    shock: Shock,
    w_n: Float[Array, " n"],
    buy_sni: Float[Array, "s n i"],
    revenue_rate_sn: Float[Array, "s n"],
    X_sn: Float[Array, "s n"],
) -> Float[Array, "s n"]:
    """One pass of the goods-market condition X′ = intermediate use + α · income."""
    gross_sn = jnp.einsum("sni,sn->si", buy_sni, X_sn)
    income_n = (
        w_n * baseline.va_n
        + (revenue_rate_sn * X_sn).sum(axis=0)
        + deficit_level_n(baseline, shock, w_n)
    )
    intermediate_sn = jnp.einsum("nok,on->kn", baseline.gamma_io_nsk, gross_sn)
    return intermediate_sn + baseline.alpha_sn * income_n[None, :]


def solve_spending(
    baseline: Baseline,
    shock: Shock,
    w_n: Float[Array, " n"],
    pi_sni: Float[Array, "s n i"],
    X0_sn: Float[Array, "s n"],
) -> Float[Array, "s n"]:
    """Counterfactual absorption given prices: a linear fixed point solved by iteration."""
    scale = baseline.va_n.sum()

    def step(x_sn, params):
        # Iterate on spending over world factor income, so the tolerance is relative.
        baseline, shock, w_n, pi_sni = params
        buy_sni = pi_sni / (1.0 + shock.tau_sni)
        revenue_rate_sn = (buy_sni * shock.tau_sni).sum(axis=2)
        return spending_step(baseline, shock, w_n, buy_sni, revenue_rate_sn, x_sn * scale) / scale

    x = fixed_point(step, X0_sn / scale, (baseline, shock, w_n, pi_sni), INNER_TOL, INNER_MAX_STEPS)
    return x * scale


def labour_excess_n(
    baseline: Baseline,
    shock: Shock,
    w_n: Float[Array, " n"],
    pi_sni: Float[Array, "s n i"],
    X_sn: Float[Array, "s n"],
) -> Float[Array, " n"]:
    """Demand for each region's factors minus their income, over world factor income.

    Sums to zero over regions whenever world deficits sum to zero (Walras' law).
    """
    gross_sn = jnp.einsum("sni,sn->si", pi_sni / (1.0 + shock.tau_sni), X_sn)
    demand_n = (baseline.gamma_va_sn * gross_sn).sum(axis=0)
    return (demand_n - w_n * baseline.va_n) / baseline.va_n.sum()
