"""Tariff games (issue: optimal, Nash and bargained tariffs with exact gradients).

Where the expected numbers come from:

- The optimal uniform tariff of the ``ilms2025`` model, t* = 1/((1 + δ ε) φ − 1) with
  δ = Σ_n (1 − ν_n) X_in (1 − λ_in) / ((1 − ν_i) Σ_n X_ni) (MODELS.md §2; the paper's
  Proposition 2), evaluated at the optimum's own equilibrium: a closed form.  It is the
  exact optimum of the model when labour supply is inelastic (κ = 0) and there are two
  countries; with elastic labour (κ > 0) or more countries the formula leaves out
  margins the model has, and the tests check optimality directly instead (the gradient
  vanishes, and the optimum beats the formula's rate).
- Symmetry: in a world of two identical countries the Nash tariffs are equal and, with
  no tax distortion left for tariffs to correct (revenue rebated lump-sum), free trade is
  the efficient and symmetric bargain.
- Nash equilibrium: no player gains by deviating alone (searched afresh), and the same
  tariffs are found from different starting points.
- The written scenario, run by ``truce run``, gives the welfare the game found.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from truce import api
from truce.api import wars
from truce.cli.main import app
from truce.data.world import World, write_world
from truce.errors import InputError
from truce.games import TariffPlan, bargain, best_response, model_economy, nash
from truce.model import ilms
from truce.model.baseline import baseline_from_flows
from truce.model.ilms2025 import Ilms2025, IlmsBase
from truce.model.interface import Calibration
from truce.policy.parse import parse_scenario


def two_countries(flows: np.ndarray, nu: float = 0.0, kappa: float = 0.5, rebate=ilms.LUMP_SUM):
    data = ilms.data_from_flows(jnp.asarray(flows), jnp.full(2, nu))
    params = ilms.default_params(data)
    params = type(params)(
        eps=params.eps, kappa=jnp.asarray(kappa), psi=params.psi, phi_i=params.phi_i
    )
    baseline = baseline_from_flows(
        regions=("A", "B"),
        sectors=("G",),
        flow_sni=np.asarray(flows, dtype=float).T[None],
        tau_sni=np.zeros((1, 2, 2)),
        va_sn=np.asarray(flows, dtype=float).sum(axis=1)[None],
        io_nks=np.zeros((2, 1, 1)),
        theta_s=np.asarray([float(params.eps)]),
    )
    # No start inverse: each solve computes its own Jacobian.
    calibrated = Calibration(baseline=baseline, data=IlmsBase(data, params, None), rebate=rebate)
    economy = model_economy(Ilms2025(), calibrated)
    plan = TariffPlan.war(("A", "B"), ("G",), ("A", "B"), ("G",), uniform=True)
    return data, params, economy, plan


SYMMETRIC = np.array([[80.0, 20.0], [20.0, 80.0]])


def closed_form_at(data, params, economy, rates, country: int) -> float:
    """1/((1 + δ ε) φ − 1) with δ from the equilibrium at ``rates``."""
    n = data.E_i.shape[0]
    t_ji = np.zeros((n, n))
    t_ji[:, country] = rates
    t_ji[country, country] = 0.0
    eq = ilms.outcomes(data, jnp.asarray(t_ji), params, rebate=ilms.LUMP_SUM, tol=1e-13)
    X = np.asarray(eq.X_ji)
    spending = (X * (1.0 + t_ji)).sum(axis=0)
    lam = X * (1.0 + t_ji) / spending[None, :]
    nu = np.asarray(data.nu_i)
    foreign = ~np.eye(n, dtype=bool)
    exports = (X[country] * (1.0 - nu) * (1.0 - lam[country]))[foreign[country]].sum()
    imports = X[:, country][foreign[:, country]].sum()
    delta = exports / ((1.0 - nu[country]) * imports)
    phi = float(ilms.phi_for(nu[country], float(params.eps)))
    return 1.0 / ((1.0 + delta * float(params.eps)) * phi - 1.0)


@pytest.mark.parametrize("nu", [0.0, 0.12])
def test_optimal_uniform_tariff_is_the_closed_form(nu) -> None:
    flows = np.array([[70.0, 20.0], [20.0, 120.0]])  # balanced, countries of unequal size
    data, params, economy, plan = two_countries(flows, nu=nu, kappa=0.0)
    assert np.abs(np.asarray(data.T_i)).max() < 1e-12
    response = best_response(economy, plan, np.zeros((2, 1)), 0, tol=1e-8)
    found = float(response.rates[0])
    assert found == pytest.approx(closed_form_at(data, params, economy, found, 0), abs=1e-6)
    assert response.gradient <= 1e-8


def test_us_optimal_uniform_tariff_on_baci2023() -> None:
    g = wars.game("baci2023", ["USA", "CHN"], uniform=True)
    plan = TariffPlan.war(
        g.plan.regions, g.plan.sectors, ["USA", "CHN"], g.plan.choice_sectors, uniform=True,
        everyone=True,
    )  # fmt: skip
    response = best_response(g.economy, plan, np.zeros((2, 1)), 0)
    us = plan.regions.index("USA")
    # Optimality: the gradient vanishes and the optimum beats the formula's rate at the
    # base data (21.8%, the ld-optimal-us-tariff scenario).
    assert response.gradient <= 1e-5
    ready_data = api.run(g.world, "ld-optimal-us-tariff").regions.set_index("region")
    assert response.welfare[us] > ready_data.loc["USA", "welfare_pct"]
    assert 0.2 < float(response.rates[0]) < 0.3


@pytest.mark.parametrize("rebate", [ilms.LUMP_SUM, ilms.INCOME_TAX])
def test_nash_of_identical_countries_is_symmetric_and_found_from_two_starts(rebate) -> None:
    _, _, economy, plan = two_countries(SYMMETRIC, rebate=rebate)
    # A tight search (1e-8 welfare points per unit of tariff) for 1e-7 agreement in rates.
    first = nash(economy, plan, tol=1e-8)
    second = nash(economy, plan, start=np.array([[1.5], [0.0]]), tol=1e-8)
    assert first.rates[0, 0] == pytest.approx(first.rates[1, 0], abs=1e-7)
    assert first.rates[0, 0] > 0.05  # a war: tariffs well above free trade
    np.testing.assert_allclose(second.rates, first.rates, atol=1e-6)
    assert np.all(first.deviation_gains <= 1e-8)  # welfare points; none worth having
    # Rates agree to 1e-7; welfare moves about 10 points per unit of the other's rate.
    assert first.welfare[0] == pytest.approx(first.welfare[1], abs=1e-5)


def test_bargain_between_identical_countries_is_free_trade() -> None:
    _, _, economy, plan = two_countries(SYMMETRIC)
    war_outcome = nash(economy, plan)
    rates, welfare = bargain(economy, plan, war_outcome.welfare, tol=1e-8)
    np.testing.assert_allclose(rates, 0.0, atol=1e-7)
    np.testing.assert_allclose(welfare, 0.0, atol=1e-7)  # the base is free trade
    assert np.all(welfare > war_outcome.welfare)


def test_a_tariff_cut_is_jointly_efficient_only_without_rebate_distortions() -> None:
    # With revenue cutting a distorting income tax, some tariff is jointly efficient:
    # the bargain is positive (and still symmetric).
    _, _, economy, plan = two_countries(SYMMETRIC, rebate=ilms.INCOME_TAX)
    rates, _ = bargain(economy, plan, nash(economy, plan).welfare)
    # Symmetric within the searches' precision (1e-5 welfare points per unit of tariff).
    assert rates[0, 0] == pytest.approx(rates[1, 0], abs=2e-5) and rates[0, 0] > 1e-3


def small_world(tmp_path: Path, model: str | None) -> Path:
    regions = ["A", "B", "C"]
    flows = np.array([[60.0, 12.0, 8.0], [10.0, 70.0, 9.0], [7.0, 11.0, 50.0]])
    rows = [
        {"exporter": e, "importer": i, "sector": "G", "value": flows[a, b], "tariff": 0.0}
        for a, e in enumerate(regions)
        for b, i in enumerate(regions)
    ]
    world = World(
        name="three",
        year=2023,
        currency="USD",
        description="Three countries, one sector, no tariffs.",
        sources=("made up for the tests",),
        model=model,
        regions=pd.DataFrame({"region": regions, "name": regions}),
        sectors=pd.DataFrame({"sector": ["G"], "name": ["goods"], "theta": [4.0]}),
        trade=pd.DataFrame(rows),
        value_added=pd.DataFrame({"region": regions, "sector": "G", "value": flows.sum(axis=1)}),
    )
    folder = tmp_path / "three"
    write_world(world, folder)
    return folder


def test_war_scenario_reproduces_the_games_welfare(tmp_path) -> None:
    folder = small_world(tmp_path, "ilms2025")
    result = wars.war(folder, ["A", "B"])
    scenario = parse_scenario(result.scenario.replace('world: "three"', f"world: {folder}"))
    ran = api.run(folder, scenario).regions.set_index("region")["welfare_pct"]
    found = result.welfare.set_index("region")["welfare_pct"]
    np.testing.assert_allclose(ran.to_numpy(), found.loc[ran.index].to_numpy(), atol=1e-8)
    assert set(result.rates["player"]) == {"A", "B"} and (result.rates["rate"] > 0).all()


def test_cli_war_and_talks(tmp_path) -> None:
    folder = small_world(tmp_path, "ilms2025")
    out = tmp_path / "war.yaml"
    ran = CliRunner().invoke(
        app, ["war", "--players", "A,B", "--world", str(folder), "--json", "--out", str(out)]
    )
    assert ran.exit_code == 0, ran.output
    document = json.loads(ran.stdout[ran.stdout.index("{") :])
    assert document["players"] == ["A", "B"] and set(document["welfare"]) == {"A", "B"}
    assert document["solver"]["rounds"] >= 1 and out.is_file()
    talks = CliRunner().invoke(
        app, ["talks", "--players", "A,B", "--world", str(folder), "--points", "3", "--json"]
    )
    assert talks.exit_code == 0, talks.output
    deal = json.loads(talks.stdout[talks.stdout.index("{") :])
    for p in ("A", "B"):
        assert deal["welfare"][p] >= deal["threat"][p] - 1e-9
    assert len(deal["frontier"]) == 3
    bad = CliRunner().invoke(app, ["war", "--players", "A,ZZZ", "--world", str(folder)])
    assert bad.exit_code == 2 and "ZZZ" in bad.output


# ---------------------------------------------------------- the caliendo-parro model


def identical_pair(tmp_path: Path) -> Path:
    """Two identical countries, one sector, Caliendo–Parro (no distribution, no io)."""
    regions = ["A", "B"]
    rows = [
        {"exporter": e, "importer": i, "sector": "GOODS", "value": 80.0 if e == i else 20.0,
         "tariff": 0.0}
        for e in regions
        for i in regions
    ]  # fmt: skip
    world = World(
        name="pair",
        year=2023,
        currency="USD",
        description="Two identical countries, one sector, no tariffs.",
        sources=("made up for the tests",),
        regions=pd.DataFrame({"region": regions, "name": regions}),
        sectors=pd.DataFrame({"sector": ["GOODS"], "name": ["goods"], "theta": [4.0]}),
        trade=pd.DataFrame(rows),
        value_added=pd.DataFrame({"region": regions, "sector": "GOODS", "value": [100.0, 100.0]}),
    )
    folder = tmp_path / "pair"
    write_world(world, folder)
    return folder


def test_cp_identical_countries_nash_is_symmetric_and_bargain_is_free_trade(tmp_path) -> None:
    g = wars.game(identical_pair(tmp_path), ["A", "B"])
    assert g.model == "caliendo-parro"
    first = nash(g.economy, g.plan, tol=1e-8)
    second = nash(g.economy, g.plan, start=np.array([[0.9], [0.05]]), tol=1e-8)
    assert first.rates[0, 0] == pytest.approx(first.rates[1, 0], abs=1e-6)
    assert first.rates[0, 0] > 0.05
    np.testing.assert_allclose(second.rates, first.rates, atol=1e-5)
    assert np.all(first.deviation_gains <= 1e-8)
    rates, welfare = bargain(g.economy, g.plan, first.welfare, tol=1e-8)
    # At free trade the weighted optimum's rates move with the weight to first order, and
    # the weight is found to 1e-7: free trade within that.
    np.testing.assert_allclose(rates, 0.0, atol=1e-5)
    np.testing.assert_allclose(welfare, 0.0, atol=1e-5)


def test_cp_welfare_gradient_in_the_plans_rates_matches_finite_differences() -> None:
    import jax

    g = wars.game("default", ["USA", "CHN"])
    base = jnp.asarray(g.economy.base_tariffs)
    us = g.plan.regions.index("USA")
    rates = jnp.asarray(g.plan.rates_of(g.economy.base_tariffs))

    def us_welfare(r):
        return g.economy.evaluate(g.plan.tariffs(base, r))[0][us]

    grad = np.asarray(jax.grad(us_welfare)(rates))
    # Central differences with h = 1e-5: truncation ~1e-10, and the solve's rounding
    # (tolerance 1e-12 of world income) divided by 2h stays below 1e-6.
    h = 1e-5
    for player, k in ((0, 0), (0, 17), (1, 5)):  # the US's own rates and one of China's
        up = rates.at[player, k].add(h)
        down = rates.at[player, k].add(-h)
        difference = (float(us_welfare(up)) - float(us_welfare(down))) / (2 * h)
        assert grad[player, k] == pytest.approx(difference, rel=1e-4, abs=1e-6)


@pytest.mark.parametrize(
    ("uniform", "by_partner", "size"), [(True, False, 1), (False, False, 2), (False, True, 4)]
)
def test_plan_places_each_rate_on_its_cells(uniform, by_partner, size) -> None:
    regions, sectors = ("A", "B", "C"), ("S1", "S2", "SVC")
    plan = TariffPlan.war(
        regions, sectors, ["A", "B"], ["S1", "S2"], uniform=uniform, by_partner=by_partner,
        everyone=True,
    )  # fmt: skip
    assert plan.size() == size
    base = np.full((3, 3, 3), 0.5)
    rates = np.arange(1.0, 1.0 + 2 * size).reshape(2, size)
    tau = np.asarray(plan.tariffs(jnp.asarray(base), jnp.asarray(rates)))
    index = plan.parameter_index()
    for p, player in enumerate(plan.players):
        n = regions.index(player)
        for k, (target, sector) in enumerate(plan.labels(p)):
            cells = index[p] == k
            assert np.all(tau[cells] == rates[p, k])
            # Each parameter covers exactly the cells its label names.
            on = [regions.index(t) for t in (plan.targets[p] if target == "*" else [target])]
            named = ["S1", "S2"] if sector == "*" else [sector]
            expected = np.zeros_like(cells)
            for s in named:
                expected[sectors.index(s), n, on] = True
            np.testing.assert_array_equal(cells, expected)
    untouched = (index < 0).all(axis=0)
    assert np.all(tau[untouched] == 0.5)  # services, C's own tariffs, domestic cells
    np.testing.assert_array_equal(plan.rates_of(base), np.full((2, size), 0.5))


def test_one_player_war_is_its_optimal_tariff(tmp_path) -> None:
    folder = small_world(tmp_path, "ilms2025")
    result = wars.war(folder, ["A"], uniform=True)
    g = wars.game(folder, ["A"], uniform=True)
    assert g.plan.targets == (("B", "C"),)
    direct = best_response(g.economy, g.plan, np.zeros((1, 1)), 0)
    assert float(result.rates["rate"].iat[0]) == pytest.approx(float(direct.rates[0]), abs=1e-6)
    assert result.rates["rate"].iat[0] > 0.05


@pytest.mark.parametrize("model", ["ilms2025", "caliendo-parro"])
def test_first_order_nash_equals_best_responses_in_turn(tmp_path, model) -> None:
    """Two independent routes to the Nash tariffs of three countries: every player's
    first-order conditions solved together by semismooth Newton, and best responses
    in turn (each a bounded quasi-Newton search).  They agree to 1e-6 in rates, and no
    player gains by deviating from the first-order answer."""
    from truce.games.first_order import first_order_nash

    g = wars.game(small_world(tmp_path, model), ["A", "B", "C"])
    start = g.plan.rates_of(g.economy.base_tariffs)
    found = first_order_nash(g.economy, g.plan, start, tol=1e-9)
    turns = nash(g.economy, g.plan, method="best-responses", tol=1e-9, verify=False)
    np.testing.assert_allclose(found.rates, turns.rates, atol=1e-6)
    assert found.gap <= 1e-9 and (found.rates > 0.01).all()
    checked = nash(g.economy, g.plan, method="first-order", tol=1e-9)
    np.testing.assert_allclose(checked.rates, found.rates, atol=1e-9)
    assert np.all(checked.deviation_gains <= 1e-8)
    assert np.isnan(turns.deviation_gains).all()  # verify=False searched nothing


def test_a_ceiling_below_the_optimal_tariff_binds(tmp_path) -> None:
    """--max-tariff: A's optimal tariff is above 5% (the test above); with 2% as the
    ceiling its best rate is the ceiling itself, and the CLI writes the same."""
    folder = small_world(tmp_path, "ilms2025")
    result = wars.war(folder, ["A"], uniform=True, max_tariff=0.02)
    assert float(result.rates["rate"].iat[0]) == pytest.approx(0.02, abs=1e-12)
    assert all(gain <= 1e-8 for gain in result.deviation_gains.values())
    done = CliRunner().invoke(
        app,
        ["war", "--players", "A", "--world", str(folder), "--uniform", "--max-tariff", "0.02",
         "--json"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout[done.stdout.index("{") :])
    assert document["tariffs"][0]["rate"] == pytest.approx(0.02, abs=1e-12)
    bad = CliRunner().invoke(
        app, ["war", "--players", "A", "--world", str(folder), "--max-tariff", "0"]
    )
    assert bad.exit_code == 2 and "highest tariff" in bad.stderr


def test_the_players_set_tariffs_only_in_the_sectors_named() -> None:
    g = wars.game("default", ["USA", "CHN"], sectors=["c26", "Basic iron and steel"])
    assert g.plan.choice_sectors == ("C24A", "C26") and g.plan.size() == 2
    # Every tariff outside the two sectors stays at its base level.
    index = g.plan.parameter_index()
    chosen = {g.plan.sectors[s] for s in np.argwhere(index >= 0)[:, 1]}
    assert chosen == {"C24A", "C26"}
    with pytest.raises(InputError, match="no sector 'C2x'"):
        wars.game("default", ["USA", "CHN"], sectors=["C2x"])


def test_a_war_from_the_balanced_base_is_the_run_of_its_scenario(tmp_path) -> None:
    """--deficits zero: the three countries' trade is unbalanced; the war is played from
    the base with the deficits closed, and its scenario (which says deficits: zero),
    run as any scenario, gives the same welfare: both measured against that base."""
    folder = small_world(tmp_path, "caliendo-parro")
    result = wars.war(folder, ["A", "B"], deficits="zero")
    assert "  deficits: zero" in result.scenario
    scenario = parse_scenario(result.scenario.replace('world: "three"', f"world: {folder}"))
    ran = api.run(folder, scenario).regions.set_index("region")["welfare_pct"]
    found = result.welfare.set_index("region")["welfare_pct"]
    np.testing.assert_allclose(ran.to_numpy(), found.loc[ran.index].to_numpy(), atol=1e-8)
    fixed = wars.war(folder, ["A", "B"])
    assert not np.allclose(fixed.rates["rate"], result.rates["rate"], atol=1e-4)
    with pytest.raises(InputError, match="keeps its transfers"):
        wars.game(small_world(tmp_path / "i", "ilms2025"), ["A", "B"], deficits="zero")


def test_wars_and_talks_report_their_progress_to_the_end(tmp_path) -> None:
    """The progress callbacks behind the command line's bars: a war's search steps
    (the largest gap ends below the tolerance) and its check of each player; the
    talks' units (the war, each of the 24 halvings of the weight's interval for a
    tolerance of 1e-7, each frontier point), counted up to their total."""
    folder = small_world(tmp_path, "ilms2025")
    steps, checks, stages = [], [], []
    wars.war(
        folder, ["A", "B"], uniform=True,
        progress=lambda step, gap: steps.append((step, gap)),
        checking=lambda done, players: checks.append((done, players)),
    )  # fmt: skip
    assert steps and steps[-1][1] <= 1e-5
    assert checks == [(1, 2), (2, 2)]
    wars.talks(folder, ["A", "B"], uniform=True, points=3, progress=lambda *a: stages.append(a))
    done = [d for d, _, _ in stages]
    assert done == sorted(done) and stages[-1][:2] == (1 + 24 + 3, 1 + 24 + 3)
    assert [s for _, _, s in stages][-1] == "the frontier"


def test_formula_start_rescales_the_formulas_jacobian_row_by_row():
    """From the formula's Jacobian J and g's change along every rate at once, the start
    is −diag(κ)·J; for a gradient whose Jacobian is exactly that, the start is exact
    (an identity of the construction), and a row whose κ cannot be positive keeps the
    change on its diagonal."""
    from truce.games.first_order import _scaled_rows

    J = np.array([[1.2, -0.1, 0.05], [-0.2, 0.9, 0.1], [0.3, 0.2, -0.5]])
    kappa = np.array([3.0, 0.5, 2.0])
    exact = -kappa[:, None] * J
    start = _scaled_rows(J, exact.sum(axis=1))
    np.testing.assert_allclose(start[:2], exact[:2], rtol=1e-14)
    # Row 3 sums to zero in J: no κ, so its diagonal carries the change along ones.
    np.testing.assert_array_equal(start[2], [0.0, 0.0, exact[2].sum()])


def test_a_derivative_that_is_not_finite_stops_the_war_with_an_error():
    """A game whose welfare has no derivative at the start (the square root of a rate at
    0) raises NonConvergenceError naming the derivative, in either method, rather than
    stepping on NaN."""
    from truce.errors import NonConvergenceError
    from truce.games.economy import Economy

    regions, sectors = ("A", "B"), ("G",)

    def evaluate(tau_sni):
        welfare = jnp.stack([jnp.sqrt(tau_sni[0, 0, 1]), jnp.sqrt(tau_sni[0, 1, 0])])
        return welfare, jnp.asarray(True), jnp.asarray(0.0)

    economy = Economy("sketch", regions, sectors, np.zeros((1, 2, 2)), evaluate)
    plan = TariffPlan.war(regions, sectors, regions, sectors, uniform=True)
    for method in ("first-order", "best-responses"):
        with pytest.raises(
            NonConvergenceError, match="derivative of the sketch equilibrium is not"
        ):
            nash(economy, plan, method=method, verify=False)
