"""Critical inputs (truce.model.technology, docs/models/caliendo-parro.md): the CES nest
of a user's Cobb–Douglas bundle and its critical inputs, and capacity limits."""

from __future__ import annotations

import dataclasses
import datetime

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import truce
from truce.api.running import _split
from truce.data.calibrate import world_to_baseline
from truce.data.synthetic import synthetic_baseline
from truce.errors import NonConvergenceError
from truce.model.baseline import Baseline, Shock, baseline_from_flows, no_shock
from truce.model.solve import solve, solve_differentiable
from truce.model.welfare import region_outcomes
from truce.policy.compile import compile_scenario_full

jax.config.update("jax_enable_x64", True)


def _day(scenario: truce.Scenario) -> datetime.date | None:
    """The day a run of ``scenario`` solves, or its last change date when it has none."""
    if not scenario.dated:
        return None
    if scenario.as_of is not None:
        return scenario.as_of
    return max(m.start for m in scenario.measures if m.start is not None)


@pytest.mark.parametrize("name", truce.api.builtin_scenarios())
def test_sigma_one_is_the_cobb_douglas_model_bit_for_bit(name: str) -> None:
    # A world whose critical inputs have sigma = 1 solves to the same last bit as the
    # same world without critical inputs: the CES branch is never taken.
    scenario = truce.load_scenario(name)
    world = truce.load_world(scenario.world or "default")
    split = _split(world, scenario, 1.0)
    if split.critical_inputs is None:
        # No critical product: the run's world has no CES nest at all.
        assert world_to_baseline(split).critical_s is None
        return
    with_ces = world_to_baseline(split)
    without = world_to_baseline(dataclasses.replace(split, critical_inputs=None))
    assert with_ces.critical_s is not None and without.critical_s is None
    day = _day(scenario)
    shock_ces = compile_scenario_full(scenario, with_ces, date=day).shock
    shock_cd = compile_scenario_full(scenario, without, date=day).shock
    a, b = solve(with_ces, shock_ces), solve(without, shock_cd)
    for field in dataclasses.fields(a):
        np.testing.assert_array_equal(getattr(a, field.name), getattr(b, field.name), field.name)


def _two_by_two(sigma: float, *, us_user_share: float = 0.05) -> Baseline:
    """Regions US and CN, sectors ``user`` and ``crit``.  Only CN makes ``crit``; US
    buys it only as an input of ``user`` (no household demand), so its whole supply is
    CN's exports."""
    US, CN = 0, 1
    USER, CRIT = 0, 1
    flow = np.zeros((2, 2, 2))
    flow[USER] = [[60.0, 10.0], [12.0, 50.0]]  # [importer, exporter]
    flow[CRIT, US, CN] = 72.0 * us_user_share  # US user's critical purchases, all from CN
    flow[CRIT, CN, CN] = 8.0
    gross = flow.sum(axis=1)  # [sector, exporter]
    io = np.zeros((2, 2, 2))  # [region, input, output]
    io[US, CRIT, USER] = flow[CRIT, US, CN]
    io[CN, CRIT, USER] = 4.0
    io[CN, USER, CRIT] = 2.0
    va = gross - io.sum(axis=1).T
    alpha = np.array([[1.0, 62.0 / 66.0], [0.0, 4.0 / 66.0]])  # US households buy no crit
    return baseline_from_flows(
        regions=("US", "CN"),
        sectors=("user", "crit"),
        flow_sni=flow,
        tau_sni=np.zeros((2, 2, 2)),
        va_sn=va,
        io_nks=io,
        theta_s=np.array([4.0, 4.0]),
        alpha_sn=alpha,
        critical_s=np.array([False, True]),
        sigma=sigma,
    )


def _capped(baseline: Baseline, share: float) -> Shock:
    """CN's exports of ``crit`` to the US capped at ``share`` of their base quantity."""
    return dataclasses.replace(
        no_shock(baseline),
        cap_cells=jnp.array([[1, 0, 1]]),
        cap_share=jnp.array([share]),
    )


@pytest.mark.parametrize("share", [0.8, 0.5, 0.2])
def test_a_leontief_input_with_one_supplier_caps_its_users_output(share: float) -> None:
    # Closed form: with sigma = 0 a unit of US 'user' output needs a fixed quantity of
    # 'crit', and the capped CN exports are the whole US supply, so US user output
    # (quantity: producer value over the unit-cost change) falls to the cap's share.
    baseline = _two_by_two(0.0)
    # Exact Leontief is the hardest case for the solver (the user's demand for the input
    # moves little with its price), so it gets more iterations than the default.
    eq = solve(baseline, _capped(baseline, share), max_steps=400)
    user, us = 0, 0
    quantity = float(eq.producer_flow_sni[user, :, us].sum() / eq.c_hat_sn[user, us])
    base = float(baseline.flow_sni[user, :, us].sum())
    assert quantity / base == pytest.approx(share, rel=1e-9)
    assert float(eq.cap_rate_k[0]) > 0  # the cap binds, with a positive rent


