"""Solving for the counterfactual equilibrium: one jitted, bounded solve.

The unknowns are the log wage changes of the regions and, when the scenario has them,
the ad-valorem equivalents of export caps (log(1 + e) per capped cell) and of purchase
floors (−log(1 − s) per floor).  For given unknowns the price indices and the spending
levels are inner fixed points (both contractions), so the outer problem is small: one
labour-market equation per region, with the numeraire (world factor income unchanged)
folded in, and one Fischer–Burmeister equation per constraint, which is zero exactly
when the complementarity conditions hold (equivalent ≥ 0, quantity within its bound,
and one of the two slack).

The outer solver is Newton's method with Broyden updates (:mod:`truce.model.broyden`,
shared with the ``ilms2025`` model); its residual carries the inner fixed points'
solutions as warm starts, so late outer steps cost a few inner passes each.

The outcome (converged, iterations, residual) is part of the returned value; the
Python wrapper raises :class:`~truce.errors.NonConvergenceError` when asked to.

Derivatives.  The solution map is differentiable, in forward and reverse mode and to
second order, with respect to the shock's floating-point fields (tariffs, trade costs,
deficits, export taxes, cap shares and floor values) and the baseline's, by implicit
differentiation: the loop itself is never differentiated.  The outer unknowns z solve
F(z, θ) = 0 with the inner fixed points eliminated, so dz = −(∂F/∂z)⁻¹ ∂F/∂θ dθ at the
root (one dense LU of the m × m Jacobian, as in :func:`truce.model.ilms.solve_z`); ∂F is
taken through the inner fixed points, whose own derivatives are implicit too
(:mod:`truce.model.fixed_point`).  The returned price indices and spending carry the
implicit derivatives of their fixed points at the solution, so every field computed from
the solution (wages, prices, shares, flows, incomes, revenues, constraint equivalents)
is differentiable; the solver statistics carry no derivative, and a warm start
contributes none.  At a kink of a constraint (a cap or floor exactly at its bound with a
zero equivalent) there is no derivative; the one returned follows
:func:`~truce.model.equations.fischer_burmeister`'s convention.  Use
:func:`solve_differentiable` under ``jax.grad``/``jax.jit`` (it checks nothing in
Python), or :func:`solve` with ``throw=False``.
"""

from __future__ import annotations

from functools import partial
from typing import Any, no_type_check

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from truce._types import DEFAULT_MAX_STEPS
from truce.errors import NonConvergenceError
from truce.model.baseline import Baseline, Shock
from truce.model.blocked_jacobian import blocked_linearization
from truce.model.broyden import DENSE, newton_broyden
from truce.model.buckets import Padding, padded
from truce.model.continuation import solve_by_continuation
from truce.model.equations import (
    Flows,
    cap_quantity_k,
    capacity_quantity_g,
    fischer_burmeister,
    flows,
    income_n,
    labour_excess_n,
    log_price_index_sn,
    policy_wedges,
    solve_prices,
    solve_spending,
    spending_coefficients,
    spending_step,
    trade_shares_sni,
    weighted_shares_sni,
)
from truce.model.equations import floor_quantity_f as _floor_quantity
from truce.model.implicit import implicit_root
from truce.model.technology import Technology, technology

