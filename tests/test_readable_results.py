"""Numbers a reader understands: the base every result states, results measured against
another scenario, money figures, names beside codes, and consoles 80 columns wide.

Each expected number is an identity (a run against itself changes nothing; against
another run it is the ratio of the two runs' hats), a hand computation from a world's
own tables, or a closed form; the test says which.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from test_world import tiny_tables
from typer.testing import CliRunner

from truce import api
from truce.cli import _common
from truce.cli.main import app
from truce.data.world import World, check_world
from truce.errors import InputError, ScenarioError
from truce.report import charts
from truce.report.against import REGION_DROPPED, REGION_RATIOS, relative_pct
from truce.report.money import usd_bn_per_unit

TOL = 1e-9

SMALL_A = """
name: small-a
measures:
  - kind: tariff
    by: A
    on: B
    sectors: [G]
    rate: 0.5
    mode: set
"""
SMALL_B = SMALL_A.replace("small-a", "small-b").replace("rate: 0.5", "rate: 0.05")

#: Households of the small world's regions (made up, like the world).
HOUSEHOLDS = {"A": 2.0e6, "B": 4.0e6}


def small_world() -> World:
    """test_world's hand-balanced two-region world, with household counts."""
    tables = tiny_tables()
    households = pd.DataFrame(
        {"region": list(HOUSEHOLDS), "source": "made up", "households": list(HOUSEHOLDS.values())}
    )
    return check_world(
        World(
            name="tiny",
            year=2020,
            currency="USD million",
            description="Two regions, two sectors.",
            sources=("made up",),
            tariffs="made up",
            households=households,
            **tables,  # type: ignore[arg-type]
        )
    )


@pytest.fixture(scope="module")
def world() -> World:
    return small_world()


@pytest.fixture(scope="module")
def runs(world: World) -> dict[str, api.Result]:
    a = api.scenario_from_text(SMALL_A)
    b = api.scenario_from_text(SMALL_B)
    return {
        "a": api.run(world, a),
        "b": api.run(world, b),
        "a-b": api.run(world, a, against=b),
        "a-a": api.run(world, a, against=a),
    }


# ------------------------------------------------------------------------------ base


def test_every_result_states_its_base(runs: dict[str, api.Result]) -> None:
    assert runs["a"].base["kind"] == "world"
    assert runs["a"].base["tariffs"] == "made up"
    assert "world tiny" in runs["a"].base["text"]
    assert runs["a-b"].base["kind"] == "scenario"
    assert runs["a-b"].base["scenario"] == "small-b"
    document = runs["a-b"].to_dict()
    assert document["base"]["text"].startswith("scenario small-b")
    assert document["names"]["sectors"] == {"G": "Goods", "V": "Services"}


# --------------------------------------------------------------------------- against


def test_against_is_the_ratio_of_the_two_runs(runs: dict[str, api.Result]) -> None:
    """Identity: A against B is 100 (x̂_A / x̂_B − 1) of the two runs from the base."""
    a, b, ab = (runs[k].regions.set_index("region") for k in ("a", "b", "a-b"))
    compared = [c for c in a.columns if c in REGION_RATIOS]
    assert "welfare_pct" in compared and "real_wage_pct" in compared
    for column in compared:
        expected = relative_pct(a[column].to_numpy(), b[column].to_numpy())
        np.testing.assert_allclose(ab[column].to_numpy(), expected, rtol=0, atol=TOL)
    # A's own welfare is not the difference of percentages (the tariff moves welfare).
    assert (
        abs(ab.loc["A", "welfare_pct"] - (a.loc["A", "welfare_pct"] - b.loc["A", "welfare_pct"]))
        > 1e-6
    )
    # Fields without a ratio form are left out, not reported as differences.
    assert not REGION_DROPPED & set(ab.columns)
    # Money against B is money against the base minus B's.
    np.testing.assert_allclose(
        ab["welfare_usd_bn"], a["welfare_usd_bn"] - b["welfare_usd_bn"], rtol=0, atol=TOL
    )
    np.testing.assert_allclose(
        ab["tariff_revenue_change"], a["tariff_revenue"] - b["tariff_revenue"], rtol=0, atol=TOL
    )


