"""Solving for the counterfactual equilibrium: one jitted, bounded solve.

The unknowns are the log wage changes of the regions.  For given wages the price
indices and the spending levels are inner fixed points (both contractions), so the
outer problem is small: one equation per region, labour-market clearing, with the
numeraire (world factor income unchanged) folded in.  The outer solver is Newton's
method with Broyden updates between Jacobian refreshes: the exact Jacobian (forward-mode
through the inner fixed points) is computed at the start and again only when a Broyden
step fails to reduce the residual; steps are capped in length and halved on failure.
The inner fixed points are warm-started from the last outer iterate, so late outer
steps cost a few inner passes each.

The outcome (converged, iterations, residual) is part of the returned value; the
Python wrapper raises :class:`~truce.errors.NonConvergenceError` when asked to.
"""

from __future__ import annotations

from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from truce.errors import NonConvergenceError
from truce.model.baseline import Baseline, Shock
from truce.model.equations import (
    deficit_level_n,
    labour_excess_n,
    log_price_index_sn,
    log_unit_cost_sn,
    solve_prices,
    solve_spending,
    spending_step,
    trade_shares_sni,
    weighted_shares_sni,
)

#: Default tolerance on every equilibrium condition, relative to world factor income
#: (market clearing) or in logs (price indices).
DEFAULT_TOL = 1e-12
#: Default cap on outer iterations.
DEFAULT_MAX_STEPS = 200
#: Largest change in any log wage taken in one outer step.
MAX_LOG_STEP = 0.5


class Equilibrium(eqx.Module):
    """A solved counterfactual equilibrium, in levels and changes, with solver statistics."""

    w_hat_n: Float[Array, " n"]
    """Change in factor income per unit of factor."""
    P_hat_sn: Float[Array, "s n"]
    """Change in sector price indices."""
    c_hat_sn: Float[Array, "s n"]
    """Change in unit costs of input bundles."""
    pi_sni: Float[Array, "s n i"]
    """Counterfactual expenditure shares."""
    X_sn: Float[Array, "s n"]
    """Counterfactual absorption, tariffs included."""
    flow_sni: Float[Array, "s n i"]
    """Counterfactual purchases at world prices."""
    income_n: Float[Array, " n"]
    """Counterfactual final spending: factor income + tariff revenue + deficit."""
    tariff_revenue_n: Float[Array, " n"]
    """Counterfactual tariff revenue."""
    converged: Bool[Array, ""]
    iterations: Int[Array, ""]
    """Outer iterations taken."""
    jacobians: Int[Array, ""]
    """Exact Jacobians computed (the first one included)."""
    residual: Float[Array, ""]
    """Largest violation of any equilibrium condition at the returned point."""


def _numeraire_gap(baseline, numeraire_n, w):
    """Zero when the numeraire basket of factor incomes is worth what it was."""
    return (w * numeraire_n).sum() / numeraire_n.sum() - 1.0


def _outer_residual(baseline, shock, numeraire_n, A_sni, log_w, log_P0, X0):
    """Labour-market residual (numeraire folded in) and the inner solutions behind it.

    Labour-market excesses sum to zero over regions (Walras), so adding each region's
    share of world factor income times the numeraire gap gives a square system whose
    root clears every market and fixes the numeraire.
    """
    log_P = solve_prices(baseline, A_sni, log_w, log_P0)
    log_c = log_unit_cost_sn(baseline, log_w, log_P)
    pi = trade_shares_sni(baseline, A_sni, log_c, log_P)
    w = jnp.exp(log_w)
    X = solve_spending(baseline, shock, w, pi, X0)
    share_n = baseline.va_n / baseline.va_n.sum()
    gap = _numeraire_gap(baseline, numeraire_n, w)
    f = labour_excess_n(baseline, shock, w, pi, X) + share_n * gap
    return f, (log_P, X)


def _max_abs(x):
    return jnp.max(jnp.abs(x))