#: Default tolerance on every equilibrium condition, relative to world factor income
#: (market clearing) or in logs (price indices).
DEFAULT_TOL = 1e-12
#: Caps from which the loop's Jacobian is estimated by blocks
#: (:mod:`truce.model.blocked_jacobian`) rather than taken whole.
BLOCKED_CAPS = 256
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
    gamma_va_sn: Float[Array, "s n"]
    """Value-added share of gross output (the base's unless critical inputs move it)."""
    gamma_io_nsk: Float[Array, "n s s"]
    """Input cost shares (the base's unless critical inputs move them); the last axis
    is the input sector."""
    pi_sni: Float[Array, "s n i"]
    """Counterfactual expenditure shares."""
    X_sn: Float[Array, "s n"]
    """Counterfactual absorption, tariffs included."""
    flow_sni: Float[Array, "s n i"]
    """Counterfactual purchases at world prices."""
    producer_flow_sni: Float[Array, "s n i"]
    """The same purchases at the exporter's producer prices."""
    income_n: Float[Array, " n"]
    """Counterfactual final spending: factor income + tariff revenue − purchase
    subsidies + export-tax revenue and cap rents + deficit."""
    tariff_revenue_n: Float[Array, " n"]
    """Counterfactual tariff revenue."""
    subsidy_cost_n: Float[Array, " n"]
    """What purchase floors cost each importer's government."""
    export_revenue_n: Float[Array, " n"]
    """Export-tax revenue and cap rents of each exporter."""
    cap_rate_k: Float[Array, " k"]
    """Export-tax equivalent of each capped cell (0 when the cap does not bind)."""
    cap_quantity_k: Float[Array, " k"]
    """Each capped cell's quantity relative to its baseline."""
    floor_rate_f: Float[Array, " f"]
    """Import-subsidy equivalent of each floor: the share of the tariff-inclusive price
    paid by the importer's government (0 when the floor does not bind)."""
    floor_value_f: Float[Array, " f"]
    """Each floor's covered purchases at baseline prices."""
    capacity_rate_g: Float[Array, " g"]
    """Output-tax equivalent of each capacity limit (0 when it does not bind); its rent
    accrues to the producer."""
    capacity_quantity_g: Float[Array, " g"]
    """Each limited producer's output relative to its baseline, in quantity."""
    log_unknowns: Float[Array, " m"]
    """The solver's unknowns (log wages, cap and floor equivalents), for warm starts."""
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


class _Point(eqx.Module):
    """Everything the conditions need at one value of the unknowns."""

    log_w: Array
    wedges: object
    log_P: Array
    tech: Technology
    pi: Array
    X: Array
    flows: Flows


def _split(shock: Shock, z: Array, n: int) -> tuple[Array, Array, Array, Array]:
    """The unknowns by kind: log wages, cap, floor and capacity equivalents."""
    k, f = shock.n_caps, shock.n_floors
    return z[:n], z[n : n + k], z[n + k : n + k + f], z[n + k + f :]


def _evaluate(baseline, shock, z, log_P0, X0) -> _Point:
    """Solve the inner fixed points at the unknowns ``z`` (warm-started)."""
    log_w, u_cap, v_floor, u_capacity = _split(shock, z, baseline.va_n.shape[0])
    wedges = policy_wedges(baseline, shock, u_cap, v_floor, u_capacity)
    A_sni = weighted_shares_sni(baseline, wedges)
    log_P = solve_prices(baseline, A_sni, log_w, log_P0)
    tech = technology(baseline, log_w, log_P)
    pi = trade_shares_sni(baseline, A_sni, tech.log_c_sn, log_P)
    X = solve_spending(baseline, shock, wedges, jnp.exp(log_w), pi, tech.gamma_io_nsk, X0)
    return _Point(log_w, wedges, log_P, tech, pi, X, flows(shock, wedges, pi, X))


def _conditions(baseline, shock, numeraire_n, z, p: _Point) -> Array:
    """The outer equations: zero at an equilibrium.

    Labour-market excesses sum to zero over regions (Walras), so adding each region's
    share of world factor income times the numeraire gap gives a square system whose
    root clears every market and fixes the numeraire.  Each cap and floor adds a
    Fischer–Burmeister equation in its equivalent and its slack.
    """
    n = baseline.va_n.shape[0]
    _, u_cap, v_floor, u_capacity = _split(shock, z, n)
    w = jnp.exp(p.log_w)
    share_n = baseline.va_n / baseline.va_n.sum()
    parts = [
        labour_excess_n(baseline, p.tech.gamma_va_sn, w, p.flows)
        + share_n * _numeraire_gap(baseline, numeraire_n, w)
    ]
    c_hat = jnp.exp(p.tech.log_c_sn)
    if shock.n_caps:
        slack = shock.cap_share - cap_quantity_k(baseline, shock, p.flows, c_hat)
        parts.append(fischer_burmeister(u_cap, slack))
    if shock.n_floors:
        bought = _floor_quantity(shock, p.flows, c_hat)
        # |value|: a padding dummy's floor of -1 is slack (truce.model.buckets).
        slack = (bought - shock.floor_value) / jnp.abs(shock.floor_value)
        parts.append(fischer_burmeister(v_floor, slack))
    if shock.n_capacities:
        slack = shock.capacity_share - capacity_quantity_g(baseline, shock, p.flows, c_hat)
        parts.append(fischer_burmeister(u_capacity, slack))
    return jnp.concatenate(parts)


