"""The US-China scenario library and the product catalogue.

Every built-in scenario of the library parses and compiles on the ``default`` world, and
every rate, share, value and date in its file carries a source key or the word
"assumption" in a comment on its line.  Two scenarios are solved (busan-deal and
truce-collapse) and checked against what theory says about their signs; the soybean
floor's report is checked against its own slack; the catalogue's split preserves every
total; the dated path's phases come in date order and two of them equal a plain run on
their day.  Solves share module fixtures (a few seconds each on the default world).
"""

from __future__ import annotations

import datetime
import itertools
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import truce
from truce.api import with_products
from truce.cli.main import app
from truce.data.calibrate import world_to_baseline
from truce.data.catalogue import (
    CATALOGUE,
    CHINA_SHARE_OF_MAGNETS,
    DEFAULT_A01_USA_CHN,
    DEFAULT_C26_USA_CHN,
    DEFAULT_OUTPUT,
    US_SOYBEAN_EXPORTS_TO_CHINA_2022,
)
from truce.data.products import split_products
from truce.policy.compile import change_dates, compile_scenario_full
from truce.policy.groups import is_service
from truce.policy.spec import ImportFloor

LIBRARY = (
    "geneva-truce",
    "truce-collapse",
    "threat-100",
    "rare-earth-controls",
    "busan-deal",
    "scotus-2026",
    "us-china-2025-2026",
    "cliff-extension",
    "cliff-snapback",
    "beijing-summit-2026",
)
FOLDER = resources.files("truce") / "builtin" / "scenarios"
# Keys whose values are numbers or dates that must carry a source or an assumption.
SOURCED_KEYS = (
    "rate",
    "share",
    "value",
    "factor",
    "fee_per_net_ton",
    "net_tons_per_million",
    "affected_share",
    "start",
    "end",
)
SOURCE_OR_ASSUMPTION = re.compile(r"\[S[0-9]+[a-z]?[],]|assumption", re.IGNORECASE)
RUNNER = CliRunner(env={"COLUMNS": "400"})


@pytest.fixture(scope="module")
def world() -> truce.World:
    return truce.load_world("default")


@pytest.fixture(scope="module")
def busan(world) -> truce.Result:
    return truce.run(world, "busan-deal")


@pytest.fixture(scope="module")
def collapse(world) -> truce.Result:
    return truce.run(world, "truce-collapse")


def _text(name: str) -> str:
    return (FOLDER / f"{name}.yaml").read_text(encoding="utf-8")


def _goods(trade: pd.DataFrame, exporter: str, importer: str, column: str) -> float:
    rows = trade[
        (trade["exporter"] == exporter)
        & (trade["importer"] == importer)
        & ~trade["sector"].map(lambda code: is_service(code, True))
    ]
    return float(rows[column].sum())


# --- the files --------------------------------------------------------------------------


def test_library_is_built_in_with_one_line_descriptions() -> None:
    listed = truce.builtin_scenarios()
    for name in LIBRARY:
        assert name in listed
        description = listed[name]
        assert "\n" not in description and 40 < len(description) < 320, name
    result = RUNNER.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    for name in LIBRARY:
        assert name in result.stdout


@pytest.mark.parametrize("name", LIBRARY)
def test_every_value_has_a_source_or_an_assumption(name: str) -> None:
    # Read the YAML text: every sourced key inside the measures carries a comment on its
    # own line that names a source key [Sxx] or says "assumption".
    lines = _text(name).splitlines()
    own = [m for m in truce.load_scenario(name).measures if m.path is None]
    start = next((k for k, line in enumerate(lines) if line.startswith("measures:")), None)
    if start is None:  # a file that only extends another (and picks its day)
        assert not own
        return
    checked = 0
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        match = re.match(r"\s+(\w+):\s*(.*)$", line)
        if match is None or match.group(1) not in SOURCED_KEYS:
            continue
        value, _, comment = match.group(2).partition("#")
        assert value.strip(), f"{name}.yaml:{number}: {match.group(1)} has no value"
        assert SOURCE_OR_ASSUMPTION.search(comment), (
            f"{name}.yaml:{number}: {match.group(1)} has no source key or assumption in "
            f"its comment: {line.strip()}"
        )
        checked += 1
    # At least a rate or share or value and a start date per measure of the file's own
    # (those it extends are checked in their own file).
    assert checked >= 2 * len(own)


