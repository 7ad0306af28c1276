"""The ``ilms2025`` model: one sector, many countries, endogenous employment.

Ignatenko, Macedoni, Lashkaripour & Simonovska (2025), "Making America Great Again? The
Economic Impacts of Liberation Day Tariffs", J. Int. Econ.  The settings are fixed in
docs/models/ilms2025.md; this module holds the data construction, the calibration of the
local-distribution shares ν, the equilibrium in changes and its bounded Newton–Broyden solve.
The source files are read by :mod:`truce.data.sources.liberation_day`.

Notation (all arrays float64; flows indexed ``[exporter j, importer i]``):

- ``X_ji`` purchases by ``i`` from ``j`` at the exporter's price, domestic sales on the
  diagonal; ``E_i = Σ_j X_ji`` expenditure; ``λ_ji = X_ji / E_i`` expenditure shares.
- ``ν_i`` the share of the value of goods bought by ``i`` that accrues to ``i``'s own
  factors (local distribution), so factor income is
  ``Y_i = Σ_j (1 − ν_j) X_ij + ν_i Σ_j X_ji`` and the transfer ``T_i = E_i − Y_i``
  (Σ_i T_i = 0 by construction).
- ``t_ji`` the ad-valorem tariff that ``i`` levies on goods from ``j``.

Equilibrium in changes (hats are new/old).  With ``a_ji = λ_ji (ŵ_j / L̂_j^ψ)^(−ε)
(1 + t_ji)^(−ε φ_i)`` and ``A_i = Σ_j a_ji``:

- shares ``λ'_ji = a_ji / A_i``; price index ``P̂_i = (Ê_i / ŵ_i)^(1−φ_i) A_i^(−1/ε)``;
- flows at producer prices ``X'_ji = λ'_ji E'_i / (1 + t_ji)``; tariff revenue
  ``R_i = Σ_j λ'_ji t_ji / (1 + t_ji) E'_i``;
- wage income: ``ŵ_i L̂_i Y_i = Σ_j (1 − ν_j) X'_ij + ν_i Σ_j X'_ji``;
- spending: ``E'_i = R_i + ŵ_i L̂_i Y_i + T_i Σ_k Y'_k / Σ_k Y_k``;
- labour supply: ``L̂_i = (τ̂_i ŵ_i / P̂_i)^κ``, where the income-tax factor ``τ̂_i`` is
  ``1 / (1 − R_i / Y'_i)`` when revenue is rebated by cutting an income tax (Case 1) and
  1 when it is rebated lump-sum (Case 2).

The wage-income equations sum, with the spending equations, to zero over countries
(Walras), so one of them is redundant; the numeraire, Σ_i E_i (P̂_i − 1) = 0, replaces
the wage equation of the last country.  Welfare is
``Ŵ_i = δ_i Ê_i / P̂_i + (1 − δ_i) ŵ_i L̂_i / P̂_i`` with
``δ_i = E_i / (E_i − κ (1 − τ_i) Y_i / (1 + κ))`` and ``τ_i = R_i / Y'_i`` (Case 1) or 0.
"""

from __future__ import annotations

from functools import partial
from typing import no_type_check

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from truce.errors import NonConvergenceError
from truce.model.broyden import newton_broyden
from truce.model.implicit import implicit_root

#: Trade elasticity ε of the main analysis.
EPS = 4.0
#: Labour-supply elasticity κ.
KAPPA = 0.5
#: The two moments that pin down ν = (ν_nonUS, ν_US) (docs/models/ilms2025.md).
NU_MOMENTS = (0.12, 0.26)
#: Default tolerance: relative to each country's income (market conditions), in logs
#: (labour supply) and relative to world expenditure (the numeraire).
DEFAULT_TOL = 1e-12
DEFAULT_MAX_STEPS = 100
#: Largest change in any log unknown taken in one Newton step.
MAX_LOG_STEP = 0.5
#: Rebate rules for tariff revenue.
INCOME_TAX = "income_tax"
LUMP_SUM = "lump_sum"