def test_against_trade_and_sectors_use_the_other_run(runs: dict[str, api.Result]) -> None:
    key = ["exporter", "importer", "sector"]
    ab = runs["a-b"].trade.set_index(key)
    b = runs["b"].trade.set_index(key)
    a = runs["a"].trade.set_index(key)
    np.testing.assert_allclose(ab["baseline"], b.loc[ab.index, "counterfactual"], rtol=1e-12)
    np.testing.assert_allclose(ab["counterfactual"], a.loc[ab.index, "counterfactual"], rtol=1e-12)
    # quantity / baseline is A's volume over B's.
    ratio = (a["quantity"] / a["baseline"]) / (b["quantity"] / b["baseline"])
    np.testing.assert_allclose(ab["quantity"] / ab["baseline"], ratio.loc[ab.index], rtol=1e-10)
    skey = ["region", "sector"]
    sa, sb, sab = (runs[k].sectors.set_index(skey) for k in ("a", "b", "a-b"))
    np.testing.assert_allclose(
        sab["output_pct"], relative_pct(sa["output_pct"], sb["output_pct"]), atol=TOL
    )
    np.testing.assert_allclose(sab["employment_base_pct"], sb["employment_pct"], atol=TOL)
    # The average tariffs run from B's rates to A's.
    pair = runs["a-b"].tariffs.set_index(["importer", "exporter"]).loc[("A", "B")]
    assert (pair["before_pct"], pair["after_pct"]) == pytest.approx((5.0, 50.0), abs=1e-9)


def test_a_run_against_itself_changes_nothing(runs: dict[str, api.Result]) -> None:
    """Identity: x̂_A / x̂_A = 1 for every field, and no money moves."""
    same = runs["a-a"].regions
    for column in same.columns:
        if column.endswith("_pct") or column in ("welfare_usd_bn", "tariff_revenue_change"):
            np.testing.assert_allclose(same[column], 0.0, rtol=0, atol=TOL, err_msg=column)
    trade = runs["a-a"].trade
    np.testing.assert_allclose(trade["counterfactual"], trade["baseline"], rtol=1e-12)


def test_against_under_draws_bands_the_ratio(world: World) -> None:
    """Identity under every draw: A against A is zero in every percentile; the
    percentiles of A against B bracket its point, which the point run gives."""
    se = pd.DataFrame({"sector": ["G", "V"], "estimate": ["G", "V"], "se": [1.0, 1.0]})
    a = api.scenario_from_text(SMALL_A)
    b = api.scenario_from_text(SMALL_B)
    same = api.run(world, a, against=a, draws=16, seed=3, theta_se=se).regions
    for column in ("welfare_pct_p05", "welfare_pct_p95", "welfare_usd_bn_p50"):
        np.testing.assert_allclose(same[column], 0.0, atol=TOL, err_msg=column)
    drawn = api.run(world, a, against=b, draws=16, seed=3, theta_se=se).regions.set_index("region")
    point = api.run(world, a, against=b).regions.set_index("region")
    np.testing.assert_allclose(drawn["welfare_pct"], point["welfare_pct"], atol=TOL)
    assert (drawn["welfare_pct_p05"] <= drawn["welfare_pct_p95"]).all()


def test_timeline_against_each_phase(world: World) -> None:
    """Each phase of a timeline against B is that phase's run against B."""
    dated = SMALL_A.replace("mode: set", "mode: set\n    start: 2025-03-01")
    spec = api.scenario_from_text(dated)
    other = api.scenario_from_text(SMALL_B)
    timeline = api.timeline(world, spec, against=other)
    assert timeline.base["kind"] == "scenario"
    b = api.run(world, other).regions.set_index("region")
    for phase in timeline.phases:
        alone = api.run(world, spec, date=phase.result.date).regions.set_index("region")
        expected = relative_pct(alone["welfare_pct"].to_numpy(), b["welfare_pct"].to_numpy())
        got = phase.result.regions.set_index("region")["welfare_pct"].to_numpy()
        np.testing.assert_allclose(got, expected, atol=TOL)
    # One block of average tariffs per phase: each importer on its partner and on all.
    assert timeline.tariffs.groupby("phase").size().tolist() == [4, 4]


def test_against_refuses_another_base(world: World) -> None:
    a = api.scenario_from_text(SMALL_A)
    zero = api.scenario_from_text(
        SMALL_B.replace("name: small-b", "name: z\noptions:\n  deficits: zero")
    )
    with pytest.raises(InputError, match="different bases"):
        api.run(world, a, against=zero)


# ----------------------------------------------------------------------------- money