@pytest.mark.parametrize("name", LIBRARY)
def test_parses_and_compiles_on_default(name: str, world) -> None:
    scenario = truce.load_scenario(name)
    assert scenario.world == "default"
    assert scenario.measures
    split = with_products(world, scenario)
    baseline = world_to_baseline(split)
    for measure in scenario.measures:
        if measure.product is not None:
            assert any(s.endswith("." + measure.product) for s in baseline.sectors)
    # Undated, and on every day the measures in force change.
    for day in (None, *change_dates(scenario)):
        compiled = compile_scenario_full(scenario, baseline, date=day)
        assert compiled.shock.tau_sni.shape[0] == len(baseline.sectors)


def test_layers_are_additions_on_the_world(world) -> None:
    # The world carries the 2018-19 tariffs: the library adds its layers on top.  Two
    # exceptions set a cell to MFN: US soybeans in China (the facts' exclusion assumption
    # [S78]) and the Board of Trade's cuts of beijing-summit-2026 [S267].
    for name in LIBRARY:
        for measure in truce.load_scenario(name).measures:
            if getattr(measure, "mode", "add") == "add":
                continue
            assert measure.mode == "set", (name, measure.index)
            soybeans = (measure.product, measure.rate) == ("soybeans", 0.03)
            board_of_trade = name == "beijing-summit-2026" and measure.start == datetime.date(
                2026, 6, 1
            )
            assert soybeans or board_of_trade, (name, measure.index)


# --- the product catalogue --------------------------------------------------------------


def test_catalogue_entries_carry_sources() -> None:
    for name, entries in CATALOGUE.items():
        for product in entries:
            assert product.code == name
            assert len(product.source) > 100
            shares = [product.default_share, *product.shares.values()]
            assert all(0 <= s <= 1 for s in shares)


def test_split_preserves_totals(world) -> None:
    products = [p for entries in CATALOGUE.values() for p in entries]
    split = split_products(world, products)
    subs = {p.sub_sector: p.sector for p in products}
    keys = ["exporter", "importer", "sector"]
    merged = split.trade.assign(sector=split.trade["sector"].replace(subs))
    before = world.trade.groupby(keys)["value"].sum()
    after = merged.groupby(keys)["value"].sum().reindex(before.index)
    np.testing.assert_allclose(after, before, rtol=1e-12)
    va = split.value_added.assign(sector=split.value_added["sector"].replace(subs))
    va_before = world.value_added.groupby(["region", "sector"])["value"].sum()
    va_after = va.groupby(["region", "sector"])["value"].sum().reindex(va_before.index)
    np.testing.assert_allclose(va_after, va_before, rtol=1e-12)
    assert len(split.sectors) == len(world.sectors) + len(products)


def test_soybean_share_is_the_usda_value_over_the_world_flow(world) -> None:
    flow = world.trade.set_index(["exporter", "importer", "sector"])["value"]
    assert flow[("USA", "CHN", "A01")] == pytest.approx(DEFAULT_A01_USA_CHN, abs=0.01)
    split = split_products(world, CATALOGUE["soybeans"])
    soy = split.trade.set_index(["exporter", "importer", "sector"])["value"]
    assert soy[("USA", "CHN", "A01.soybeans")] == pytest.approx(
        US_SOYBEAN_EXPORTS_TO_CHINA_2022, rel=1e-4
    )