def _scaled(baseline, conditions: Array) -> Array:
    """The conditions as the Newton loop sees them: each labour market's excess
    relative to the region's own factor income rather than the world's, so that small
    economies weigh as much as large ones in the loop's test of progress (the root is
    the same; the test is stricter)."""
    n = baseline.va_n.shape[0]
    share_n = baseline.va_n / baseline.va_n.sum()
    return conditions.at[:n].divide(jnp.maximum(share_n, 1e-12))


def _max_abs(x):
    return jnp.max(jnp.abs(x))


# implicit_root requires a plain global function here (no wrapper): not type-checked at runtime.
@no_type_check
def _outer_primal(inputs: tuple) -> tuple[Array, tuple]:
    """The Newton–Broyden solve of the outer unknowns (never differentiated itself)."""
    baseline, shock, numeraire_n, start, tol, max_steps = inputs

    def residual(z, inner):
        point = _evaluate(baseline, shock, z, *inner)
        conditions = _conditions(baseline, shock, numeraire_n, z, point)
        return _scaled(baseline, conditions), (point.log_P, point.X)

    z0, log_P0, X0, inverse_jacobian = start
    n = baseline.va_n.shape[0]
    blocked = inverse_jacobian is None and shock.n_caps >= BLOCKED_CAPS
    s = newton_broyden(
        residual,
        z0,
        (log_P0, X0),
        tol=tol,
        max_steps=max_steps,
        max_step=MAX_LOG_STEP,
        inverse_jacobian=inverse_jacobian,
        linearization=(
            blocked_linearization(shock.cap_cells, n, baseline.X_sn.shape[0], n)
            if blocked
            else DENSE
        ),
    )
    return s.z, (s.aux, s.steps, s.jacobians)


# implicit_root requires a plain global function here (no wrapper): not type-checked at runtime.
@no_type_check
def _outer_rewrite(z: Array, residual: tuple, inputs: tuple) -> Array:
    """F(z, θ): the outer conditions with the inner fixed points solved (warm-started
    from the solution's, so one pass each), zero at the root."""
    baseline, shock, numeraire_n = inputs[:3]
    (log_P, X), _, _ = residual
    return _conditions(baseline, shock, numeraire_n, z, _evaluate(baseline, shock, z, log_P, X))


def _solve_outer(
    baseline: Baseline,
    shock: Shock,
    numeraire_n: Array,
    start: tuple[Array, Array, Array, Array | None],
    tol: float | Array,
    max_steps: int,
) -> tuple[Array, tuple]:
    """The root z with its implicit derivative, and the loop's (inner solutions, steps,
    Jacobians), which carry none."""
    inputs = (baseline, shock, numeraire_n, start, tol, max_steps)
    return implicit_root(_outer_primal, _outer_rewrite, inputs)


@partial(jax.custom_jvp, nondiff_argnums=(0,))
def _held(fn: Any, value: Array, params: Any) -> Array:
    """``value`` (already equal to ``fn(params)`` up to the solver's tolerance), with the
    derivative of ``fn`` at ``params``: the primal never evaluates ``fn``."""
    return value


@_held.defjvp
def _held_jvp(fn, primals, tangents):
    value, params = primals
    _, dparams = tangents
    again, dvalue = jax.jvp(fn, (params,), (dparams,))
    # ``value`` exactly, with the derivatives of ``fn`` under higher-order differentiation.
    return value + (again - jax.lax.stop_gradient(again)), dvalue


def _prices_from(params):
    baseline, A_sni, log_w, log_P0 = params
    return solve_prices(baseline, A_sni, log_w, jax.lax.stop_gradient(log_P0))


def _spending_from(params):
    baseline, shock, wedges, w, pi, gamma_io, X0 = params
    return solve_spending(baseline, shock, wedges, w, pi, gamma_io, jax.lax.stop_gradient(X0))


