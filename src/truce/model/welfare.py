"""Welfare, real wages, prices and the Caliendo–Parro (2015) welfare decomposition.

Welfare is real income: (factor income + tariff revenue + deficit) over the consumer
price index Π_s P_ns^α_ns, as in docs/results.md.  The decomposition is the one CP2015
print in their Table 2 (their eqs. 19–20 evaluated with baseline flows and the changes
x̂ − 1): a terms-of-trade effect, exports minus imports valued at the change in the
exporter's unit cost, and a volume-of-trade effect, the baseline tariff times the change
in each import flow net of the exporter's cost change.  Both are first-order, so their
sum approximates, but need not equal, the exact welfare change.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from truce.model.baseline import Baseline, Shock
from truce.model.solve import Equilibrium


class RegionOutcomes(eqx.Module):
    """Region-level results of a solved scenario, changes as ratios (1 = unchanged)."""

    welfare_n: Float[Array, " n"]
    real_wage_n: Float[Array, " n"]
    nominal_wage_n: Float[Array, " n"]
    price_index_n: Float[Array, " n"]
    tariff_revenue_n: Float[Array, " n"]
    """Counterfactual tariff revenue, in the world's currency."""
    exports_n: Float[Array, " n"]
    imports_n: Float[Array, " n"]
    terms_of_trade_n: Float[Array, " n"]
    """Terms-of-trade effect as a share of baseline income (0.01 = 1%)."""
    volume_of_trade_n: Float[Array, " n"]
    """Volume-of-trade effect as a share of baseline income."""


class _Changes(eqx.Module):
    """The fields of an :class:`Equilibrium` that region outcomes read."""

    w_hat_n: Float[Array, " n"]
    P_hat_sn: Float[Array, "s n"]
    c_hat_sn: Float[Array, "s n"]
    flow_sni: Float[Array, "s n i"]
    income_n: Float[Array, " n"]
    tariff_revenue_n: Float[Array, " n"]


def consumer_price_change_n(baseline: Baseline, eq: Equilibrium | _Changes) -> Float[Array, " n"]:
    """Change in the consumer price index Π_s P̂_ns^α_ns."""
    return jnp.exp((baseline.alpha_sn * jnp.log(eq.P_hat_sn)).sum(axis=0))


def _foreign(flow_sni: Float[Array, "s n i"]) -> Float[Array, "s n i"]:
    n = flow_sni.shape[1]
    return flow_sni * (1.0 - jnp.eye(n, dtype=flow_sni.dtype))[None, :, :]


def region_outcomes(baseline: Baseline, shock: Shock, eq: Equilibrium) -> RegionOutcomes:
    """Welfare, wages, prices, trade and the welfare decomposition for every region."""
    del shock  # the equilibrium already carries the counterfactual wedges' effects
    # Only the fields every equilibrium has the shape of: one compiled program serves
    # scenarios with any number of constraints.
    return _region_outcomes(
        baseline,
        _Changes(
            w_hat_n=eq.w_hat_n,
            P_hat_sn=eq.P_hat_sn,
            c_hat_sn=eq.c_hat_sn,
            flow_sni=eq.flow_sni,
            income_n=eq.income_n,
            tariff_revenue_n=eq.tariff_revenue_n,
        ),
    )


@eqx.filter_jit
def _region_outcomes(baseline: Baseline, eq: _Changes) -> RegionOutcomes:
    cpi = consumer_price_change_n(baseline, eq)
    income_hat = eq.income_n / baseline.income_n
    foreign_before = _foreign(baseline.flow_sni)
    foreign_after = _foreign(eq.flow_sni)

    cost_change_sn = eq.c_hat_sn - 1.0
    # Sales of region n to every buyer m (domestic included) and purchases of n from i.
    sales_value_n = (baseline.flow_sni * cost_change_sn[:, None, :]).sum(axis=(0, 1))
    purchase_value_n = (baseline.flow_sni * cost_change_sn[:, None, :]).sum(axis=(0, 2))
    terms_of_trade = (sales_value_n - purchase_value_n) / baseline.income_n

    has_flow = baseline.flow_sni > 0
    flow_change = jnp.where(
        has_flow, eq.flow_sni / jnp.where(has_flow, baseline.flow_sni, 1.0) - 1.0, 0.0
    )
    volume = baseline.tau_sni * baseline.flow_sni * (flow_change - cost_change_sn[:, None, :])
    volume_of_trade = volume.sum(axis=(0, 2)) / baseline.income_n

    return RegionOutcomes(
        welfare_n=income_hat / cpi,
        real_wage_n=eq.w_hat_n / cpi,
        nominal_wage_n=eq.w_hat_n,
        price_index_n=cpi,
        tariff_revenue_n=eq.tariff_revenue_n,
        exports_n=foreign_after.sum(axis=(0, 1)) / foreign_before.sum(axis=(0, 1)),
        imports_n=foreign_after.sum(axis=(0, 2)) / foreign_before.sum(axis=(0, 2)),
        terms_of_trade_n=terms_of_trade,
        volume_of_trade_n=volume_of_trade,
    )


def rebase(baseline: Baseline, shock: Shock, eq: Equilibrium) -> Baseline:
    """The solved equilibrium as a new baseline (for example the zero-deficit base),
    with the cost shares of the solution (they move only with critical inputs)."""
    return eqx.tree_at(
        lambda b: (
            b.flow_sni,
            b.tau_sni,
            b.X_sn,
            b.pi_sni,
            b.va_n,
            b.deficit_n,
            b.gamma_va_sn,
            b.gamma_io_nsk,
        ),
        baseline,
        (
            eq.flow_sni,
            shock.tau_sni,
            eq.X_sn,
            eq.pi_sni,
            eq.w_hat_n * baseline.va_n,
            shock.deficit_n,
            eq.gamma_va_sn,
            eq.gamma_io_nsk,
        ),
    )