def test_critical_product_sizes_are_the_world_flows_they_quote(world) -> None:
    # The catalogue's figures from the default world (US$ million, 2022) are its flows,
    # and China's share of the split magnets sub-sector is the facts' 94% [S52].
    trade = world.trade
    for (sector, whose), value in DEFAULT_OUTPUT.items():
        rows = trade[trade["sector"] == sector]
        china = rows["exporter"] == "CHN"
        selected = {
            "CHN": china,
            "CHN exports": china & (rows["importer"] != "CHN"),
            "rest": ~china,
        }[whose]
        assert rows.loc[selected, "value"].sum() == pytest.approx(value, abs=1.0), (sector, whose)
    flow = trade.set_index(["exporter", "importer", "sector"])["value"]
    assert flow[("USA", "CHN", "C26")] == pytest.approx(DEFAULT_C26_USA_CHN, abs=0.1)
    split = split_products(world, CATALOGUE["magnets"])
    magnets = split.trade[split.trade["sector"] == "C27.magnets"]
    china_share = magnets.loc[magnets["exporter"] == "CHN", "value"].sum() / magnets["value"].sum()
    assert china_share == pytest.approx(CHINA_SHARE_OF_MAGNETS, abs=1e-3)


def test_unknown_product_is_a_scenario_error(world, tmp_path: Path) -> None:
    path = tmp_path / "tofu.yaml"
    path.write_text(
        "name: tofu\nmeasures:\n  - kind: tariff\n    by: CHN\n    on: USA\n"
        "    sectors: A01\n    product: tofu\n    rate: 0.1\n"
    )
    with pytest.raises(truce.ScenarioError, match="unknown product 'tofu'") as info:
        truce.run(world, path)
    assert info.value.key == "product" and info.value.line == 7


def test_results_carry_sub_sector_codes(busan) -> None:
    assert "A01.soybeans" in set(busan.trade["sector"])
    assert "A01" in set(busan.trade["sector"])


# --- solved scenarios -------------------------------------------------------------------


def test_busan_and_collapse_solve_to_tight_residuals(busan, collapse) -> None:
    assert busan.solver.residual < 1e-9 and collapse.solver.residual < 1e-9


def _tariffs(world, scenario: str, date, importer: str, exporter: str, sector: str):
    """The world's tariff on a cell and the scenario's in force on ``date``."""
    spec = truce.load_scenario(scenario)
    split = with_products(world, spec)
    baseline = world_to_baseline(split)
    shock = compile_scenario_full(spec, baseline, date=date).shock
    s = list(split.sectors["sector"]).index(sector)
    regions = list(split.regions["region"])
    n, i = regions.index(importer), regions.index(exporter)
    return float(baseline.tau_sni[s, n, i]), float(shock.tau_sni[s, n, i])


def _added_tariff(world, scenario: str, date, importer: str, exporter: str, sector: str) -> float:
    """The scenario's tariff on a cell in force on ``date`` minus the world's."""
    before, after = _tariffs(world, scenario, date, importer, exporter, sector)
    return after - before


@pytest.mark.parametrize(
    ("scenario", "date", "rate"),
    [
        # The facts' soybean table [S78]: 13% from 10 November 2025 (3% MFN + 10%).
        ("busan-deal", datetime.date(2025, 11, 10), 0.13),
        # 14 May - 9 November 2025: 23% (3% + 10% + the March 10%), here 24.5% because
        # the March farm tariff enters the crop cell at its weighted 11.5% (see the file).
        ("geneva-truce", datetime.date(2025, 6, 1), 0.03 + 0.10 + 0.115),
        # Before any 2025 layer: the MFN rate, the 2018-19 lines taken as excluded.
        ("us-china-2025-2026", datetime.date(2025, 1, 20), 0.03),
    ],
)
def test_chinas_tariff_on_us_soybeans_follows_the_facts(world, scenario, date, rate) -> None:
    _, soybeans = _tariffs(world, scenario, date, "CHN", "USA", "A01.soybeans")
    assert soybeans == pytest.approx(rate, abs=1e-12)