def test_money_against_hand_computations(world: World, runs: dict[str, api.Result]) -> None:
    """Welfare in dollars is the welfare change times base national expenditure (value
    added + tariff revenue + deficit, from the world's tables by hand); revenue change is
    the new tariff times the new flow minus the base revenue."""
    trade = world.trade
    va = world.value_added.groupby("region")["value"].sum()
    foreign = trade[trade["exporter"] != trade["importer"]]
    revenue = (foreign["value"] * foreign["tariff"]).groupby(foreign["importer"]).sum()
    deficit = (
        foreign.groupby("importer")["value"].sum() - foreign.groupby("exporter")["value"].sum()
    )
    income = va + revenue + deficit
    assert income.to_dict() == pytest.approx({"A": 77.0, "B": 84.0})  # final demand by hand
    regions = runs["a"].regions.set_index("region")
    usd_bn = regions["welfare_pct"] / 100.0 * income * 1e-3  # USD million → bn
    np.testing.assert_allclose(regions["welfare_usd_bn"], usd_bn.loc[regions.index], rtol=1e-12)
    per_household = usd_bn * 1e9 / pd.Series(HOUSEHOLDS)
    np.testing.assert_allclose(
        regions["welfare_usd_per_household"], per_household.loc[regions.index], rtol=1e-12
    )
    flows = runs["a"].trade.set_index(["exporter", "importer", "sector"])["counterfactual"]
    after_a = 0.5 * flows.loc[("B", "A", "G")]
    after_b = 0.1 * flows.loc[("A", "B", "G")]
    assert regions.loc["A", "tariff_revenue_change"] == pytest.approx(after_a - 2.0, abs=1e-12)
    assert regions.loc["B", "tariff_revenue_change"] == pytest.approx(after_b - 2.0, abs=1e-12)
    tariffs = runs["a"].tariffs.set_index(["importer", "exporter"])
    assert tariffs.loc[("A", "B"), "before_pct"] == pytest.approx(20.0)
    assert tariffs.loc[("A", "B"), "after_pct"] == pytest.approx(50.0)
    assert tariffs.loc[("B", "all"), "after_pct"] == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("currency", "factor"),
    [("USD million", 1e-3), ("USD thousand", 1e-6), ("US$ billion", 1.0), ("EUR million", None)],
)
def test_currencies_in_dollars(currency: str, factor: float | None) -> None:
    assert usd_bn_per_unit(currency) == factor


# ----------------------------------------------------------------------------- names


def test_names_and_codes_select_the_same_cells(world: World) -> None:
    by_code = api.run(world, api.scenario_from_text(SMALL_A)).regions
    named = SMALL_A.replace("by: A", "by: aland").replace("[G]", "[goods]")
    by_name = api.run(world, api.scenario_from_text(named)).regions
    pd.testing.assert_frame_equal(by_code, by_name)


def test_an_unknown_sector_suggests_names(world: World) -> None:
    text = SMALL_A.replace("[G]", "[good]")
    with pytest.raises(ScenarioError, match=r"unknown sector 'good'; did you mean G \(Goods\)"):
        api.run(world, api.scenario_from_text(text))
    default = api.load_world("default")
    electronics = """
name: e
measures:
  - kind: tariff
    by: USA
    on: CHN
    sectors: [electronics]
    rate: 0.1
"""
    with pytest.raises(ScenarioError, match=r"did you mean C26 \(Computer, electronic"):
        api.check(default, api.scenario_from_text(electronics))


# ---------------------------------------------------------------------------- charts

METADATA = ("Title", "Scenario", "Date", "Base", "Source")


def test_every_chart_carries_its_metadata(
    tmp_path, runs: dict[str, api.Result], world: World
) -> None:
    result = runs["a-b"]
    for name, figure in charts.plotly_figures(result, world.currency, "made up").items():
        meta = figure.layout.meta
        assert set(METADATA) <= set(meta), name
        assert meta["Scenario"] == "small-a" and meta["Base"].startswith("scenario small-b")
        assert "small-b" in figure.layout.title.text  # the subtitle says it too
        assert any("Source: truce" in a.text for a in figure.layout.annotations), name
    from truce.report import render

    written = render.write_figures(tmp_path, charts.matplotlib_figures(result, world.currency))
    from PIL import Image

    for path in written:
        text = Image.open(path).text  # the PNG's text chunks, read back
        assert set(METADATA) <= set(text), path.name
        assert text["Scenario"] == "small-a" and "small-b" in text["Base"]
    spec = api.scenario_from_text(SMALL_A)
    html = render.render_html(result, scenario=spec, world=world)
    # Read back from the report: every chart's layout carries its metadata.
    metas = re.findall(r'"meta":\{"Title":"([^"]*)","Scenario":"small-a"', html)
    assert len(metas) == len(charts.plotly_figures(result, world.currency)) and all(metas)