def psi_for(eps: float | Float[Array, ""] = EPS) -> float | Float[Array, ""]:
    """ψ = 0.67 / ε."""
    return 0.67 / eps


def theta_for(eps: float | Float[Array, ""] = EPS) -> float | Float[Array, ""]:
    """θ = ε / 0.67."""
    return eps / 0.67


def phi_for(
    nu_i: Float[ArrayLike, "*n"], eps: float | Float[Array, ""] = EPS
) -> Float[ArrayLike, "*n"]:
    """φ_i = (1 + θ) / ((1 − ν_i) θ) − 1 / θ."""
    theta = theta_for(eps)
    return (1.0 + theta) / ((1.0 - nu_i) * theta) - 1.0 / theta


# --------------------------------------------------------------------------- data


class IlmsData(eqx.Module):
    """The base equilibrium: flows with constructed domestic sales, and what follows."""

    X_ji: Float[Array, "n n"]
    nu_i: Float[Array, " n"]
    Y_i: Float[Array, " n"]
    E_i: Float[Array, " n"]
    T_i: Float[Array, " n"]
    lam_ji: Float[Array, "n n"]


def _transfers(X_ji: Array, Y_i: Array, nu_i: Array) -> Array:
    """T_i = (1 − ν_i)(Σ_j X_ji − Σ_j (1 − ν_j) X_ij): the transfer implied by GDP."""
    imports = X_ji.sum(axis=0)
    exports_net = ((1.0 - nu_i)[None, :] * X_ji).sum(axis=1)
    return (1.0 - nu_i) * (imports - exports_net)


def _nu_moments(nu: Array, X2: Array, Y2: Array) -> Array:
    """The two calibration moments on the {non-US, US} aggregation, minus their targets.

    ``X2[0, 1]`` is non-US sales to the US, ``X2[1, 0]`` US sales to the rest; the
    diagonal holds trade within a group (zero for the US).  Each group's spending is
    ``E = Y + T`` with ``T`` from GDP as in :func:`_transfers`.  ``r_g`` is the share of
    group ``g``'s sales made at home (its spending net of imports, over that plus its
    exports); each moment is the sales-weighted ν of the destinations of the group's
    output: 0.12 for non-US output, 0.26 for US output.
    """
    E = Y2 + _transfers(X2, Y2, nu)
    home0 = E[0] - X2[1, 0]
    home1 = E[1] - X2[0, 1]
    r0 = home0 / (home0 + X2[0, 1])
    r1 = home1 / (home1 + X2[1, 0])
    return jnp.stack(
        [
            r0 * nu[0] + (1.0 - r0) * nu[1] - NU_MOMENTS[0],
            r1 * nu[1] + (1.0 - r1) * nu[0] - NU_MOMENTS[1],
        ]
    )


@jax.jit
def _solve_nu(X2: Array, Y2: Array) -> tuple[Array, Array]:
    def newton(carry):
        nu, _, k = carry
        f = _nu_moments(nu, X2, Y2)
        J = jax.jacfwd(_nu_moments)(nu, X2, Y2)
        return nu - jnp.linalg.solve(J, f), jnp.max(jnp.abs(f)), k + 1

    nu, _, _ = jax.lax.while_loop(
        lambda c: (c[1] > 1e-15) & (c[2] < 50),
        newton,
        (jnp.array([0.1, 0.25]), jnp.asarray(jnp.inf), jnp.asarray(0)),
    )
    return nu, jnp.max(jnp.abs(_nu_moments(nu, X2, Y2)))


