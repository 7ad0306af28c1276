"""The Python API of CONTRACTS.md §5, and the results it returns (§3).

Every run is on the built-in ``cp2015`` world.  The first solve in a process compiles
the solver (a few seconds); the others take a fraction of a second, so the runs that
several tests read are module fixtures.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import truce
from truce.policy import Options, Tariff, TradeCost

START, END = date(2025, 4, 10), date(2025, 5, 14)

MEASURES = """\
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25{dates}
  - kind: trade_cost
    by: USA
    on: MEX
    sectors: [AGR, FOD]
    factor: 1.02{dates}
"""
DATES = f"\n    start: {START}\n    end: {END}"


def scenario_text(
    name: str, deficits: str = "fixed", *, measures: bool = True, dated: bool = False
) -> str:
    head = f"name: {name}\nworld: cp2015\noptions:\n  deficits: {deficits}\n"
    return head + (MEASURES.format(dates=DATES if dated else "") if measures else "")


# CONTRACTS.md §3 fields.
REGION_FIELDS = [
    "region",
    "welfare_pct",
    "real_wage_pct",
    "nominal_wage_pct",
    "price_index_pct",
    "tariff_revenue",
    "exports_pct",
    "imports_pct",
]
TRADE_FIELDS = ["exporter", "importer", "sector", "baseline", "counterfactual"]
KEYS = ["exporter", "importer", "sector"]

# A scenario without measures reproduces the baseline (§2).  cp2015 is the model's own
# equilibrium to a residual of about 1e-13, so the "changes" are rounding: measured
# at about 6e-11 percent and 5e-12 relative in the worst cell.
PCT_ATOL = 1e-8
FLOW_RTOL = 1e-10


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("api")
    files = {
        "two.yaml": scenario_text("two"),
        "dated.yaml": scenario_text("dated", dated=True),
        "none.yaml": scenario_text("none", measures=False),
        "zero.yaml": scenario_text("zero", "zero", measures=False),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def world() -> truce.World:
    return truce.load_world("cp2015")


@pytest.fixture(scope="module")
def two(world, folder: Path) -> truce.Result:
    """A tariff and a trade-cost change, deficits fixed."""
    return truce.run(world, truce.load_scenario(folder / "two.yaml"))


@pytest.fixture(scope="module")
def none(world, folder: Path) -> truce.Result:
    """No measures, deficits fixed: the baseline itself."""
    return truce.run(world, truce.load_scenario(folder / "none.yaml"))


@pytest.fixture(scope="module")
def zero(world, folder: Path) -> truce.Result:
    """No measures, deficits closed first."""
    return truce.run(world, truce.load_scenario(folder / "zero.yaml"))


def pct_columns(frame: pd.DataFrame) -> list[str]:
    columns = [c for c in frame.columns if c.endswith("_pct")]
    assert len(columns) >= 6  # the six §3 percentage fields at least
    return columns


def nonzero_world_cells(world: truce.World) -> pd.DataFrame:
    trade = world.trade
    return trade[trade["value"] != 0]


# --------------------------------------------------------------------------- the §5 calls


def test_contract_example(world, folder: Path, tmp_path: Path) -> None:
    scenario = truce.load_scenario(folder / "two.yaml")
    assert isinstance(scenario, truce.Scenario)
    result = truce.run(world, scenario)
    assert isinstance(result, truce.Result)
    assert isinstance(result.regions, pd.DataFrame)
    assert isinstance(result.trade, pd.DataFrame)
    out = tmp_path / "deep" / "results.json"  # to_json makes the folders
    result.to_json(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["results.json"]  # no temp left
    assert json.loads(out.read_text(encoding="utf-8"))["scenario"] == "two"


def test_names_and_paths_are_accepted(two, folder: Path) -> None:
    # run() also takes a world name and a scenario path (as the CLI passes them); the
    # same inputs give bit-for-bit the same equilibrium (one deterministic CPU solve).
    again = truce.run("cp2015", str(folder / "two.yaml"))
    pd.testing.assert_frame_equal(again.regions, two.regions, check_exact=True)


def test_builtin_names() -> None:
    assert "cp2015" in truce.builtin_worlds()
    assert "cp2015-nafta" in truce.builtin_scenarios()
    nafta = truce.load_scenario("cp2015-nafta")
    assert nafta.world == "cp2015"
    assert nafta.options.deficits == "zero"


def test_regions_table(two, world) -> None:
    regions = two.regions
    # One row per region, in the world's order, with every §3 field.
    assert list(regions["region"]) == list(world.regions["region"])
    assert set(REGION_FIELDS) <= set(regions.columns)
    assert regions[REGION_FIELDS[1:]].notna().all().all()
    usa = regions.set_index("region").loc["USA"]
    # The US imposes both measures: its imports fall and it collects more tariff
    # revenue than it would without the new 25% tariff.
    assert usa["imports_pct"] < 0.0
    assert usa["tariff_revenue"] > 0.0


def test_trade_lists_every_nonzero_cell(two, world) -> None:
    trade = two.trade
    assert list(trade.columns[: len(TRADE_FIELDS)]) == TRADE_FIELDS
    assert "base" not in trade.columns  # only under deficits: zero
    cells = nonzero_world_cells(world)
    # A cell with no baseline flow has none after a tariff or trade-cost shock (its
    # trade share is zero times a finite factor), so the listed cells are exactly the
    # world's non-zero rows, domestic ones included.
    assert len(trade) == len(cells)
    assert set(map(tuple, trade[KEYS].to_numpy())) == set(map(tuple, cells[KEYS].to_numpy()))
    domestic = trade["exporter"] == trade["importer"]
    assert domestic.sum() == (cells["exporter"] == cells["importer"]).sum() > 0
    assert not trade.duplicated(KEYS).any()
    # Every listed cell has a non-zero baseline or counterfactual value (§3).
    assert ((trade["baseline"] != 0) | (trade["counterfactual"] != 0)).all()


def test_trade_baseline_is_the_worlds_own_value(two, world) -> None:
    merged = two.trade.merge(world.trade, on=KEYS, how="left", validate="one_to_one")
    np.testing.assert_array_equal(merged["baseline"].to_numpy(), merged["value"].to_numpy())


def test_measures_table(two) -> None:
    measures = two.measures
    # One row per measure in file order, 0-based; tariffs and trade costs have no
    # constraint: never binding, no equivalent rate (null in JSON) (§3).
    assert list(measures["index"]) == [0, 1]
    assert list(measures["kind"]) == ["tariff", "trade_cost"]
    assert list(measures["binding"]) == [False, False]
    assert list(measures["equivalent_rate"]) == [None, None]
    rows = two.to_dict()["measures"]
    assert [(r["index"], r["kind"], r["binding"], r["equivalent_rate"]) for r in rows] == [
        (0, "tariff", False, None),
        (1, "trade_cost", False, None),
    ]


# --------------------------------------------------------------------------- invariants


def test_no_measures_reproduces_the_baseline(none) -> None:
    regions = none.regions
    np.testing.assert_allclose(regions[pct_columns(regions)].to_numpy(), 0.0, rtol=0, atol=PCT_ATOL)
    trade = none.trade
    np.testing.assert_allclose(trade["counterfactual"], trade["baseline"], rtol=FLOW_RTOL, atol=0)
    assert none.measures.empty


def test_zero_deficits(zero, world) -> None:
    trade = zero.trade
    assert "base" in trade.columns
    # `baseline` stays the world's own value, bit for bit (§3) ...
    merged = trade.merge(world.trade, on=KEYS, how="left", validate="one_to_one")
    np.testing.assert_array_equal(merged["baseline"].to_numpy(), merged["value"].to_numpy())
    assert len(trade) == len(nonzero_world_cells(world))
    # ... while `base` is the zero-deficit equilibrium: closing cp2015's deficits moves
    # flows (some cells by far more than 1%), so the columns are not the same numbers.
    moved = np.abs(trade["base"] / trade["baseline"] - 1.0)
    assert moved.max() > 0.01
    # With no measures the counterfactual is the zero-deficit base itself, and every
    # *_pct is relative to that base, so all are zero (to the solver's rounding).
    np.testing.assert_allclose(trade["counterfactual"], trade["base"], rtol=FLOW_RTOL, atol=0)
    regions = zero.regions
    np.testing.assert_allclose(regions[pct_columns(regions)].to_numpy(), 0.0, rtol=0, atol=PCT_ATOL)


def test_python_scenario_runs_like_its_file(world, two) -> None:
    scenario = truce.Scenario(
        name="two",
        options=Options(deficits="fixed"),
        measures=(
            Tariff(by="USA", on="CHN", rate=0.25),
            TradeCost(by="USA", on="MEX", sectors=("AGR", "FOD"), factor=1.02),
        ),
    )
    result = truce.run(world, scenario)
    # Same measures, same world, same compiled solve: the same numbers.
    pd.testing.assert_frame_equal(result.regions, two.regions, check_exact=True)
    pd.testing.assert_frame_equal(result.trade, two.trade, check_exact=True)
    assert list(result.measures["index"]) == [0, 1]


def test_scenario_errors_through_run(world, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(scenario_text("bad").replace("on: MEX", "on: XXX"), encoding="utf-8")
    with pytest.raises(truce.ScenarioError) as info:
        truce.run(world, truce.load_scenario(path))
    # `on: XXX` is line 12 of the file; the message reads PATH:LINE: key KEY: ... (§2)
    assert str(info.value).startswith(f"{path}:12: key on: unknown region 'XXX'")
    assert isinstance(info.value, truce.InputError)


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("on", "applies"),
    [
        (START, True),  # start <= date: in force on its first day
        (END - timedelta(days=1), True),  # its last day
        (END, False),  # date < end: no longer in force on the end date
        (START - timedelta(days=1), False),  # not yet
    ],
    ids=["start", "last-day", "end", "day-before-start"],
)
def test_date_applies_start_not_end(
    world, folder: Path, two, none, on: date, applies: bool
) -> None:
    result = truce.run(world, truce.load_scenario(folder / "dated.yaml"), date=on)
    # In force: the undated scenario's equilibrium; not in force: the baseline's.
    expected = two if applies else none
    pd.testing.assert_frame_equal(result.regions, expected.regions, check_exact=True)
    pd.testing.assert_frame_equal(result.trade, expected.trade, check_exact=True)
    assert list(result.measures["in_force"]) == [applies, applies]
    assert result.date == on
    assert result.to_dict()["date"] == on.isoformat()


# --------------------------------------------------------------------------- JSON


def test_json_round_trips_at_full_precision(two, tmp_path: Path) -> None:
    path = two.to_json(tmp_path / "r.json")
    loaded = json.loads(path.read_text(encoding="utf-8"))
    # Python floats print as their shortest round-tripping repr, so reading the file
    # back gives the very same numbers: equality, not closeness.
    assert loaded == two.to_dict()
    welfare = [row["welfare_pct"] for row in loaded["regions"]]
    assert welfare == two.regions["welfare_pct"].tolist()
    flows = [row["counterfactual"] for row in loaded["trade"]]
    assert flows == two.trade["counterfactual"].tolist()
    # The check has teeth: writing 12 significant digits would change these numbers.
    assert any(float(f"{x:.12g}") != x for x in welfare + flows)
    assert all(math.isfinite(x) for x in welfare + flows)


def test_json_has_the_contract_fields(two) -> None:
    doc = two.to_dict()
    assert {
        "scenario",
        "world",
        "date",
        "model",
        "solver",
        "regions",
        "trade",
        "measures",
    } <= doc.keys()
    assert doc["world"] == "cp2015" and doc["date"] is None
    assert doc["solver"]["converged"] is True
    assert all(set(REGION_FIELDS) <= row.keys() for row in doc["regions"])
    assert all(set(TRADE_FIELDS) <= row.keys() for row in doc["trade"])


# --------------------------------------------------------------------------- failure


def test_nonconvergence_raises_and_nothing_is_written(world, folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    with pytest.raises(truce.NonConvergenceError) as info:
        result = truce.run(world, truce.load_scenario(folder / "two.yaml"), max_steps=1)
        result.to_json(out)  # never reached
    error = info.value
    assert isinstance(error, truce.ModelError) and not isinstance(error, truce.InputError)
    # One step per solve cannot solve anything, directly or by continuation: every
    # solve along the walk is counted, and none of the shock was solved.
    assert error.iterations > 1 and error.reached == 0.0
    assert error.residual > 1e-10  # above the solver's tolerance (10 x 1e-11)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_check_says_what_run_would_say_without_solving(tmp_path) -> None:
    # Every built-in scenario passes on its own world, for a run and for each phase of a
    # timeline; a code the world lacks gives run's very message.
    for name in truce.api.builtin_scenarios():
        scenario = truce.load_scenario(name)
        # A dated path without as_of needs a day for a run (see test_scenario_library).
        day = scenario.as_of or min((m.start for m in scenario.measures if m.start), default=None)
        truce.api.check(scenario.world, scenario, date=day)
        truce.api.check(scenario.world, scenario, every_phase=True)
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nworld: default\nmeasures:\n  - kind: tariff\n    by: USA\n    on: XYZ\n"
        "    rate: 0.1\n"
    )
    with pytest.raises(truce.ScenarioError) as by_run:
        truce.run("default", path)
    with pytest.raises(truce.ScenarioError) as by_check:
        truce.api.check("default", path)
    assert str(by_check.value) == str(by_run.value)
    # Draws need standard errors, which baci2023 does not have.
    with pytest.raises(truce.InputError) as no_se:
        truce.api.check("baci2023", "ld-case1", draws=5)
    with pytest.raises(truce.InputError) as by_run_draws:
        truce.run("baci2023", "ld-case1", draws=5)
    assert str(no_se.value) == str(by_run_draws.value)