@partial(jax.jit, static_argnames=("max_steps",))
def _solve(
    baseline: Baseline,
    shock: Shock,
    numeraire_n: Array,
    start: tuple[Array, Array, Array, Array | None],
    tol: float | Float[Array, ""],
    max_steps: int,
) -> Equilibrium:
    z, ((log_P_loop, X_loop), steps, jacobians) = _solve_outer(
        baseline, shock, numeraire_n, start, tol, max_steps
    )

    # Evaluate every condition at the returned point, independently of the loop's test:
    # one more pass of each inner map must leave its solution where it is.  The inner
    # solutions are the loop's, with their fixed points' implicit derivatives attached.
    n = baseline.va_n.shape[0]
    log_w, u_cap, v_floor, u_capacity = _split(shock, z, n)
    wedges = policy_wedges(baseline, shock, u_cap, v_floor, u_capacity)
    A_sni = weighted_shares_sni(baseline, wedges)
    log_P = _held(_prices_from, log_P_loop, (baseline, A_sni, log_w, log_P_loop))
    w = jnp.exp(log_w)
    tech = technology(baseline, log_w, log_P)
    log_c = tech.log_c_sn
    pi = trade_shares_sni(baseline, A_sni, log_c, log_P)
    X = _held(_spending_from, X_loop, (baseline, shock, wedges, w, pi, tech.gamma_io_nsk, X_loop))
    f = flows(shock, wedges, pi, X)
    point = _Point(log_w, wedges, log_P, tech, pi, X, f)
    price_gap = _max_abs(log_price_index_sn(baseline, A_sni, log_c) - log_P)
    coefficients = spending_coefficients(wedges, pi, tech.gamma_io_nsk)
    spending_gap = (
        _max_abs(spending_step(baseline, shock, coefficients, w, X) - X) / baseline.va_n.sum()
    )
    outer_gap = _max_abs(_conditions(baseline, shock, numeraire_n, z, point))
    residual_value = jnp.max(jnp.stack([price_gap, spending_gap, outer_gap]))
    residual_value = jax.lax.stop_gradient(
        jnp.where(jnp.isfinite(residual_value), residual_value, jnp.inf)
    )

    c_hat = jnp.exp(log_c)
    caps = cap_quantity_k(baseline, shock, f, c_hat) if shock.n_caps else jnp.zeros(0)
    floors = _floor_quantity(shock, f, c_hat) if shock.n_floors else jnp.zeros(0)
    capacities = (
        capacity_quantity_g(baseline, shock, f, c_hat) if shock.n_capacities else jnp.zeros(0)
    )
    return Equilibrium(
        w_hat_n=w,
        P_hat_sn=jnp.exp(log_P),
        c_hat_sn=c_hat,
        gamma_va_sn=tech.gamma_va_sn,
        gamma_io_nsk=tech.gamma_io_nsk,
        pi_sni=pi,
        X_sn=X,
        flow_sni=f.world_sni,
        producer_flow_sni=f.producer_sni,
        income_n=income_n(baseline, shock, w, f),
        tariff_revenue_n=f.tariff_revenue_n,
        subsidy_cost_n=f.subsidy_cost_n,
        export_revenue_n=f.export_revenue_n,
        cap_rate_k=jnp.expm1(u_cap),
        cap_quantity_k=caps,
        floor_rate_f=-jnp.expm1(-v_floor),
        floor_value_f=floors,
        capacity_rate_g=jnp.expm1(u_capacity),
        capacity_quantity_g=capacities,
        log_unknowns=z,
        converged=(residual_value <= 10.0 * tol) & (steps < max_steps),
        iterations=steps,
        jacobians=jacobians,
        residual=residual_value,
    )


def _start(
    baseline: Baseline,
    shock: Shock,
    initial: Equilibrium | None,
    inverse_jacobian: Array | None = None,
) -> tuple[Array, Array, Array, Array | None]:
    """The solver's starting point: ``initial``'s solution where it fits, else no change;
    ``inverse_jacobian`` (used only with ``initial``) for its first steps."""
    m = baseline.va_n.shape[0] + shock.n_caps + shock.n_floors + shock.n_capacities
    if initial is not None and initial.log_unknowns.shape == (m,):
        return (initial.log_unknowns, jnp.log(initial.P_hat_sn), initial.X_sn, inverse_jacobian)
    return (jnp.zeros(m), jnp.zeros_like(baseline.X_sn), baseline.X_sn, None)