def calibrate_nu(
    flows_ji: Float[ArrayLike, "n n"], gdp_i: Float[ArrayLike, " n"], us: int
) -> Float[Array, " 2"]:
    """Solve ν = (ν_nonUS, ν_US) so that the two moments hit 0.12 and 0.26.

    ``flows_ji`` are the observed international flows (zero diagonal), ``gdp_i`` GDP in
    the same units, ``us`` the index of the United States.
    """
    flows_ji = jnp.asarray(flows_ji, dtype=jnp.float64)
    gdp_i = jnp.asarray(gdp_i, dtype=jnp.float64)
    n = flows_ji.shape[0]
    agg = jnp.zeros((2, n)).at[0].set(1.0).at[0, us].set(0.0).at[1, us].set(1.0)
    nu, gap = _solve_nu(agg @ flows_ji @ agg.T, agg @ gdp_i)
    if not float(gap) <= 1e-12:
        raise NonConvergenceError(
            f"the calibration of nu did not converge (moment gap {float(gap):.3g})",
            iterations=50,
            residual=float(gap),
        )
    return nu


def build_data(
    flows_ji: Float[ArrayLike, "n n"], gdp_i: Float[ArrayLike, " n"], us: int
) -> IlmsData:
    """The base equilibrium of docs/models/ilms2025.md from international flows and GDP.

    ν is calibrated (:func:`calibrate_nu`); domestic sales are
    ``X_ii = max(Y_i + T_i − imports_i, 0)``; then E, Y, T and λ are recomputed from the
    completed flow matrix.
    """
    flows_ji = jnp.asarray(flows_ji, dtype=jnp.float64)
    gdp_i = jnp.asarray(gdp_i, dtype=jnp.float64)
    n = flows_ji.shape[0]
    flows_ji = flows_ji * (1.0 - jnp.eye(n))
    nu2 = calibrate_nu(flows_ji, gdp_i, us)
    nu_i = jnp.full(n, nu2[0]).at[us].set(nu2[1])
    E0 = gdp_i + _transfers(flows_ji, gdp_i, nu_i)
    domestic = jnp.maximum(E0 - flows_ji.sum(axis=0), 0.0)
    return data_from_flows(flows_ji + jnp.diag(domestic), nu_i)


def factor_income(X_ji: Array, nu_i: Array) -> Array:
    """``Y_i = Σ_j (1 − ν_j) X_ij + ν_i Σ_j X_ji``: sales net of the buyers' local
    distribution, plus the distribution margin on the country's own purchases."""
    return ((1.0 - nu_i)[None, :] * X_ji).sum(axis=1) + nu_i * X_ji.sum(axis=0)


def data_from_flows(X_ji: Float[ArrayLike, "n n"], nu_i: Float[ArrayLike, " n"]) -> IlmsData:
    """The base equilibrium from a complete flow matrix (domestic sales on the diagonal)
    and the local-distribution shares ν: E, Y, T and λ as in docs/models/ilms2025.md."""
    X_ji = jnp.asarray(X_ji, dtype=jnp.float64)
    nu_i = jnp.asarray(nu_i, dtype=jnp.float64)
    E_i = X_ji.sum(axis=0)
    Y_i = factor_income(X_ji, nu_i)
    return IlmsData(
        X_ji=X_ji,
        nu_i=nu_i,
        Y_i=Y_i,
        E_i=E_i,
        T_i=E_i - Y_i,
        lam_ji=X_ji / E_i[None, :],
    )


def liberation_day_tariffs(
    us_tariff_ld: Float[ArrayLike, " n"], us: int, floor: float = 0.10
) -> Float[Array, "n n"]:
    """Case 1 tariffs ``t_ji``: the US levies max(floor, its 2 April rate) on every other
    exporter; every other tariff is 0."""
    rate = jnp.maximum(floor, jnp.asarray(us_tariff_ld, dtype=jnp.float64))
    n = rate.shape[0]
    return jnp.zeros((n, n)).at[:, us].set(rate).at[us, us].set(0.0)


# ------------------------------------------------------------------ equilibrium


class Params(eqx.Module):
    eps: Float[ArrayLike, ""]
    kappa: Float[ArrayLike, ""]
    psi: Float[ArrayLike, ""]
    phi_i: Float[Array, " n"]