def test_timeline_charts_use_a_date_axis(world: World) -> None:
    dated = SMALL_A.replace("mode: set", "mode: set\n    start: 2025-03-01\n    end: 2025-03-02")
    timeline = api.timeline(world, api.scenario_from_text(dated))
    figure = charts.timeline_plotly_figures(timeline)["timeline-welfare"]
    assert figure.layout.xaxis.type == "date"
    trace = figure.data[0]
    # The one-day phase is one day wide on the axis.
    days = sorted({str(x) for x in trace.x})
    assert "2025-03-01" in days and "2025-03-02" in days
    assert set(charts.timeline_plotly_figures(timeline)) >= {"timeline-welfare"}


# --------------------------------------------------------------------------- console


def _console(monkeypatch: pytest.MonkeyPatch, width: int = 80) -> Console:
    console = Console(record=True, width=width, force_terminal=False)
    monkeypatch.setattr(_common, "stdout", console)
    return console


def test_the_region_table_fits_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich's recording console at 80 columns: no line is longer, no number is cut, and
    every column left out is named."""
    result = api.run("default", "busan-deal")
    console = _console(monkeypatch)
    console.print(_common.region_table(result))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    usa = result.regions.set_index("region").loc["USA"]
    assert f"{usa['welfare_pct']:+.3f}" in text
    assert "US$ bn" in text and "changes against world default" in text
    assert "left out at this width" in text


def test_bands_are_compact_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    result = api.run("cp2015", "cp2015-nafta", draws=8, seed=1)
    console = _console(monkeypatch)
    console.print(_common.region_table(result))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    row = result.regions.iloc[0]
    band = (
        f"{row['welfare_pct']:+.2f} [{row['welfare_pct_p05']:+.2f}, {row['welfare_pct_p95']:+.2f}]"
    )
    assert band.replace("-0.00", "+0.00") in text.replace("-0.00", "+0.00")


def test_run_against_on_the_command_line(tmp_path) -> None:
    out = CliRunner().invoke(
        app,
        ["run", "busan-deal", "--against", "truce-collapse", "--no-store", "--format", "json"],
    )
    assert out.exit_code == 0, out.output
    document = json.loads(out.stdout[out.stdout.index("{") :])
    assert document["base"]["scenario"] == "truce-collapse"
    assert all("tot_pct" not in row for row in document["regions"])


def test_average_tariffs_match_an_independent_computation() -> None:
    """Independent implementation: the US tariff on Chinese goods in force on a day,
    from the compiled scenario's tariff array weighted by the world's 2022 flows (every
    sector but services), as scripts/validation.py measures it for the Budget Lab row."""
    from truce.data.calibrate import world_to_baseline
    from truce.policy.compile import compile_scenario_full

    day = pd.Timestamp("2026-08-24").date()
    world = api.load_world("default")
    scenario = api.load_scenario("us-china-2025-2026")
    result = api.run(world, scenario, date=day)
    baseline = world_to_baseline(api.with_products(world, scenario))
    shock = compile_scenario_full(scenario, baseline, date=day).shock
    regions = list(baseline.regions)
    n, i = regions.index("USA"), regions.index("CHN")
    goods = [k for k, s in enumerate(baseline.sectors) if s != "SVC"]
    flow = np.asarray(baseline.flow_sni)[goods, n, i]
    for tau, column in ((baseline.tau_sni, "before_pct"), (shock.tau_sni, "after_pct")):
        expected = 100 * (flow * np.asarray(tau)[goods, n, i]).sum() / flow.sum()
        got = result.tariffs.set_index(["importer", "exporter"]).loc[("USA", "CHN"), column]
        assert got == pytest.approx(expected, rel=1e-12), column


def test_the_run_command_fits_80_columns_and_names_what_binds() -> None:
    """The whole console output of `truce run` at 80 columns (the test runner's width):
    no line longer, no cut number, constraints named by their sectors' names."""
    out = CliRunner().invoke(app, ["run", "busan-deal", "--no-store"], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in out.stdout
    # A cell may wrap: the code and its name, each whole.
    assert "C27.magnets" in out.stdout and "Rare-earth permanent magnets" in out.stdout
    assert "USA on CHN" in out.stdout and "average tariff on goods" in out.stdout