@partial(jax.jit, static_argnames=("max_steps",))
def _solve(
    baseline: Baseline, shock: Shock, numeraire_n: Array, tol: float, max_steps: int
) -> Equilibrium:
    A_sni = weighted_shares_sni(baseline, shock)
    n = baseline.va_n.shape[0]

    def residual(log_w, log_P0, X0):
        return _outer_residual(baseline, shock, numeraire_n, A_sni, log_w, log_P0, X0)

    def refresh(s):
        # The exact Jacobian, with the residual and inner solutions as by-products.
        def with_aux(x):
            f, inner = residual(x, s["log_P"], s["X"])
            return f, (f, inner)

        jac, (f, (log_P, X)) = jax.jacfwd(with_aux, has_aux=True)(s["log_w"])
        return dict(
            s,
            f=f,
            log_P=log_P,
            X=X,
            J_inv=jnp.linalg.inv(jac),
            stale=jnp.asarray(False),
            fresh=jnp.asarray(True),
            damping=jnp.asarray(1.0),
            jacobians=s["jacobians"] + 1,
        )

    def attempt(s):
        dx = -s["J_inv"] @ s["f"]
        dx = dx * jnp.minimum(1.0, MAX_LOG_STEP / jnp.maximum(_max_abs(dx), 1e-300))
        dx = dx * s["damping"]
        f_new, (log_P_new, X_new) = residual(s["log_w"] + dx, s["log_P"], s["X"])
        improved = jnp.all(jnp.isfinite(f_new)) & (jnp.linalg.norm(f_new) < jnp.linalg.norm(s["f"]))
        # Good Broyden update of the inverse Jacobian (Sherman-Morrison).
        df = f_new - s["f"]
        J_inv_df = s["J_inv"] @ df
        denom = dx @ J_inv_df
        safe = jnp.abs(denom) > 1e-300
        update = jnp.outer(dx - J_inv_df, dx @ s["J_inv"]) / jnp.where(safe, denom, 1.0)
        accepted = dict(
            s,
            log_w=s["log_w"] + dx,
            f=f_new,
            log_P=log_P_new,
            X=X_new,
            J_inv=jnp.where(safe, s["J_inv"] + update, s["J_inv"]),
            fresh=jnp.asarray(False),
            damping=jnp.minimum(1.0, 2.0 * s["damping"]),
        )
        # On failure a stale Jacobian is refreshed (next iteration); a fresh one that
        # still fails gets a shorter step.
        rejected = dict(
            s,
            damping=jnp.where(s["fresh"], 0.5 * s["damping"], s["damping"]),
            stale=~s["fresh"],
        )
        return jax.tree.map(lambda a, r: jnp.where(improved, a, r), accepted, rejected)

    def keep_going(s):
        converged = _max_abs(s["f"]) <= tol
        return (~converged | s["stale"]) & (s["step"] < max_steps) & (s["damping"] > 1e-6)

    def body(s):
        s = jax.lax.cond(s["stale"], refresh, attempt, s)
        return dict(s, step=s["step"] + 1)

    init = dict(
        log_w=jnp.zeros(n),
        f=jnp.full(n, jnp.inf),
        log_P=jnp.zeros_like(baseline.X_sn),
        X=baseline.X_sn,
        J_inv=jnp.eye(n),
        stale=jnp.asarray(True),
        fresh=jnp.asarray(False),
        damping=jnp.asarray(1.0),
        step=jnp.asarray(0),
        jacobians=jnp.asarray(0),
    )
    s = jax.lax.while_loop(keep_going, body, init)

    # Evaluate every condition at the returned point, independently of the loop's test.
    log_w, log_P, X = s["log_w"], s["log_P"], s["X"]
    w = jnp.exp(log_w)
    log_c = log_unit_cost_sn(baseline, log_w, log_P)
    pi = trade_shares_sni(baseline, A_sni, log_c, log_P)
    buy_sni = pi / (1.0 + shock.tau_sni)
    revenue_rate_sn = (buy_sni * shock.tau_sni).sum(axis=2)
    price_gap = _max_abs(log_price_index_sn(baseline, A_sni, log_c) - log_P)
    spending_gap = (
        _max_abs(spending_step(baseline, shock, w, buy_sni, revenue_rate_sn, X) - X)
        / baseline.va_n.sum()
    )
    labour_gap = _max_abs(labour_excess_n(baseline, shock, w, pi, X))
    numeraire_gap = jnp.abs(_numeraire_gap(baseline, numeraire_n, w))
    residual_value = jnp.max(jnp.stack([price_gap, spending_gap, labour_gap, numeraire_gap]))
    residual_value = jnp.where(jnp.isfinite(residual_value), residual_value, jnp.inf)

    flow = buy_sni * X[:, :, None]
    revenue = (flow * shock.tau_sni).sum(axis=(0, 2))
    return Equilibrium(
        w_hat_n=w,
        P_hat_sn=jnp.exp(log_P),
        c_hat_sn=jnp.exp(log_c),
        pi_sni=pi,
        X_sn=X,
        flow_sni=flow,
        income_n=w * baseline.va_n + revenue + deficit_level_n(baseline, shock, w),
        tariff_revenue_n=revenue,
        converged=(residual_value <= 10.0 * tol) & (s["step"] < max_steps),
        iterations=s["step"],
        jacobians=s["jacobians"],
        residual=residual_value,
    )


def solve(
    baseline: Baseline,
    shock: Shock,
    *,
    tol: float = DEFAULT_TOL,
    max_steps: int = DEFAULT_MAX_STEPS,
    numeraire_n: Array | None = None,
    throw: bool = True,
) -> Equilibrium:
    """Solve the counterfactual equilibrium of ``baseline`` under ``shock``.

    The numeraire is world factor income unless ``numeraire_n`` gives other weights on
    the regions' factor incomes; real results do not depend on it.  Returns the
    :class:`Equilibrium` with its solver statistics.  With ``throw=True``
    (the default) a solve that hits ``max_steps``, stalls, or leaves any equilibrium
    condition violated by more than ten times ``tol`` raises
    :class:`~truce.errors.NonConvergenceError` instead.
    """
    weights = baseline.va_n if numeraire_n is None else jnp.asarray(numeraire_n)
    eq = _solve(baseline, shock, weights, tol, max_steps)
    if throw and not bool(eq.converged):
        raise NonConvergenceError(
            f"the equilibrium solver did not converge: {int(eq.iterations)} iterations "
            f"(cap {max_steps}), largest residual {float(eq.residual):.3g} "
            f"(tolerance {10.0 * tol:.1g})",
            iterations=int(eq.iterations),
            residual=float(eq.residual),
        )
    return eq
