"""The Caliendo–Parro (2015) equilibrium conditions in changes, as pure functions.

Notation follows the paper: hats are ratios of counterfactual to baseline values; ``w``
is factor income per unit of factor, ``c`` the unit cost of a sector's input bundle,
``P`` the sector price index.  Policy enters through wedges between the exporter's
producer price and the buyer's price (docs/scenarios.md): the world price of a cell is the
producer price times the export factor (export taxes and cap equivalents), and the buyer
pays the world price times the import factor (one plus the tariff, less any purchase
subsidy).  Every function here is pure JAX: no I/O, no printing.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from truce.model.baseline import Baseline, Shock
from truce.model.fixed_point import fixed_point
from truce.model.technology import log_unit_cost_sn

#: Inner fixed points stop when successive iterates differ by less than this (in logs
#: for prices, relative to world factor income for spending).
INNER_TOL = 1e-14
#: Hard caps on the inner fixed points; hitting one leaves a residual the outer check sees.
INNER_MAX_STEPS = 2000


class Wedges(eqx.Module):
    """Policy wedges of every cell for given constraint equivalents."""

    log_kappa_sni: Float[Array, "s n i"]
    """log change of the buyer's price per unit of exporter cost."""
    import_factor_sni: Float[Array, "s n i"]
    """Buyer's price over the world price: (1 + tariff) × (1 − purchase subsidy)."""
    export_factor_sni: Float[Array, "s n i"]
    """World price over the producer price: (1 + export tax)(1 + cap equivalent)."""
    open_sni: Bool[Array, "s n i"]
    """False where a ban closes the cell."""


def policy_wedges(
    baseline: Baseline,
    shock: Shock,
    u_cap_k: Float[Array, " k"],
    v_floor_f: Float[Array, " f"],
    u_capacity_g: Float[Array, " g"] | None = None,
) -> Wedges:
    """Wedges for cap equivalents ``log(1 + e_cap) = u``, floor subsidies
    ``1 − exp(−v)`` (a share of the tariff-inclusive price paid by the importer's state)
    and capacity equivalents ``log(1 + e) = u`` on all of a producer's sales."""
    log_export = jnp.zeros_like(shock.tau_sni)
    if shock.export_tax_sni is not None:
        log_export = jnp.log1p(shock.export_tax_sni)
    if shock.cap_cells is not None:
        s, n, i = shock.cap_cells[:, 0], shock.cap_cells[:, 1], shock.cap_cells[:, 2]
        # A cell beyond the arrays is a padding dummy (truce.model.buckets): dropped.
        log_export = log_export.at[s, n, i].add(u_cap_k, mode="drop")
    if shock.capacity_cells is not None and u_capacity_g is not None:
        s, i = shock.capacity_cells[:, 0], shock.capacity_cells[:, 1]
        log_export = log_export.at[s, :, i].add(u_capacity_g[:, None], mode="drop")
    log_import = jnp.log1p(shock.tau_sni)
    if shock.floor_cells is not None:
        log_import = log_import - jnp.einsum("fsni,f->sni", shock.floor_cells, v_floor_f)
    open_sni = jnp.ones(shock.tau_sni.shape, dtype=bool)
    if shock.blocked_sni is not None:
        open_sni = ~shock.blocked_sni
    return Wedges(
        log_kappa_sni=jnp.log(shock.cost_sni)
        + log_export
        + log_import
        - jnp.log1p(baseline.tau_sni),
        import_factor_sni=jnp.exp(log_import),
        export_factor_sni=jnp.exp(log_export),
        open_sni=open_sni,
    )


def weighted_shares_sni(baseline: Baseline, wedges: Wedges) -> Float[Array, "s n i"]:
    """Baseline shares scaled by the cost factor to the power −θ (zero flows stay zero)."""
    live = (baseline.pi_sni > 0) & wedges.open_sni
    theta = baseline.theta_s[:, None, None]
    return jnp.where(live, baseline.pi_sni * jnp.exp(-theta * wedges.log_kappa_sni), 0.0)


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