def test_a_lapse_restores_the_suspended_24_points_not_the_april_rates(world) -> None:
    # Facts §2-3 [S18, S19]: Geneva removed the April increases beyond 34% and suspended
    # 24 points of each side's 34%.  A lapse on 10 November 2025 restores those 24
    # points: US 34% reciprocal + 20% fentanyl = 54%; China 34%.  Chemicals (C20) carry
    # none of the product tariffs of February and March 2025 or carve-outs.
    lapse = datetime.date(2025, 11, 10)
    us = _added_tariff(world, "truce-collapse", lapse, "USA", "CHN", "C20")
    china = _added_tariff(world, "truce-collapse", lapse, "CHN", "USA", "C20")
    assert us == pytest.approx(0.20 + 0.34, abs=1e-12)
    assert china == pytest.approx(0.34, abs=1e-12)
    # The day before, the Geneva state: 30% and 10%.
    before = lapse - datetime.timedelta(days=1)
    assert _added_tariff(world, "truce-collapse", before, "USA", "CHN", "C20") == pytest.approx(
        0.30, abs=1e-12
    )
    assert _added_tariff(world, "truce-collapse", before, "CHN", "USA", "C20") == pytest.approx(
        0.10, abs=1e-12
    )


def test_collapse_cuts_trade_both_ways(collapse, busan) -> None:
    # Tariffs of 54% and 34% on top of the 2018-19 rates: each side imports less from
    # the other than in the baseline, and less than under the lower Busan tariffs.
    for exporter, importer in (("CHN", "USA"), ("USA", "CHN")):
        base = _goods(collapse.trade, exporter, importer, "baseline")
        after = _goods(collapse.trade, exporter, importer, "counterfactual")
        assert after < base
        assert after < _goods(busan.trade, exporter, importer, "counterfactual")
    regions = collapse.regions.set_index("region")
    # Both sides lose from a mutual tariff war of this size.
    assert regions.loc["USA", "welfare_pct"] < 0 and regions.loc["CHN", "welfare_pct"] < 0


def test_soybean_floor_reports_binding_consistently_with_its_slack(busan) -> None:
    scenario = truce.load_scenario("busan-deal")
    floor = next(m for m in scenario.measures if isinstance(m, ImportFloor))
    row = busan.measures.set_index("index").loc[floor.index]
    cell = busan.trade[
        (busan.trade["exporter"] == "USA")
        & (busan.trade["importer"] == "CHN")
        & (busan.trade["sector"] == "A01.soybeans")
    ]
    quantity = float(cell["quantity"].iloc[0])
    # The floor always holds; it binds iff its subsidy equivalent is positive, and then
    # the quantity sits on the floor.
    assert quantity >= floor.value * (1 - 1e-9)
    assert row["binding"] == (row["equivalent_rate"] > 1e-9)
    if row["binding"]:
        assert quantity == pytest.approx(floor.value, rel=1e-8)
    else:
        assert row["equivalent_rate"] == 0.0


# --- the dated path ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def path(world) -> truce.TimelineResult:
    return truce.timeline(world, "us-china-2025-2026")


def test_timeline_phases_are_in_date_order(path) -> None:
    phases = path.phases
    assert phases[0].start is None and phases[-1].end is None
    for a, b in itertools.pairwise(phases):
        assert a.end == b.start
        assert a.end is not None and (a.start is None or a.start < a.end)
    labels = [p.label for p in phases]
    assert "2025-05-14 to 2025-06-10" in labels  # Geneva
    assert any(label.startswith("2026-02-24") for label in labels)  # Section 122
    # Every phase is named, and the path runs through 2026.
    names = {p.start: p.name for p in phases}
    assert all(names.values()), [p.label for p in phases if not p.name]
    assert names[datetime.date(2025, 5, 14)] == "Geneva truce"
    assert names[datetime.date(2025, 11, 10)] == "Busan deal"
    assert names[datetime.date(2026, 2, 24)].startswith("IEEPA struck down")
    assert names[datetime.date(2026, 7, 24)].startswith("Section 122 lapses")
    assert max(p.start for p in phases if p.start and p.start.year == 2026).month == 12