def default_params(data: IlmsData, eps: float = EPS, kappa: float = KAPPA) -> Params:
    """The main analysis: ε = 4, κ = 0.5, ψ = 0.67/ε, φ_i from ν_i."""
    return Params(
        eps=jnp.asarray(eps),
        kappa=jnp.asarray(kappa),
        psi=jnp.asarray(psi_for(eps)),
        phi_i=phi_for(data.nu_i, eps),
    )


class _State(eqx.Module):
    """Everything derived from the unknowns (ŵ, Ê, L̂)."""

    w: Array
    E_hat: Array
    L: Array
    lam_new: Array
    P_hat: Array
    X_new: Array
    revenue: Array
    Y_new: Array
    E_new: Array
    tau: Array
    tau_hat: Array


class _Wedges(eqx.Module):
    """What the tariffs do to each cell, computed once per solve (not per iteration)."""

    pull_ji: Array
    """λ_ji (1 + t_ji)^(−ε φ_i): base shares scaled by the tariff's effect on demand."""
    producer_ji: Array
    """1 / (1 + t_ji): the exporter's share of the buyer's outlay."""
    revenue_ji: Array
    """t_ji / (1 + t_ji): the tariff's share of the buyer's outlay."""


def _wedges(data: IlmsData, prm: Params, t_ji: Array) -> _Wedges:
    return _Wedges(
        pull_ji=data.lam_ji * jnp.exp(-prm.eps * prm.phi_i[None, :] * jnp.log1p(t_ji)),
        producer_ji=1.0 / (1.0 + t_ji),
        revenue_ji=t_ji / (1.0 + t_ji),
    )


def _state(data: IlmsData, prm: Params, wedges: _Wedges, z: Array, rebate: str) -> _State:
    n = data.E_i.shape[0]
    w, E_hat, L = jnp.exp(z[:n]), jnp.exp(z[n : 2 * n]), jnp.exp(z[2 * n :])
    log_cost = prm.psi * z[2 * n :] - z[:n]  # log(L̂^ψ / ŵ)
    a = wedges.pull_ji * jnp.exp(prm.eps * log_cost)[:, None]
    A = a.sum(axis=0)
    lam_new = a / A[None, :]
    P_hat = (E_hat / w) ** (1.0 - prm.phi_i) * A ** (-1.0 / prm.eps)
    E_new = data.E_i * E_hat
    X_new = lam_new * (E_new[None, :] * wedges.producer_ji)
    revenue = (lam_new * wedges.revenue_ji).sum(axis=0) * E_new
    Y_new = w * L * data.Y_i
    if rebate == INCOME_TAX:
        tau = revenue / Y_new
        tau_hat = 1.0 / (1.0 - tau)
    elif rebate == LUMP_SUM:
        tau = jnp.zeros(n)
        tau_hat = jnp.ones(n)
    else:
        raise ValueError(f"unknown rebate rule {rebate!r}")
    return _State(w, E_hat, L, lam_new, P_hat, X_new, revenue, Y_new, E_new, tau, tau_hat)


def wage_gap(data: IlmsData, s: _State) -> Array:
    """Sales accruing to each country's factors minus its wage income (currency)."""
    nu = data.nu_i
    return ((1.0 - nu)[None, :] * s.X_new).sum(axis=1) + nu * s.X_new.sum(axis=0) - s.Y_new


def spending_gap(data: IlmsData, s: _State) -> Array:
    """Revenue + wage income + scaled transfer − spending (currency)."""
    scale = s.Y_new.sum() / data.Y_i.sum()
    return s.revenue + s.Y_new + data.T_i * scale - s.E_new


def _residual(data: IlmsData, prm: Params, t_ji: Array, z: Array, rebate: str) -> Array:
    """The 3N scaled conditions; the last wage equation is replaced by the numeraire."""
    return _residual_at(data, prm, _wedges(data, prm, t_ji), z, rebate)


