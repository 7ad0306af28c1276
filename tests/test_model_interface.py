"""A model added through the interface alone (docs/adding-a-model.md).

The toy model below is Armington with fixed factor prices: one sector, no input-output
linkages, every region's wage and spending held, so a change in bilateral costs
``d̂_ni`` (trade costs times the change in one plus the tariff) moves only the price
index and the trade shares:

    λ'_ni = λ_ni d̂_ni^−θ / Σ_k λ_nk d̂_nk^−θ,   P̂_n = (Σ_k λ_nk d̂_nk^−θ)^(−1/θ),

and welfare is 1/P̂_n (tariff revenue is not returned).  It is registered with
:func:`truce.model.registry.register_model` and run through ``truce.run``, draws and a
tariff war, with no other change to truce.  The checks are closed forms: welfare equals
the Arkolakis–Costinot–Rodríguez-Clare formula λ̂_nn^(−1/θ) read off the result's own
trade table; a region whose costs do not change is unchanged; with a zero standard error
every percentile is the point; and since a tariff only raises the setter's own prices,
the Nash tariffs of the toy are zero.
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from jaxtyping import Array, Float

import truce
from truce.api import wars
from truce.data.world import World
from truce.model.baseline import Baseline, Shock
from truce.model.interface import (
    Calibration,
    Outcomes,
    Prepared,
    Solved,
    TradeModel,
    WelfareOfTariffs,
    no_constraints,
)
from truce.model.registry import model_names, register_model, unregister_model
from truce.policy.parse import parse_scenario

NAME = "armington-toy"
THETA = 4.0
#: Closed forms hold to rounding.
ATOL = 1e-10


def _changes(baseline: Baseline, tau_sni: Array, cost_sni: Array, theta: Array):
    """Trade shares, price index and flows after the cost change, with a wage of one."""
    d_hat = cost_sni[0] * (1.0 + tau_sni[0]) / (1.0 + baseline.tau_sni[0])
    weights = baseline.pi_sni[0] * d_hat**-theta
    total = weights.sum(axis=1)
    shares = weights / total[:, None]
    price_hat = total ** (-1.0 / theta)
    flows = shares * baseline.X_sn[0][:, None] / (1.0 + tau_sni[0])
    return price_hat, flows


class ArmingtonToy(TradeModel):
    """Armington with fixed factor prices (see the module docstring)."""

    name: ClassVar[str] = NAME
    measure_kinds: ClassVar[frozenset[str]] = frozenset({"tariff", "trade_cost"})
    rebates: ClassVar[tuple[str, ...]] = ("none",)
    closes_deficits: ClassVar[bool] = False

    def unfit(self, baseline: Baseline) -> str | None:
        if len(baseline.sectors) != 1:
            return f"the {NAME} model has one sector"
        return None

    def calibrate(self, baseline: Baseline, *, rebate: str) -> Calibration:
        return Calibration(baseline=baseline, data=None, rebate=rebate)

    def prepare(self, calibration: Calibration, *, zero_deficits: bool, max_steps: int) -> Prepared:
        return Prepared(calibration=calibration, base=calibration.baseline)

    def _outcomes(self, baseline: Baseline, shock: Shock, theta: Array) -> Outcomes:
        price_hat, flows = _changes(baseline, shock.tau_sni, shock.cost_sni, theta)
        caps, floors = no_constraints()
        return Outcomes(
            regions=baseline.regions,
            sectors=baseline.sectors,
            region_fields=("welfare_pct", "price_index_pct"),
            region_values=jnp.stack([100.0 * (1.0 / price_hat - 1.0), 100.0 * (price_hat - 1.0)]),
            trade_fields=("counterfactual",),
            trade_values=flows[None, None],
            cap_rate_k=caps,
            floor_rate_f=floors,
        )

    def solve(
        self, prepared: Prepared, shock: Shock, *, max_steps: int, initial: Any = None
    ) -> Solved:
        zero = jnp.asarray(0)
        return Solved(
            state=None,
            converged=jnp.asarray(True),
            iterations=zero,
            residual=jnp.asarray(0.0),
            jacobians=zero,
        )

    def outcomes(self, prepared: Prepared, shock: Shock, solved: Solved) -> Outcomes:
        return self._outcomes(prepared.base, shock, prepared.base.theta_s[0])

    def solve_draws(
        self,
        prepared: Prepared,
        shock: Shock,
        theta_ds: Float[Array, "d s"],
        *,
        point: Solved,
        max_steps: int,
    ) -> tuple[Outcomes, Solved]:
        thetas = jnp.asarray(theta_ds)[:, 0]
        outcomes = jax.vmap(lambda t: self._outcomes(prepared.base, shock, t))(thetas)
        d = thetas.shape[0]
        solved = Solved(
            state=None,
            converged=jnp.ones(d, dtype=bool),
            iterations=jnp.zeros(d, dtype=int),
            residual=jnp.zeros(d),
            jacobians=jnp.zeros(d, dtype=int),
        )
        return outcomes, solved

    def welfare_of_tariffs(self, calibration: Calibration) -> WelfareOfTariffs:
        baseline = calibration.baseline

        def evaluate(tau_sni: Array) -> tuple[Array, Array, Array]:
            price_hat, _ = _changes(baseline, tau_sni, jnp.ones_like(tau_sni), baseline.theta_s[0])
            return 100.0 * (1.0 / price_hat - 1.0), jnp.asarray(True), jnp.asarray(0.0)

        return evaluate


@pytest.fixture
def toy():
    model = ArmingtonToy()
    register_model(model)
    yield model
    unregister_model(NAME)


@pytest.fixture(scope="module")
def world() -> World:
    regions = ["A", "B", "C"]
    flows = np.array([[60.0, 12.0, 8.0], [10.0, 70.0, 9.0], [7.0, 11.0, 50.0]])
    rows = [
        {"exporter": e, "importer": i, "sector": "G", "value": flows[a, b], "tariff": 0.0}
        for a, e in enumerate(regions)
        for b, i in enumerate(regions)
    ]
    return World(
        name="three",
        year=2023,
        currency="USD",
        description="Three countries, one sector, no tariffs.",
        sources=("made up for the tests",),
        regions=pd.DataFrame({"region": regions, "name": regions}),
        sectors=pd.DataFrame({"sector": ["G"], "name": ["goods"], "theta": [THETA]}),
        trade=pd.DataFrame(rows),
        value_added=pd.DataFrame({"region": regions, "sector": "G", "value": flows.sum(axis=1)}),
    )


SCENARIO = """\
name: toy
measures:
  - kind: trade_cost
    by: A
    on: B
    factor: 1.3
  - kind: tariff
    by: B
    on: [A, C]
    rate: 0.2
