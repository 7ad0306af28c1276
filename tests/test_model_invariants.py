"""Invariants and closed forms of the Caliendo–Parro model in changes.

Each expected value is an identity of the model (no shock ⇒ no change; shares sum to
one; markets clear; numeraire and relabelling invariance) or the Arkolakis–Costinot–
Rodríguez-Clare closed form for the one-sector, no-input-output, balanced-trade case.
"""

import itertools

import jax.numpy as jnp
import numpy as np
import pytest

from truce.data.synthetic import synthetic_baseline
from truce.errors import NonConvergenceError
from truce.model.baseline import Shock, no_shock
from truce.model.equations import policy_wedges, spending_coefficients, spending_step
from truce.model.solve import solve
from truce.model.welfare import region_outcomes

#: Tolerance of the "every ratio is one" check (the issue's acceptance figure).
NO_SHOCK_TOL = 1e-10
#: Equilibrium conditions hold to the solver's own tolerance, with headroom.
CLEARING_TOL = 1e-10


def _tariff_shock(baseline, rng, size=0.4):
    n = len(baseline.regions)
    off_diagonal = 1.0 - np.eye(n)[None]
    extra = rng.uniform(0.0, size, size=baseline.tau_sni.shape) * off_diagonal
    return Shock(
        tau_sni=baseline.tau_sni + extra,
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=baseline.deficit_n,
    )


@pytest.mark.parametrize(("seed", "n", "s"), [(0, 4, 3), (1, 7, 5), (2, 12, 6)])
def test_no_measures_reproduce_the_baseline(seed, n, s):
    baseline = synthetic_baseline(n, s, seed=seed, io=True)
    eq = solve(baseline, no_shock(baseline))
    assert bool(eq.converged)
    np.testing.assert_allclose(eq.w_hat_n, 1.0, atol=NO_SHOCK_TOL)
    np.testing.assert_allclose(eq.P_hat_sn, 1.0, atol=NO_SHOCK_TOL)
    np.testing.assert_allclose(eq.X_sn / baseline.X_sn, 1.0, atol=NO_SHOCK_TOL)
    np.testing.assert_allclose(eq.flow_sni, baseline.flow_sni, rtol=NO_SHOCK_TOL)
    outcomes = region_outcomes(baseline, no_shock(baseline), eq)
    np.testing.assert_allclose(outcomes.welfare_n, 1.0, atol=NO_SHOCK_TOL)


@pytest.mark.parametrize("seed", [3, 4])
def test_acr_formula_one_sector_no_io_balanced_trade(seed):
    # ACR (2012): with one sector, no intermediate inputs, no tariffs and balanced
    # trade, the welfare change is the domestic share's change to the power -1/theta.
    baseline = synthetic_baseline(6, 1, seed=seed, io=False, tariffs=False, balanced_trade=True)
    np.testing.assert_allclose(baseline.deficit_n, 0.0, atol=1e-9)
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0.7, 1.5, size=baseline.tau_sni.shape)
    cost = np.where(np.eye(6, dtype=bool)[None], 1.0, cost)
    shock = Shock(
        tau_sni=baseline.tau_sni, cost_sni=jnp.asarray(cost), deficit_n=baseline.deficit_n
    )
    eq = solve(baseline, shock)
    welfare = region_outcomes(baseline, shock, eq).welfare_n
    own_share_change = jnp.diagonal(eq.pi_sni[0]) / jnp.diagonal(baseline.pi_sni[0])
    theta = baseline.theta_s[0]
    np.testing.assert_allclose(welfare, own_share_change ** (-1.0 / theta), rtol=1e-10)


def test_shares_sum_to_one_and_markets_clear():
    baseline = synthetic_baseline(8, 5, seed=5)
    shock = _tariff_shock(baseline, np.random.default_rng(5))
    eq = solve(baseline, shock)
    buys = baseline.X_sn > 0
    np.testing.assert_allclose(jnp.where(buys, eq.pi_sni.sum(axis=2), 1.0), 1.0, atol=1e-12)
    # Goods markets: absorption equals intermediate demand plus final demand.
    wedges = policy_wedges(baseline, shock, jnp.zeros(0), jnp.zeros(0))
    coefficients = spending_coefficients(wedges, eq.pi_sni, eq.gamma_io_nsk)
    again = spending_step(baseline, shock, coefficients, eq.w_hat_n, eq.X_sn)
    scale = float(baseline.va_n.sum())
    np.testing.assert_allclose(again / scale, eq.X_sn / scale, atol=CLEARING_TOL)
    # Trade balance: imports minus exports at world prices equal the deficit.
    foreign = eq.flow_sni * (1.0 - jnp.eye(8))[None]
    deficit = foreign.sum(axis=(0, 2)) - foreign.sum(axis=(0, 1))
    np.testing.assert_allclose(deficit / scale, shock.deficit_n / scale, atol=CLEARING_TOL)
    # Factor markets: factor income equals the value added embodied in gross output.
    va_demand = (baseline.gamma_va_sn * eq.flow_sni.sum(axis=1)).sum(axis=0)
    np.testing.assert_allclose(
        va_demand / scale, eq.w_hat_n * baseline.va_n / scale, atol=CLEARING_TOL
    )