@pytest.mark.parametrize("start", ["2025-05-14", "2026-02-24"])
def test_timeline_phase_equals_run_on_its_day(path, world, start: str) -> None:
    phase = next(p for p in path.phases if p.start is not None and p.start.isoformat() == start)
    alone = truce.run(world, "us-china-2025-2026", date=phase.start)
    np.testing.assert_allclose(
        phase.result.regions["welfare_pct"], alone.regions["welfare_pct"], rtol=0, atol=1e-8
    )
    pd.testing.assert_frame_equal(phase.result.measures, alone.measures)


# --- the undated-run rule ----------------------------------------------------------------


def test_an_undated_run_of_a_dated_scenario_without_as_of_stops() -> None:
    # The path has dated measures and no as_of: every measure at once never existed.
    result = RUNNER.invoke(app, ["run", "us-china-2025-2026", "--no-store"])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "--date" in message and "truce timeline us-china-2025-2026" in message


def test_an_undated_run_solves_the_files_as_of_day(world) -> None:
    scenario = truce.load_scenario("truce-collapse")
    assert scenario.as_of == datetime.date(2025, 11, 10)
    undated = truce.run(world, scenario)
    dated = truce.run(world, scenario, date=scenario.as_of)
    assert undated.date == scenario.as_of
    pd.testing.assert_frame_equal(undated.regions, dated.regions)


def test_a_date_with_nothing_in_force_says_so(world) -> None:
    result = truce.run(world, "busan-deal", date=datetime.date(2024, 1, 1))
    (note,) = result.extra["notes"]
    assert "nothing in scenario busan-deal is in force on 2024-01-01" in note
    np.testing.assert_allclose(result.regions["welfare_pct"], 0.0, atol=1e-9)
    assert "notes" in result.to_dict()
    cli = RUNNER.invoke(app, ["run", "busan-deal", "--date", "2024-01-01", "--no-store"])
    assert cli.exit_code == 0 and "nothing in scenario busan-deal" in " ".join(cli.output.split())


def test_the_2026_layers_follow_the_facts(world) -> None:
    # us-china-2026.md: IEEPA void from 24 February 2026 [S225]; Section 122 at 10% from
    # 24 February to 23 July [S233]; the forced-labour 12.5% from 24 July [S274, S278];
    # China's 10% kept [S236].  Chemicals (C20) carry no product layer in 2026 but
    # polysilicon's 0.15 points from 4 December.
    def us(day):
        return _added_tariff(world, "us-china-2025-2026", day, "USA", "CHN", "C20")

    assert us(datetime.date(2026, 1, 1)) == pytest.approx(0.10 + 0.10, abs=1e-12)
    assert us(datetime.date(2026, 2, 24)) == pytest.approx(0.10, abs=1e-12)
    assert us(datetime.date(2026, 7, 23)) == pytest.approx(0.10, abs=1e-12)
    assert us(datetime.date(2026, 7, 24)) == pytest.approx(0.125, abs=1e-12)
    assert us(datetime.date(2026, 12, 4)) == pytest.approx(0.125 + 0.0015, abs=1e-12)
    china = _added_tariff(
        world, "us-china-2025-2026", datetime.date(2026, 8, 1), "CHN", "USA", "C20"
    )
    assert china == pytest.approx(0.10, abs=1e-12)


# --- the cliff of 10 November 2026 ----------------------------------------------------