@jax.jit
def _inverse_jacobian(
    baseline: Baseline, shock: Shock, z: Array, log_P: Array, X: Array, weights: Array
) -> Float[Array, "m m"]:
    def conditions(z: Array) -> Array:
        point = _evaluate(baseline, shock, z, log_P, X)
        return _scaled(baseline, _conditions(baseline, shock, weights, z, point))

    return jnp.linalg.inv(jax.jacfwd(conditions)(z))


def inverse_jacobian_at(
    baseline: Baseline, shock: Shock, eq: Equilibrium, numeraire_n: Array | None = None
) -> Float[Array, "m m"]:
    """The inverse Jacobian of the outer conditions at the solution ``eq``: a start for
    the solves of nearby problems (the same shock under other elasticities), which then
    need no Jacobian of their own unless their Broyden steps stall."""
    weights = baseline.va_n if numeraire_n is None else jnp.asarray(numeraire_n)
    baseline, shock, padding = padded(baseline, shock)
    eq = _padded_equilibrium(padding, eq)
    inverse = _inverse_jacobian(
        baseline, shock, eq.log_unknowns, jnp.log(eq.P_hat_sn), eq.X_sn, weights
    )
    return padding.own_inverse(inverse)


def _padded_equilibrium(padding: Padding, eq: Equilibrium) -> Equilibrium:
    """The fields of a solution a warm start reads, in the padded layout: the unknowns
    (the dummies' at zero), the price indices (the empty sectors' at 1) and spending
    (at zero)."""
    if padding.trivial:
        return eq
    return eqx.tree_at(
        lambda e: (e.log_unknowns, e.P_hat_sn, e.X_sn),
        eq,
        (
            padding.unknowns(eq.log_unknowns),
            padding.more_sectors(eq.P_hat_sn, 0, 1.0),
            padding.more_sectors(eq.X_sn, 0, 0.0),
        ),
    )


def _padded_start(
    padding: Padding, initial: Equilibrium | None, inverse_jacobian: Array | None
) -> tuple[Equilibrium | None, Array | None]:
    """A warm start (and its inverse Jacobian) in the padded layout; one that does not
    fit the scenario's own unknowns and sectors is dropped, as :func:`_start` would."""
    fits = initial is not None and (
        initial.log_unknowns.shape == (padding.own_size,)
        and initial.P_hat_sn.shape[0] == padding.sectors[0]
    )
    if not fits:
        return None, None
    assert initial is not None
    if padding.trivial or inverse_jacobian is None:
        return _padded_equilibrium(padding, initial), inverse_jacobian
    return _padded_equilibrium(padding, initial), padding.inverse(inverse_jacobian)


def _own_equilibrium(padding: Padding, eq: Equilibrium) -> Equilibrium:
    """A solution in the padded layout with the dummies and the empty sectors left out."""
    if padding.trivial:
        return eq
    own, sectors = padding.own, padding.own_sectors
    return eqx.tree_at(
        lambda e: (
            e.P_hat_sn,
            e.c_hat_sn,
            e.gamma_va_sn,
            e.gamma_io_nsk,
            e.pi_sni,
            e.X_sn,
            e.flow_sni,
            e.producer_flow_sni,
            e.cap_rate_k,
            e.cap_quantity_k,
            e.floor_rate_f,
            e.floor_value_f,
            e.capacity_rate_g,
            e.capacity_quantity_g,
            e.log_unknowns,
        ),
        eq,
        (
            sectors(eq.P_hat_sn, 0),
            sectors(eq.c_hat_sn, 0),
            sectors(eq.gamma_va_sn, 0),
            sectors(eq.gamma_io_nsk, 1, 2),
            sectors(eq.pi_sni, 0),
            sectors(eq.X_sn, 0),
            sectors(eq.flow_sni, 0),
            sectors(eq.producer_flow_sni, 0),
            own(eq.cap_rate_k, 0),
            own(eq.cap_quantity_k, 0),
            own(eq.floor_rate_f, 1),
            own(eq.floor_value_f, 1),
            own(eq.capacity_rate_g, 2),
            own(eq.capacity_quantity_g, 2),
            padding.own_unknowns(eq.log_unknowns),
        ),
    )