def test_results_do_not_depend_on_the_numeraire():
    baseline = synthetic_baseline(6, 4, seed=6)
    shock = _tariff_shock(baseline, np.random.default_rng(6))
    world = solve(baseline, shock)
    for region in range(3):
        weights = np.zeros(6)
        weights[region] = 1.0
        other = solve(baseline, shock, numeraire_n=weights)
        assert abs(float(other.w_hat_n[region]) - 1.0) < 1e-12
        factor = other.w_hat_n / world.w_hat_n  # every nominal value scales alike
        np.testing.assert_allclose(factor, factor[0], rtol=1e-10)
        np.testing.assert_allclose(other.P_hat_sn / world.P_hat_sn, factor[0], rtol=1e-10)
        np.testing.assert_allclose(other.pi_sni, world.pi_sni, atol=1e-12)
        a = region_outcomes(baseline, shock, world)
        b = region_outcomes(baseline, shock, other)
        np.testing.assert_allclose(b.welfare_n, a.welfare_n, rtol=1e-10)
        np.testing.assert_allclose(b.real_wage_n, a.real_wage_n, rtol=1e-10)


def test_symmetric_regions_get_symmetric_results():
    # Regions 0 and 1 are mirror images (swapping them maps the world onto itself), and
    # region 2 raises the same tariff on both: their outcomes must coincide.
    base = synthetic_baseline(3, 4, seed=7)
    swap = np.array([1, 0, 2])

    def symmetrise(a, axes):
        b = np.asarray(a)
        mirrored = b
        for ax in axes:
            mirrored = np.take(mirrored, swap, axis=ax)
        return 0.5 * (b + mirrored)

    from truce.model.baseline import baseline_from_flows

    flow = symmetrise(base.flow_sni, (1, 2))
    tau = symmetrise(base.tau_sni, (1, 2))
    gross = flow.sum(axis=1)
    io = symmetrise(np.transpose(base.gamma_io_nsk, (0, 2, 1)), (0,)) * gross.T[:, None, :]
    baseline = baseline_from_flows(
        regions=("A", "B", "C"),
        sectors=base.sectors,
        flow_sni=flow,
        tau_sni=tau,
        va_sn=gross - io.sum(axis=1).T,
        io_nks=io,
        theta_s=base.theta_s,
    )
    tau_new = np.asarray(baseline.tau_sni).copy()
    tau_new[:, 2, 0] += 0.3
    tau_new[:, 2, 1] += 0.3
    shock = Shock(
        tau_sni=jnp.asarray(tau_new),
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=baseline.deficit_n,
    )
    eq = solve(baseline, shock)
    out = region_outcomes(baseline, shock, eq)
    for field in ("welfare_n", "real_wage_n", "nominal_wage_n", "price_index_n", "exports_n"):
        values = np.asarray(getattr(out, field))
        assert values[0] == pytest.approx(values[1], rel=1e-10), field
    np.testing.assert_allclose(eq.P_hat_sn[:, 0], eq.P_hat_sn[:, 1], rtol=1e-10)


def test_capped_solve_raises_and_reports():
    baseline = synthetic_baseline(5, 3, seed=8)
    shock = _tariff_shock(baseline, np.random.default_rng(8), size=2.0)
    with pytest.raises(NonConvergenceError) as info:
        solve(baseline, shock, max_steps=1, continuation=False)
    assert info.value.iterations == 1
    assert info.value.residual > 1e-11
    assert info.value.reached is None
    eq = solve(baseline, shock, max_steps=1, throw=False, continuation=False)
    assert not bool(eq.converged)
    # With continuation every solve along the path is capped too: nothing is solved,
    # and the error says how far the walk got and counts every solve's iterations.
    with pytest.raises(NonConvergenceError, match="continuation up to 0.0% of the shock") as info:
        solve(baseline, shock, max_steps=1)
    assert info.value.reached == 0.0
    assert info.value.iterations > 1


def test_zero_flows_stay_zero():
    baseline = synthetic_baseline(6, 3, seed=9, zero_share=0.3)
    shock = _tariff_shock(baseline, np.random.default_rng(9))
    eq = solve(baseline, shock)
    zero = np.asarray(baseline.flow_sni) == 0
    assert zero.sum() > 0
    assert np.all(np.asarray(eq.flow_sni)[zero] == 0.0)
    assert np.all(np.isfinite(np.asarray(eq.flow_sni)))


def test_relabelling_regions_permutes_results():
    baseline = synthetic_baseline(5, 3, seed=10)
    shock = _tariff_shock(baseline, np.random.default_rng(10))
    eq = solve(baseline, shock)
    for perm in itertools.islice(itertools.permutations(range(5)), 1, 3):
        p = np.array(perm)
        from truce.model.baseline import baseline_from_flows

        flow = np.asarray(baseline.flow_sni)[:, p][:, :, p]
        gross = flow.sum(axis=1)
        io = np.transpose(np.asarray(baseline.gamma_io_nsk), (0, 2, 1))[p] * gross.T[:, None, :]
        permuted = baseline_from_flows(
            regions=tuple(baseline.regions[i] for i in p),
            sectors=baseline.sectors,
            flow_sni=flow,
            tau_sni=np.asarray(baseline.tau_sni)[:, p][:, :, p],
            va_sn=gross - io.sum(axis=1).T,
            io_nks=io,
            theta_s=baseline.theta_s,
        )
        pshock = Shock(
            tau_sni=jnp.asarray(np.asarray(shock.tau_sni)[:, p][:, :, p]),
            cost_sni=jnp.ones_like(permuted.tau_sni),
            deficit_n=permuted.deficit_n,
        )
        peq = solve(permuted, pshock)
        np.testing.assert_allclose(peq.w_hat_n, np.asarray(eq.w_hat_n)[p], rtol=1e-10)