def _residual_at(data: IlmsData, prm: Params, wedges: _Wedges, z: Array, rebate: str) -> Array:
    """:func:`_residual` with the tariffs' wedges computed beforehand."""
    s = _state(data, prm, wedges, z, rebate)
    n = data.E_i.shape[0]
    numeraire = (data.E_i * (s.P_hat - 1.0)).sum() / data.E_i.sum()
    wages = (wage_gap(data, s) / data.Y_i).at[n - 1].set(numeraire)
    spending = spending_gap(data, s) / data.E_i
    labour = z[2 * n :] - prm.kappa * (jnp.log(s.tau_hat) + z[:n] - jnp.log(s.P_hat))
    return jnp.concatenate([wages, spending, labour])


class IlmsEquilibrium(eqx.Module):
    """A solved counterfactual with per-country outcomes and solver statistics."""

    w_hat: Float[Array, " n"]
    E_hat: Float[Array, " n"]
    L_hat: Float[Array, " n"]
    P_hat: Float[Array, " n"]
    X_ji: Float[Array, "n n"]
    """Counterfactual flows at producer prices."""
    tariff_revenue: Float[Array, " n"]
    tau: Float[Array, " n"]
    """Counterfactual income-tax rebate rate R_i / Y'_i (0 under a lump-sum rebate)."""
    welfare_pct: Float[Array, " n"]
    employment_pct: Float[Array, " n"]
    price_index_pct: Float[Array, " n"]
    deficit_pct: Float[Array, " n"]
    """100 (D' − D) / |D| with D = imports − exports (producer prices)."""
    exports_gdp_pct: Float[Array, " n"]
    """Change in exports relative to GDP, percent."""
    imports_gdp_pct: Float[Array, " n"]
    """Change in imports relative to GDP, percent."""
    converged: Bool[Array, ""]
    iterations: Int[Array, ""]
    residual: Float[Array, ""]
    """Largest violation of any condition, the replaced wage equation included."""


def base_inverse_jacobian(
    data: IlmsData, params: Params | None = None, *, rebate: str = INCOME_TAX
) -> Float[Array, "m m"]:
    """The inverse Jacobian of the conditions at the base without tariffs.

    It depends on the world only, so callers that solve many scenarios on one world can
    compute it once and pass it to :func:`solve` (``start_inverse``): Broyden updates
    from it then need no Jacobian of their own.
    """
    prm = default_params(data) if params is None else params
    n = data.E_i.shape[0]
    free = jnp.zeros((n, n))
    return _inverse_jacobian(data, prm, free, jnp.zeros(3 * n), rebate)


@partial(jax.jit, static_argnames=("rebate",))
def _inverse_jacobian(data, prm, t_ji, z, rebate):
    return jnp.linalg.inv(jax.jacfwd(lambda x: _residual(data, prm, t_ji, x, rebate))(z))


# implicit_root requires a plain global function here (no wrapper): not type-checked at runtime.
@no_type_check
def _solve_z_primal(inputs: tuple) -> tuple[Array, Array]:
    """The forward solve: the bounded Newton–Broyden loop from z = 0 (no change)."""
    data, prm, t_ji, J_inv0, tol, max_steps, rebate = inputs
    n = data.E_i.shape[0]
    wedges = _wedges(data, prm, t_ji)
    result = newton_broyden(
        lambda z, _: (_residual_at(data, prm, wedges, z, rebate), None),
        jnp.zeros(3 * n),
        None,
        tol=tol,
        max_steps=max_steps,
        max_step=MAX_LOG_STEP,
        inverse_jacobian=J_inv0,
    )
    return result.z, result.steps


# implicit_root requires a plain global function here (no wrapper): not type-checked at runtime.
@no_type_check
def _solve_z_rewrite(z: Array, _steps: Array, inputs: tuple) -> Array:
    """The conditions whose root the forward solve finds (for the implicit derivative).

    With the world's base inverse Jacobian ``H0`` at hand they are premultiplied by it:
    ``H0 F`` has the same root and a Jacobian near the identity, which the iterative
    linear solve of the implicit derivative needs few steps for.
    """
    data, prm, t_ji, J_inv0, _, _, rebate = inputs
    f = _residual(data, prm, t_ji, z, rebate)
    return f if J_inv0 is None else jax.lax.stop_gradient(J_inv0) @ f