def test_with_substitution_the_same_cap_costs_less_output() -> None:
    # sigma > 0 lets the user economise on the input: output falls by less than the cap.
    share = 0.5
    quantity = {}
    for sigma in (0.0, 0.5, 1.0):
        baseline = _two_by_two(sigma)
        eq = solve(baseline, _capped(baseline, share), max_steps=400)
        quantity[sigma] = float(
            eq.producer_flow_sni[0, :, 0].sum()
            / eq.c_hat_sn[0, 0]
            / baseline.flow_sni[0, :, 0].sum()
        )
    assert quantity[0.0] == pytest.approx(share, rel=1e-9)
    assert quantity[0.0] < quantity[0.5] < quantity[1.0] <= 1.0


def _critical_synthetic(sigma: float) -> Baseline:
    base = synthetic_baseline(4, 5, seed=3)
    return eqx.tree_at(
        lambda b: (b.critical_s, b.sigma),
        base,
        (jnp.array([False, False, True, False, True]), jnp.asarray(sigma)),
        is_leaf=lambda x: x is None,
    )


@pytest.mark.parametrize("sigma", [0.0, 0.3, 2.0])
def test_the_ces_cost_share_law_and_unit_cost_hold_at_the_solution(sigma: float) -> None:
    # Independent NumPy evaluation of the CES at the solved prices: the unit-cost
    # change solves c^(1-s) = (1-S) B^(1-s) + sum_k g_k P_k^(1-s), each critical share
    # is g_k (P_k / c)^(1-s), and the shares still sum to one.
    baseline = _critical_synthetic(sigma)
    tau = baseline.tau_sni.at[2].multiply(3.0).at[:, 0, 1].add(0.4)
    eq = solve(baseline, dataclasses.replace(no_shock(baseline), tau_sni=tau))
    g_va = np.asarray(baseline.gamma_va_sn)
    g_io = np.asarray(baseline.gamma_io_nsk)
    crit = np.asarray(baseline.critical_s)
    P, c, w = np.asarray(eq.P_hat_sn), np.asarray(eq.c_hat_sn), np.asarray(eq.w_hat_n)
    rho = 1.0 - sigma
    for n in range(4):
        for s in range(5):
            S = g_io[n, s, crit].sum()
            log_B = (
                g_va[s, n] * np.log(w[n]) + (g_io[n, s, ~crit] * np.log(P[~crit, n])).sum()
            ) / (1 - S)
            ces = (1 - S) * np.exp(rho * log_B) + (g_io[n, s, crit] * P[crit, n] ** rho).sum()
            assert c[s, n] ** rho == pytest.approx(ces, rel=1e-10)
            expected = g_io[n, s, crit] * (P[crit, n] / c[s, n]) ** rho
            np.testing.assert_allclose(
                np.asarray(eq.gamma_io_nsk)[n, s, crit], expected, rtol=1e-10
            )
            total = float(eq.gamma_va_sn[s, n] + eq.gamma_io_nsk[n, s].sum())
            assert total == pytest.approx(1.0, abs=1e-12)


def test_gradients_through_the_ces_nest_match_finite_differences() -> None:
    # Implicit derivatives of US-like welfare in one tariff and in sigma itself.
    base = _critical_synthetic(0.3)
    shock = no_shock(base)

    def welfare(tariff: jax.Array, sigma: jax.Array) -> jax.Array:
        b = eqx.tree_at(lambda x: x.sigma, base, sigma)
        played = dataclasses.replace(shock, tau_sni=shock.tau_sni.at[2, 0, 1].set(tariff))
        eq = solve_differentiable(b, played)
        return region_outcomes(b, played, eq).welfare_n[0]

    point = (jnp.asarray(0.5), jnp.asarray(0.3))
    grads = jax.grad(welfare, argnums=(0, 1))(*point)
    h = 1e-5
    fd_tariff = (welfare(point[0] + h, point[1]) - welfare(point[0] - h, point[1])) / (2 * h)
    fd_sigma = (welfare(point[0], point[1] + h) - welfare(point[0], point[1] - h)) / (2 * h)
    assert float(grads[0]) == pytest.approx(float(fd_tariff), rel=1e-5, abs=1e-10)
    assert float(grads[1]) == pytest.approx(float(fd_sigma), rel=1e-5, abs=1e-10)
    assert abs(float(grads[1])) > 1e-8  # sigma does matter here


def test_a_ban_on_a_leontief_input_without_other_supply_cannot_be_solved() -> None:
    # Cutting the only supply of an input the user cannot do without would need an
    # infinite price: the solver stops and says so rather than report a number.
    baseline = _two_by_two(0.0)
    with pytest.raises(NonConvergenceError):
        solve(baseline, _capped(baseline, 1e-9), max_steps=60)