def test_the_cliff_branches_share_the_path_and_part_on_the_day(world) -> None:
    extension = truce.load_scenario("cliff-extension")
    snapback = truce.load_scenario("cliff-snapback")
    path = truce.load_scenario("us-china-2025-2026")
    assert extension.as_of == snapback.as_of == datetime.date(2026, 11, 10)
    # Extension is the path on the day; snap-back adds what returns, from that day only.
    assert extension.measures == path.measures
    assert snapback.measures[: len(path.measures)] == path.measures
    added = snapback.measures[len(path.measures) :]
    assert added and all(m.start == datetime.date(2026, 11, 10) for m in added)
    # China's suspended 24 points return (34% in all), not the US's (void since IEEPA).
    day = datetime.date(2026, 11, 10)
    assert _added_tariff(world, "cliff-snapback", day, "CHN", "USA", "C20") == pytest.approx(
        0.34, abs=1e-12
    )
    assert _added_tariff(world, "cliff-extension", day, "CHN", "USA", "C20") == pytest.approx(
        0.10, abs=1e-12
    )


def test_a_snap_back_costs_both_sides_more_than_an_extension(world) -> None:
    # Every returning measure taxes or restricts US-China trade, so both lose more.
    extension = truce.run(world, "cliff-extension").regions.set_index("region")
    snapback = truce.run(world, "cliff-snapback").regions.set_index("region")
    for region in ("USA", "CHN"):
        assert snapback.loc[region, "welfare_pct"] < extension.loc[region, "welfare_pct"] < 0
    compared = RUNNER.invoke(app, ["compare", "cliff-extension", "cliff-snapback", "--no-store"])
    assert compared.exit_code == 0, compared.output
    assert "cliff-snapback" in compared.stdout


def test_scenarios_lists_world_day_and_dates_and_shows_a_file() -> None:
    listed = RUNNER.invoke(app, ["scenarios"])
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.stdout.splitlines() if "│ truce-collapse" in line)
    assert "default" in row and "2025-11-10" in row
    path_row = next(line for line in listed.stdout.splitlines() if "│ us-china-2025-2026" in line)
    assert "a date needed" in path_row
    shown = RUNNER.invoke(app, ["scenarios", "show", "busan-deal"])
    assert shown.exit_code == 0
    assert shown.stdout == _text("busan-deal")
    missing = RUNNER.invoke(app, ["scenarios", "show", "no-such"])
    assert missing.exit_code == 2 and "unknown scenario 'no-such'" in missing.output


def test_the_summit_cuts_reach_mfn_and_leave_the_rest(world) -> None:
    # Board of Trade cuts "to MFN or lower" [S267] on the assumed cells: the cell's rate is
    # the world's 2021 rate less the trade-war layers its tariff_layers table lists.
    layers = world.tariff_layers
    trade = world.trade.set_index(["exporter", "importer", "sector"])["tariff"]

    def mfn(exporter: str, importer: str, sector: str) -> float:
        rows = layers[
            (layers["exporter"] == exporter)
            & (layers["importer"] == importer)
            & (layers["sector"] == sector)
        ]
        return float(trade[(exporter, importer, sector)] - (rows["added"] * rows["share"]).sum())

    day = datetime.date(2026, 8, 1)
    for exporter, importer, sector in (("CHN", "USA", "C22"), ("USA", "CHN", "C10T12")):
        _, after = _tariffs(world, "beijing-summit-2026", day, importer, exporter, sector)
        assert after == pytest.approx(mfn(exporter, importer, sector), abs=5e-5)
    # Elsewhere the path's layers stay: China's 10% on chemicals, the US 12.5% on them.
    assert _added_tariff(world, "beijing-summit-2026", day, "CHN", "USA", "C20") == pytest.approx(
        0.10, abs=1e-12
    )
    assert _added_tariff(world, "beijing-summit-2026", day, "USA", "CHN", "C20") == pytest.approx(
        0.125, abs=1e-12
    )
    # Before the cut the path's state holds in every cut cell.
    before = datetime.date(2026, 5, 31)
    for importer, exporter, sector in (("CHN", "USA", "C10T12"), ("USA", "CHN", "C22")):
        assert _tariffs(world, "beijing-summit-2026", before, importer, exporter, sector) == (
            _tariffs(world, "us-china-2025-2026", before, importer, exporter, sector)
        )