def solve_z(
    data: IlmsData,
    prm: Params,
    t_ji: Array,
    J_inv0: Array | None,
    tol: float | Array,
    max_steps: int,
    rebate: str,
) -> tuple[Float[Array, " m"], Int[Array, ""]]:
    """The unknowns z = (log ŵ, log Ê, log L̂) at the equilibrium, and the solver's steps.

    The forward solve is the bounded Newton–Broyden loop of :func:`_solve` (not
    differentiable itself); derivatives of z with respect to ``t_ji``, ``prm`` and
    ``data`` are the implicit ones at the root, in forward and reverse mode alike
    (:mod:`truce.model.implicit`): an LU of ∂F/∂z, or, with the base inverse Jacobian
    ``J_inv0`` as a left preconditioner (see :func:`_solve_z_rewrite`), GMRES on
    Jacobian-vector products instead of materialising and factorising it.  The step
    count carries no derivative.  Convergence is not checked here.
    """
    inputs = (data, prm, t_ji, J_inv0, tol, max_steps, rebate)
    return implicit_root(_solve_z_primal, _solve_z_rewrite, inputs, matrix_free=J_inv0 is not None)


@partial(jax.jit, static_argnames=("rebate", "max_steps"))
def _solve(
    data: IlmsData,
    prm: Params,
    t_ji: Array,
    J_inv0: Array | None,
    tol: float | Float[Array, ""],
    max_steps: int,
    rebate: str,
) -> IlmsEquilibrium:
    n = data.E_i.shape[0]

    z, k = solve_z(data, prm, t_ji, J_inv0, tol, max_steps, rebate)

    wedges = _wedges(data, prm, t_ji)
    s = _state(data, prm, wedges, z, rebate)
    f = _residual_at(data, prm, wedges, z, rebate)
    dropped = jnp.abs(wage_gap(data, s)[n - 1] / data.Y_i[n - 1])
    residual = jnp.maximum(jnp.max(jnp.abs(f)), dropped)
    residual = jnp.where(jnp.isfinite(residual), residual, jnp.inf)

    delta = data.E_i / (data.E_i - prm.kappa * (1.0 - s.tau) * data.Y_i / (1.0 + prm.kappa))
    W_hat = delta * s.E_hat / s.P_hat + (1.0 - delta) * s.w * s.L / s.P_hat
    off = 1.0 - jnp.eye(n)
    X0 = data.X_ji
    D0 = X0.sum(axis=0) - X0.sum(axis=1)
    D1 = s.X_new.sum(axis=0) - s.X_new.sum(axis=1)
    exp0, exp1 = (X0 * off).sum(axis=1) / data.Y_i, (s.X_new * off).sum(axis=1) / s.Y_new
    imp0, imp1 = (X0 * off).sum(axis=0) / data.Y_i, (s.X_new * off).sum(axis=0) / s.Y_new
    return IlmsEquilibrium(
        w_hat=s.w,
        E_hat=s.E_hat,
        L_hat=s.L,
        P_hat=s.P_hat,
        X_ji=s.X_new,
        tariff_revenue=s.revenue,
        tau=s.tau,
        welfare_pct=100.0 * (W_hat - 1.0),
        employment_pct=100.0 * (s.L - 1.0),
        price_index_pct=100.0 * (s.P_hat - 1.0),
        deficit_pct=100.0 * (D1 - D0) / jnp.abs(D0),
        exports_gdp_pct=100.0 * (exp1 / exp0 - 1.0),
        imports_gdp_pct=100.0 * (imp1 / imp0 - 1.0),
        converged=(residual <= 10.0 * tol) & (k < max_steps),
        iterations=k,
        residual=residual,
    )