def test_capacity_limits_bound_output_outside_the_controller() -> None:
    # Without a limit the rest of the world replaces China's capped magnets; with one,
    # its output stays at the limit and the cap's price effect is far larger.
    scenario = truce.load_scenario("rare-earth-controls")
    result = truce.run("default", scenario)
    sectors = result.sectors.set_index(["region", "sector"])
    rows = result.measures.set_index("index")
    capacity = [m.index for m in scenario.measures if m.kind == "capacity"]
    assert capacity and all(bool(rows.at[i, "binding"]) for i in capacity)
    outside = [r for r in result.regions["region"] if r != "CHN"]
    for region in outside:
        # 1.1 x base output, the scenario's limit (a binding limit holds with equality).
        assert sectors.at[(region, "C27.magnets"), "output_pct"] == pytest.approx(10.0, abs=1e-6)
    # The chokepoint shows in prices and cost shares before it shows in welfare.
    us = sectors.loc["USA"]
    assert us.at["C27.magnets", "price_pct"] > 100.0
    assert (us["critical_share_pct"] >= us["critical_share_base_pct"] - 1e-12).all()


def test_sectors_table_accounts_for_every_region_factor() -> None:
    # Employment shares of each region's sectors sum to 100 before and after.
    result = truce.run("default", "busan-deal")
    shares = result.sectors.groupby("region")[["employment_base_pct", "employment_pct"]].sum()
    np.testing.assert_allclose(shares.to_numpy(), 100.0, rtol=1e-9)


def test_a_failed_solve_names_the_constraints_in_force() -> None:
    # Three iterations cannot solve rare-earth-controls: the error names its caps and
    # capacity limits with their lines, and what to try.
    with pytest.raises(NonConvergenceError) as caught:
        truce.run("default", "rare-earth-controls", max_steps=3)
    message = str(caught.value)
    scenario = truce.load_scenario("rare-earth-controls")
    for m in scenario.measures:
        if m.kind in ("export_cap", "capacity"):
            assert f"measure #{m.index} ({m.kind}, share {m.share:g}) at " in message
            assert f"rare-earth-controls.yaml:{m.line_of('share')}" in message
    assert "--sigma" in message


def test_the_report_lists_the_sectors_that_lose_most_output() -> None:
    # The report's sector section: its first US row is the US sector whose real output
    # falls most (from the result's own table), and it says what the answer rests on.
    from truce.report import render

    scenario = truce.load_scenario("rare-earth-cut-80")
    world = truce.load_world("default")
    result = truce.run(world, scenario)
    html = render.render_html(result, scenario=scenario, world=world)
    section = html.split('<section id="sectors">')[1].split("</section>")[0]
    us = result.sectors[result.sectors["region"] == "USA"].sort_values("output_pct")
    first_row = section.split("USA: the sectors that lose most output")[1].split("<tr>")[2]
    code = us["sector"].iloc[0]
    assert f'<td class="text">{code} {result.names["sectors"][code]}</td>' in first_row
    assert "Critical inputs: the users whose cost share rises most" in section
    assert "sigma" in section and "critical-sigma" in section


def test_sigma_draws_solve_each_draw_as_a_point_solve() -> None:
    # The batched draws with a drawn sigma equal point solves of the same (theta, sigma).
    from truce.model.draws import solve_draws

    base = _critical_synthetic(0.3)
    shock = dataclasses.replace(no_shock(base), tau_sni=base.tau_sni.at[4].add(0.5))
    thetas = jnp.stack([base.theta_s, base.theta_s * 1.2])
    sigmas = jnp.array([0.05, 0.8])
    batch = solve_draws(base, shock, thetas, sigma_d=sigmas)
    for d in range(2):
        b = eqx.tree_at(lambda x: (x.theta_s, x.sigma), base, (thetas[d], sigmas[d]))
        eq = solve(b, shock)
        np.testing.assert_allclose(batch.equilibrium.w_hat_n[d], eq.w_hat_n, rtol=1e-10)
        np.testing.assert_allclose(batch.equilibrium.P_hat_sn[d], eq.P_hat_sn, rtol=1e-10)


def test_elasticity_draws_draw_sigma_too() -> None:
    # On a world with critical inputs, --draws also draws sigma (the catalogue's 0.1,
    # standard error 0.2, kept >= 0), and the welfare band covers sigma's influence.
    result = truce.run("default", "rare-earth-cut-80", draws=24, seed=3, elasticities="cp")
    info = result.extra["draws"]["sigma"]
    assert info["mean"] == 0.1 and info["se"] == 0.2
    assert 0.0 <= info["p05"] < 0.1 < info["p95"]
    us = result.regions.set_index("region").loc["USA"]
    assert us["welfare_pct_p05"] < us["welfare_pct_p50"] < us["welfare_pct_p95"]


def test_a_sigma_the_run_sets_is_held_fixed_in_draws() -> None:
    result = truce.run(
        "default", "rare-earth-cut-80", draws=4, seed=3, elasticities="cp", sigma=0.1
    )
    assert "sigma" not in result.extra["draws"]