class Flows(eqx.Module):
    """Counterfactual flows and the incomes they generate, for given shares and spending."""

    world_sni: Float[Array, "s n i"]
    """Purchases at world prices."""
    producer_sni: Float[Array, "s n i"]
    """The same purchases at the exporter's producer prices."""
    gross_sn: Float[Array, "s n"]
    """Gross output at producer prices."""
    tariff_revenue_n: Float[Array, " n"]
    subsidy_cost_n: Float[Array, " n"]
    """What purchase floors cost the importer's government."""
    export_revenue_n: Float[Array, " n"]
    """Export-tax revenue and cap rents accruing to the exporter."""


def flows(
    shock: Shock, wedges: Wedges, pi_sni: Float[Array, "s n i"], X_sn: Float[Array, "s n"]
) -> Flows:
    """Split spending into world-price and producer-price flows and wedge incomes."""
    world = pi_sni * X_sn[:, :, None] / wedges.import_factor_sni
    producer = world / wedges.export_factor_sni
    tariff = (shock.tau_sni * world).sum(axis=(0, 2))
    subsidy = ((1.0 + shock.tau_sni - wedges.import_factor_sni) * world).sum(axis=(0, 2))
    return Flows(
        world_sni=world,
        producer_sni=producer,
        gross_sn=producer.sum(axis=1),
        tariff_revenue_n=tariff,
        subsidy_cost_n=subsidy,
        export_revenue_n=(world - producer).sum(axis=(0, 1)),
    )


def income_n(
    baseline: Baseline, shock: Shock, w_n: Float[Array, " n"], f: Flows
) -> Float[Array, " n"]:
    """Final spending: factor income + tariffs − subsidies + export wedges + deficit."""
    return (
        w_n * baseline.va_n
        + f.tariff_revenue_n
        - f.subsidy_cost_n
        + f.export_revenue_n
        + deficit_level_n(baseline, shock, w_n)
    )


class SpendingCoefficients(eqx.Module):
    """Per unit of absorption X_sn: what each cell pays at world and producer prices,
    and the importer's net wedge revenue (tariffs less purchase subsidies); and the
    input cost shares at the current prices."""

    world_sni: Float[Array, "s n i"]
    producer_sni: Float[Array, "s n i"]
    import_revenue_sn: Float[Array, "s n"]
    gamma_io_nsk: Float[Array, "n s k"]


def spending_coefficients(
    wedges: Wedges, pi_sni: Float[Array, "s n i"], gamma_io_nsk: Float[Array, "n s k"]
) -> SpendingCoefficients:
    """Coefficients of the goods-market condition, fixed while prices are."""
    world = pi_sni / wedges.import_factor_sni
    return SpendingCoefficients(
        world_sni=world,
        producer_sni=world / wedges.export_factor_sni,
        import_revenue_sn=((wedges.import_factor_sni - 1.0) * world).sum(axis=2),
        gamma_io_nsk=gamma_io_nsk,
    )


def spending_step(
    baseline: Baseline,
    shock: Shock,
    coefficients: SpendingCoefficients,
    w_n: Float[Array, " n"],
    X_sn: Float[Array, "s n"],
) -> Float[Array, "s n"]:
    """One pass of the goods-market condition X′ = intermediate use + α · income."""
    gross_si = jnp.einsum("sni,sn->si", coefficients.producer_sni, X_sn)
    wedge_sni = coefficients.world_sni - coefficients.producer_sni
    export_revenue_i = jnp.einsum("sni,sn->i", wedge_sni, X_sn)
    income = (
        w_n * baseline.va_n
        + (coefficients.import_revenue_sn * X_sn).sum(axis=0)
        + export_revenue_i
        + deficit_level_n(baseline, shock, w_n)
    )
    intermediate_sn = jnp.einsum("nok,on->kn", coefficients.gamma_io_nsk, gross_si)
    return intermediate_sn + baseline.alpha_sn * income[None, :]