def solve(
    data: IlmsData,
    t_ji: Float[ArrayLike, "n n"],
    params: Params | None = None,
    *,
    rebate: str = INCOME_TAX,
    tol: float = DEFAULT_TOL,
    max_steps: int = DEFAULT_MAX_STEPS,
    start_inverse: Array | None = None,
    throw: bool = True,
) -> IlmsEquilibrium:
    """Solve the ILMS equilibrium in changes for tariffs ``t_ji`` (``[exporter, importer]``).

    ``start_inverse`` (from :func:`base_inverse_jacobian`) lets the solver start from the
    world's base Jacobian instead of computing one.
    ``rebate`` is :data:`INCOME_TAX` (Case 1) or :data:`LUMP_SUM` (Case 2).  With
    ``throw=True`` a solve that hits ``max_steps``, stalls, or leaves a condition violated
    by more than ten times ``tol`` raises :class:`~truce.errors.NonConvergenceError`.
    """
    eq = outcomes(
        data,
        t_ji,
        params,
        rebate=rebate,
        tol=tol,
        max_steps=max_steps,
        start_inverse=start_inverse,
    )
    if throw and not bool(eq.converged):
        raise NonConvergenceError(
            f"the ilms2025 solver did not converge: {int(eq.iterations)} iterations "
            f"(cap {max_steps}), largest residual {float(eq.residual):.3g} "
            f"(tolerance {10.0 * tol:.1g})",
            iterations=int(eq.iterations),
            residual=float(eq.residual),
        )
    return eq


def outcomes(
    data: IlmsData,
    t_ji: Float[ArrayLike, "n n"],
    params: Params | None = None,
    *,
    rebate: str = INCOME_TAX,
    tol: float = DEFAULT_TOL,
    max_steps: int = DEFAULT_MAX_STEPS,
    start_inverse: Array | None = None,
) -> IlmsEquilibrium:
    """:func:`solve` without the convergence check: jit-compatible and differentiable.

    Every field is differentiable in ``t_ji`` (and in ``params`` and ``data``) through
    the implicit derivative of :func:`solve_z`; the forward solve's convergence is
    reported in ``converged``, ``iterations`` and ``residual`` only.
    """
    prm = default_params(data) if params is None else params
    t_ji = jnp.asarray(t_ji, dtype=jnp.float64)
    J_inv0 = None if start_inverse is None else jnp.asarray(start_inverse)
    return _solve(data, prm, t_ji, J_inv0, tol, max_steps, rebate)


@partial(jax.jit, static_argnames=("rebate", "max_steps", "vectorize"))
def _outcomes_by_eps(data, t_ji, eps_d, kappa, J_inv0, tol, max_steps, rebate, vectorize):
    def one(eps):
        prm = Params(eps=eps, kappa=kappa, psi=psi_for(eps), phi_i=phi_for(data.nu_i, eps))
        return _solve(data, prm, t_ji, J_inv0, tol, max_steps, rebate)

    return jax.vmap(one)(eps_d) if vectorize else jax.lax.map(one, eps_d)


def outcomes_by_eps(
    data: IlmsData,
    t_ji: Float[ArrayLike, "n n"],
    eps_d: Float[ArrayLike, " d"],
    *,
    kappa: float = KAPPA,
    rebate: str = INCOME_TAX,
    tol: float = DEFAULT_TOL,
    max_steps: int = DEFAULT_MAX_STEPS,
    start_inverse: Array | None = None,
    vectorize: bool = False,
) -> IlmsEquilibrium:
    """:func:`outcomes` once per trade elasticity in ``eps_d`` (ψ and φ_i follow ε as in
    :func:`default_params`), all in one compiled computation, vectorised (``vmap``) or
    mapped in turn (``lax.map``, see :mod:`truce.model.draws`); a leading draw axis on
    every field.  ``start_inverse`` (the base inverse Jacobian at one ε) starts every
    draw's Broyden updates; it changes no answer beyond the tolerance."""
    J_inv0 = None if start_inverse is None else jnp.asarray(start_inverse)
    return _outcomes_by_eps(
        data,
        jnp.asarray(t_ji, dtype=jnp.float64),
        jnp.asarray(eps_d, dtype=jnp.float64),
        jnp.asarray(kappa, dtype=jnp.float64),
        J_inv0,
        tol,
        max_steps,
        rebate,
        vectorize,
    )