def solve_differentiable(
    baseline: Baseline,
    shock: Shock,
    *,
    tol: float = DEFAULT_TOL,
    max_steps: int = DEFAULT_MAX_STEPS,
    numeraire_n: Float[ArrayLike, " n"] | None = None,
    initial: Equilibrium | None = None,
    inverse_jacobian: Float[Array, "m m"] | None = None,
) -> Equilibrium:
    """Solve as :func:`solve` does, without any check in Python: traceable under
    ``jax.jit``, ``jax.grad``, ``jax.jvp``, ``jax.jacfwd`` and ``jax.vmap``.

    The returned fields are differentiable with respect to ``shock`` and ``baseline`` by
    implicit differentiation at the solution (see the module docstring); the caller
    reads ``converged`` (a derivative at an unconverged point is meaningless).  The
    warm start ``initial`` changes neither the solution, beyond the tolerance, nor its
    derivative; nor does ``inverse_jacobian`` (:func:`inverse_jacobian_at` of a nearby
    solution), the first steps' inverse Jacobian from ``initial``.

    The base and shock are solved in their bucket's layout (:mod:`truce.model.buckets`),
    so that scenarios with different numbers of caps, floors and capacity limits, and
    worlds with a few more or fewer sectors, share one compiled solve; the returned
    equilibrium has the world's and the shock's own sizes.
    """
    weights = baseline.va_n if numeraire_n is None else jnp.asarray(numeraire_n)
    baseline, shock, padding = padded(baseline, shock)
    initial, inverse_jacobian = _padded_start(padding, initial, inverse_jacobian)
    start = _start(baseline, shock, initial, inverse_jacobian)
    eq = _solve(baseline, shock, weights, start, tol, max_steps)
    return _own_equilibrium(padding, eq)


def solve(
    baseline: Baseline,
    shock: Shock,
    *,
    tol: float = DEFAULT_TOL,
    max_steps: int = DEFAULT_MAX_STEPS,
    numeraire_n: Float[ArrayLike, " n"] | None = None,
    initial: Equilibrium | None = None,
    throw: bool = True,
    continuation: bool = True,
) -> Equilibrium:
    """Solve the counterfactual equilibrium of ``baseline`` under ``shock``.

    The numeraire is world factor income unless ``numeraire_n`` gives other weights on
    the regions' factor incomes; real results do not depend on it.  ``initial`` warm-
    starts the solver from another solution of the same world with the same kinds of
    constraints (a timeline's previous phase).  Returns the :class:`Equilibrium` with
    its solver statistics.  With ``throw=True`` (the default) a solve that hits
    ``max_steps``, stalls, or leaves any equilibrium condition violated by more than ten
    times ``tol`` raises :class:`~truce.errors.NonConvergenceError` instead (use
    ``throw=False``, or :func:`solve_differentiable`, under JAX transformations).

    When the direct solve fails and ``continuation`` is on, the shock is walked from
    the base in adaptive steps (:mod:`truce.model.continuation`); the returned
    statistics then count every solve along the way, and a failure reports the share
    of the shock that was solved.
    """

    def solve_at(this: Shock, start: Equilibrium | None) -> Equilibrium:
        return solve_differentiable(
            baseline, this, tol=tol, max_steps=max_steps, numeraire_n=numeraire_n, initial=start
        )

    eq = solve_at(shock, initial)
    path = None
    if continuation and not bool(eq.converged):
        direct = eq
        eq, path = solve_by_continuation(solve_at, baseline, shock)
        eq = eqx.tree_at(
            lambda e: (e.iterations, e.jacobians),
            eq,
            (
                jnp.asarray(path.iterations + int(direct.iterations)),
                jnp.asarray(path.jacobians + int(direct.jacobians)),
            ),
        )
    if throw and not bool(eq.converged):
        walked = (
            ""
            if path is None
            else f"; solved by continuation up to {100.0 * path.reached:.1f}% of the shock "
            f"(shortest step {100.0 * path.shortest:.2g}%, {path.solves} solves)"
        )
        raise NonConvergenceError(
            f"the equilibrium solver did not converge: {int(eq.iterations)} iterations "
            f"(cap {max_steps} per solve), largest residual {float(eq.residual):.3g} "
            f"(tolerance {10.0 * tol:.1g}){walked}",
            iterations=int(eq.iterations),
            residual=float(eq.residual),
            reached=None if path is None else path.reached,
        )
    return eq