"""


def test_a_registered_model_runs_a_scenario(toy, world) -> None:
    result = truce.run(world, parse_scenario(SCENARIO), model=NAME)
    assert result.model == NAME
    # The model's own fields, with the money every model's results carry (a dollar world).
    assert list(result.regions.columns) == [
        "region",
        "welfare_pct",
        "welfare_usd_bn",
        "price_index_pct",
    ]
    assert list(result.measures["index"]) == [0, 1]
    trade = result.trade.set_index(["exporter", "importer"])
    welfare = result.regions.set_index("region")["welfare_pct"]
    for region in ("A", "B", "C"):
        # ACR: welfare = λ̂_nn^(−1/θ); with spending held, λ̂_nn is the change in the
        # domestic flow.
        domestic = trade.loc[(region, region)]
        acr = (domestic["counterfactual"] / domestic["baseline"]) ** (-1.0 / THETA)
        assert welfare[region] == pytest.approx(100.0 * (acr - 1.0), abs=ATOL)
    # C's costs do not change: nothing moves for it.
    assert welfare["C"] == pytest.approx(0.0, abs=ATOL)
    assert welfare["A"] < 0 and welfare["B"] < 0


def test_the_model_says_what_it_supports(toy, world) -> None:
    capped = SCENARIO + "  - kind: export_cap\n    by: A\n    on: B\n    share: 0.5\n"
    with pytest.raises(truce.ScenarioError) as error:
        truce.run(world, parse_scenario(capped, "toy.yaml"), model=NAME)
    message = str(error.value)
    assert "toy.yaml:11" in message and NAME in message and "caliendo-parro" in message
    with pytest.raises(truce.ScenarioError, match="deficits: zero"):
        truce.run(world, parse_scenario("name: z\noptions:\n  deficits: zero\n"), model=NAME)


def test_draws_band_the_model_with_no_change_to_truce(toy, world) -> None:
    scenario = parse_scenario(SCENARIO)
    fixed = pd.DataFrame({"sector": ["G"], "estimate": ["G"], "se": [0.0]})
    point = truce.run(world, scenario, model=NAME, draws=5, theta_se=fixed)
    for column in ("welfare_pct", "price_index_pct"):
        for suffix in ("p05", "p50", "p95"):
            np.testing.assert_allclose(point.regions[f"{column}_{suffix}"], point.regions[column])
    spread = pd.DataFrame({"sector": ["G"], "estimate": ["G"], "se": [0.5]})
    drawn = truce.run(world, scenario, model=NAME, draws=40, seed=3, theta_se=spread).regions
    assert (drawn["welfare_pct_p05"] <= drawn["welfare_pct_p50"] + ATOL).all()
    assert (drawn["welfare_pct_p50"] <= drawn["welfare_pct_p95"] + ATOL).all()


def test_a_tariff_war_on_the_model(toy, world, tmp_path) -> None:
    # A tariff raises only its setter's prices here, so each best response is free trade.
    result = wars.war(world, ("A", "B"), model=NAME, uniform=True)
    np.testing.assert_allclose(result.rates["rate"], 0.0, atol=1e-8)


def test_an_unregistered_model_is_unknown(world) -> None:
    assert NAME not in model_names()
    with pytest.raises(truce.ScenarioError, match=f"unknown model '{NAME}'"):
        truce.run(world, parse_scenario(SCENARIO), model=NAME)
    with pytest.raises(ValueError, match="built-in"):
        unregister_model("caliendo-parro")