def welfare_pct_of(
    data: IlmsData,
    t_ji: Float[ArrayLike, "n n"],
    params: Params | None = None,
    *,
    rebate: str = INCOME_TAX,
    tol: float = DEFAULT_TOL,
    max_steps: int = DEFAULT_MAX_STEPS,
    start_inverse: Array | None = None,
) -> Float[Array, " n"]:
    """Each country's welfare change (percent) under tariffs ``t_ji``, differentiable in
    ``t_ji``; see :func:`outcomes` (convergence is not checked)."""
    eq = outcomes(
        data,
        t_ji,
        params,
        rebate=rebate,
        tol=tol,
        max_steps=max_steps,
        start_inverse=start_inverse,
    )
    return eq.welfare_pct


# ------------------------------------------------------------ closed-form tariffs


def _export_elasticity_weight(X_ji: Array, nu_i: Array, income_i: Array) -> Array:
    """δ_j of the paper's optimal-tariff formula, for every exporter ``j``:

    ``δ_j = Σ_{i≠j} (1 − ν_i)(1 − λ_ji) X_ji / ((1 − ν_j)(income_j − X_jj))``.
    """
    n = X_ji.shape[0]
    off = 1.0 - jnp.eye(n)
    lam = X_ji / X_ji.sum(axis=0)[None, :]
    numerator = (X_ji * (1.0 - nu_i)[None, :] * off * (1.0 - lam)).sum(axis=1)
    return numerator / ((1.0 - nu_i) * (income_i - jnp.diag(X_ji)))


def optimal_uniform_tariff(
    data: IlmsData, country: int, eps: float = EPS, *, income: str = "expenditure"
) -> Float[Array, ""]:
    """The unilaterally optimal uniform tariff of ``country``: 1/((1 + δ ε) φ − 1).

    δ is evaluated on the base data (docs/models/ilms2025.md).  ``income`` is the base the
    paper's code nets domestic sales from in δ's denominator: ``"expenditure"``
    (E − X_ii, its optimal-US-tariff case) or ``"income"`` (Y − X_ii, the one it uses
    when both sides set optimal tariffs).
    """
    base = data.E_i if income == "expenditure" else data.Y_i
    delta = _export_elasticity_weight(data.X_ji, data.nu_i, base)[country]
    phi = phi_for(data.nu_i[country], eps)
    return 1.0 / ((1.0 + delta * eps) * phi - 1.0)


def optimal_retaliation_tariff(data: IlmsData, target: int, eps: float = EPS) -> Float[Array, ""]:
    """The uniform rate every other country levies on ``target`` under optimal retaliation.

    As in the paper, the world is aggregated into two regions, the rest and ``target``,
    and the rest's optimal uniform tariff 1/((1 + δ ε) φ − 1) is taken there, with δ's
    denominator netting its internal sales from its factor income (Y − X_RR).  The rest's
    ν is the mean of its members' weighted by factor income (the members share one ν in
    the paper's calibration, so this is that ν).
    """
    n = data.E_i.shape[0]
    agg = jnp.zeros((2, n)).at[0].set(1.0).at[0, target].set(0.0).at[1, target].set(1.0)
    X2 = agg @ data.X_ji @ agg.T
    Y2 = agg @ data.Y_i
    nu2 = (agg @ (data.nu_i * data.Y_i)) / Y2
    delta = _export_elasticity_weight(X2, nu2, Y2)[0]
    return 1.0 / ((1.0 + delta * eps) * phi_for(nu2[0], eps) - 1.0)