def solve_spending(
    baseline: Baseline,
    shock: Shock,
    wedges: Wedges,
    w_n: Float[Array, " n"],
    pi_sni: Float[Array, "s n i"],
    gamma_io_nsk: Float[Array, "n s k"],
    X0_sn: Float[Array, "s n"],
) -> Float[Array, "s n"]:
    """Counterfactual absorption given prices (and the input cost shares they imply):
    a linear fixed point solved by iteration."""
    scale = baseline.va_n.sum()

    def step(x_sn, params):
        # Iterate on spending over world factor income, so the tolerance is relative.
        baseline, shock, coefficients, w_n = params
        return spending_step(baseline, shock, coefficients, w_n, x_sn * scale) / scale

    params = (baseline, shock, spending_coefficients(wedges, pi_sni, gamma_io_nsk), w_n)
    return fixed_point(step, X0_sn / scale, params, INNER_TOL, INNER_MAX_STEPS) * scale


def labour_excess_n(
    baseline: Baseline, gamma_va_sn: Float[Array, "s n"], w_n: Float[Array, " n"], f: Flows
) -> Float[Array, " n"]:
    """Demand for each region's factors (at value-added shares ``gamma_va_sn``) minus
    their income, over world factor income.

    Sums to zero over regions whenever world deficits sum to zero (Walras' law).
    """
    demand_n = (gamma_va_sn * f.gross_sn).sum(axis=0)
    return (demand_n - w_n * baseline.va_n) / baseline.va_n.sum()


def fischer_burmeister(a: Array, b: Array) -> Array:
    """Zero iff a ≥ 0, b ≥ 0 and a·b = 0; smooth except at a = b = 0, where the
    derivative taken is that of a + b (finite, unlike the norm's)."""
    norm_sq = a * a + b * b
    positive = norm_sq > 0
    norm = jnp.where(positive, jnp.sqrt(jnp.where(positive, norm_sq, 1.0)), 0.0)
    return a + b - norm


def cap_quantity_k(
    baseline: Baseline, shock: Shock, f: Flows, c_hat_sn: Float[Array, "s n"]
) -> Float[Array, " k"]:
    """Capped cells' quantities relative to baseline: producer value over the unit-cost
    change, over the baseline value (zero-flow cells, and the padding dummies of
    :mod:`truce.model.buckets`, report zero)."""
    s, n, i = shock.cap_cells[:, 0], shock.cap_cells[:, 1], shock.cap_cells[:, 2]
    base = baseline.flow_sni.at[s, n, i].get(mode="fill", fill_value=0.0)
    producer = f.producer_sni.at[s, n, i].get(mode="fill", fill_value=0.0)
    quantity = producer / c_hat_sn.at[s, i].get(mode="fill", fill_value=1.0)
    return jnp.where(base > 0, quantity / jnp.where(base > 0, base, 1.0), 0.0)


def capacity_quantity_g(
    baseline: Baseline, shock: Shock, f: Flows, c_hat_sn: Float[Array, "s n"]
) -> Float[Array, " g"]:
    """Limited producers' output (every buyer) relative to baseline, in quantity (zero
    for the padding dummies of :mod:`truce.model.buckets`)."""
    s, i = shock.capacity_cells[:, 0], shock.capacity_cells[:, 1]
    base = baseline.flow_sni.at[s, :, i].get(mode="fill", fill_value=0.0).sum(axis=1)
    producer = f.producer_sni.at[s, :, i].get(mode="fill", fill_value=0.0).sum(axis=1)
    quantity = producer / c_hat_sn.at[s, i].get(mode="fill", fill_value=1.0)
    return jnp.where(base > 0, quantity / jnp.where(base > 0, base, 1.0), 0.0)


def floor_quantity_f(shock: Shock, f: Flows, c_hat_sn: Float[Array, "s n"]) -> Float[Array, " f"]:
    """Floors' covered purchases at baseline prices (world currency)."""
    at_base_prices = f.producer_sni / c_hat_sn[:, None, :]
    return jnp.einsum("fsni,sni->f", shock.floor_cells, at_base_prices)
