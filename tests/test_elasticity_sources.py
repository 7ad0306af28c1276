"""Trade elasticities as a stated, switchable choice: the ``elasticities`` world table,
``--elasticities SOURCE`` / ``options: {elasticities: SOURCE}``, and ``all``.

The checks: a run under ``all`` gives, for each source, what a run with that source
alone gives (an independent solve of the same equations, to the solver's tolerance); a
source chosen in the scenario file equals the same source chosen on the command line;
errors name the option's line; and the builder's table is the source file's columns,
with the per-sector median taken across them (checked against NumPy on the file).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import truce
from truce.cli.main import app
from truce.data.elasticities import (
    elasticity_sources,
    se_source,
    source_thetas,
    theta_spread,
    with_source,
    with_theta_se,
)
from truce.data.world import World, check_world, write_world
from truce.policy.parse import parse_scenario

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ELASTICITIES_CSV = DATA / "icio2022_lashkaripour" / "sectors_elasticities.csv"

#: Two solves of the same equilibrium agree to the solver's tolerance (residual 1e-12
#: of world income), which moves welfare by well under this many percentage points.
WELFARE_ATOL = 1e-8

SOURCES = {"own": (4.0, 6.0), "low": (2.0, 3.0), "high": (8.0, 10.0)}


@pytest.fixture(scope="module")
def world() -> World:
    """Three regions, two goods, no input-output linkages, three sources."""
    regions, sectors = ["A", "B", "C"], ["G1", "G2"]
    rng = np.random.default_rng(3)
    rows = []
    for s in sectors:
        flows = rng.uniform(5.0, 20.0, (3, 3)) + np.diag([60.0, 70.0, 50.0])
        for a, e in enumerate(regions):
            for b, i in enumerate(regions):
                tariff = 0.0 if a == b else 0.05
                rows.append(
                    {
                        "exporter": e,
                        "importer": i,
                        "sector": s,
                        "value": flows[a, b],
                        "tariff": tariff,
                    }
                )
    trade = pd.DataFrame(rows)
    value_added = trade.groupby(["exporter", "sector"], sort=False)["value"].sum().reset_index()
    value_added.columns = ["region", "sector", "value"]
    table = pd.DataFrame(
        [
            {"source": source, "sector": s, "theta": theta}
            for source, thetas in SOURCES.items()
            for s, theta in zip(sectors, thetas, strict=True)
        ]
    )
    return check_world(
        World(
            name="three",
            year=2022,
            currency="USD",
            description="Three regions, two goods, three elasticity sources (made up).",
            sources=("made up for the tests",),
            regions=pd.DataFrame({"region": regions, "name": regions}),
            sectors=pd.DataFrame(
                {"sector": sectors, "name": sectors, "theta": list(SOURCES["own"])}
            ),
            trade=trade,
            value_added=value_added,
            elasticities=table,
            theta_source="own",
        )
    )


SCENARIO = """\
name: war
measures:
  - kind: tariff
    by: A
    on: B
    rate: 0.3
"""


def test_all_sources_equal_each_source_alone(world) -> None:
    scenario = parse_scenario(SCENARIO)
    result = truce.run(world, scenario, elasticities="all")
    info = result.extra["elasticities"]
    assert info["sources"] == list(SOURCES) and info["point"] == "own"
    welfare = result.regions.set_index("region")
    for source in SOURCES:
        alone = truce.run(world, scenario, elasticities=source).regions.set_index("region")
        got = pd.Series(info["regions"][source]["welfare_pct"])
        np.testing.assert_allclose(got[alone.index], alone["welfare_pct"], atol=WELFARE_ATOL)
        # The spread brackets every source.
        assert (welfare["welfare_pct_src_min"] <= alone["welfare_pct"] + WELFARE_ATOL).all()
        assert (welfare["welfare_pct_src_max"] >= alone["welfare_pct"] - WELFARE_ATOL).all()
    # The point result is the world's own elasticities.
    own = truce.run(world, scenario)
    np.testing.assert_allclose(welfare["welfare_pct"], own.regions["welfare_pct"], atol=0)
    columns = list(result.regions.columns)
    assert columns.index("welfare_pct_src_min") == columns.index("welfare_pct") + 1
    # A trade cell's spread too, and its baseline is an input, not spread.
    assert "counterfactual_src_max" in result.trade.columns
    assert "baseline_src_min" not in result.trade.columns


def test_a_source_in_the_scenario_equals_the_same_source_on_the_command_line(world) -> None:
    chosen = parse_scenario(
        SCENARIO.replace("name: war\n", "name: war\noptions:\n  elasticities: high\n")
    )
    by_file = truce.run(world, chosen).regions
    by_option = truce.run(world, parse_scenario(SCENARIO), elasticities="high").regions
    np.testing.assert_array_equal(by_file["welfare_pct"], by_option["welfare_pct"])
    # The run's choice wins over the file's.
    low = truce.run(world, chosen, elasticities="low").regions
    assert not np.allclose(low["welfare_pct"], by_file["welfare_pct"])


def test_unknown_sources_are_errors_at_their_place(world) -> None:
    text = SCENARIO.replace("name: war\n", "name: war\noptions:\n  elasticities: nope\n")
    with pytest.raises(truce.ScenarioError) as error:
        truce.run(world, parse_scenario(text, "war.yaml"))
    message = str(error.value)
    assert message.startswith("war.yaml:3: key elasticities:") and "own, low, high" in message
    with pytest.raises(truce.InputError, match="unknown elasticity source 'nope'"):
        truce.run(world, parse_scenario(SCENARIO), elasticities="nope")
    bare = check_world(replace(world, elasticities=None, theta_source=None))
    with pytest.raises(truce.InputError, match="no alternative trade elasticities"):
        truce.run(bare, parse_scenario(SCENARIO), elasticities="all")
    with pytest.raises(truce.ScenarioError, match="not a timeline"):
        truce.timeline(world, parse_scenario(text.replace("nope", "all")))


def test_standard_errors_stay_with_their_source(world) -> None:
    # The theta_se table belongs to one source: draws sample around it and no other.
    se = pd.DataFrame({"sector": ["G1", "G2"], "estimate": ["G1", "G2"], "se": [0.5, 0.5]})
    with_se = check_world(replace(world, theta_se=se))
    assert se_source(with_se) == "own" and theta_spread(with_source(with_se, "own")) is not None
    other = with_source(with_se, "low")
    assert other.theta_source == "low" and se_source(other) == "own"
    assert theta_spread(other) is None
    np.testing.assert_array_equal(other.sectors["theta"], SOURCES["low"])
    no_se = r"\(low\) have no standard errors.*--elasticities own"
    with pytest.raises(truce.InputError, match=no_se):
        truce.run(with_se, parse_scenario(SCENARIO), elasticities="low", draws=4)
    # Back on their own source, the draws run, around that source's elasticities.
    back = with_source(other, "own")
    spread = theta_spread(back)
    assert spread is not None
    np.testing.assert_array_equal(spread.theta_s, SOURCES["own"])
    # A world whose own elasticities are another source's keeps the table for that one.
    tagged = check_world(replace(with_se, theta_se_source="high"))
    assert theta_spread(tagged) is None
    assert theta_spread(with_source(tagged, "high")) is not None
    # A user's standard errors are for the elasticities in use.
    assert theta_spread(with_theta_se(other, se)) is not None


def test_world_toml_sources_are_checked(world) -> None:
    with pytest.raises(truce.WorldError, match="'theta_se_source': 'nope' is not a source"):
        check_world(replace(world, theta_se=None, theta_se_source="nope"))
    with pytest.raises(truce.WorldError, match="names the source of a theta_se table it lacks"):
        check_world(replace(world, theta_se_source="low"))
    sectors = world.sectors.assign(theta=[3.0, 9.0])
    with pytest.raises(truce.WorldError, match="sector G2: theta 9 is not 'own'"):
        check_world(replace(world, sectors=sectors))


def test_a_source_must_cover_every_sector(world) -> None:
    partial = world.elasticities[world.elasticities["sector"] != "G2"]
    with pytest.raises(truce.WorldError, match="source 'own' has no theta for G2"):
        check_world(replace(world, elasticities=partial))


def test_the_table_round_trips_through_a_world_folder(world, tmp_path) -> None:
    write_world(world, tmp_path / "three")
    again = truce.load_world(tmp_path / "three")
    assert elasticity_sources(again) == tuple(SOURCES) and again.theta_source == "own"
    np.testing.assert_array_equal(source_thetas(again), np.array(list(SOURCES.values())))


def test_cli_all_shows_the_spread(world, tmp_path) -> None:
    write_world(world, tmp_path / "three")
    (tmp_path / "war.yaml").write_text(SCENARIO, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(tmp_path / "war.yaml"),
            "--world",
            str(tmp_path / "three"),
            "--elasticities",
            "all",
            "--no-store",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "welfare % across" in result.output and "sources [min, max]" in result.output
    assert "3 elasticity sources" in result.output


# --------------------------------------------------------------------------- the builder


def test_builder_table_is_the_source_file_with_its_median() -> None:
    if not ELASTICITIES_CSV.is_file():
        pytest.skip(f"source data not found at {ELASTICITIES_CSV}")
    from truce.data.sources.icio2022 import ELASTICITY_SOURCES, elasticities_table

    table = elasticities_table(DATA)
    wide = table.pivot(index="sector", columns="source", values="theta")
    source = pd.read_csv(ELASTICITIES_CSV).sort_values("idx")
    columns = {name: column for name, (column, _) in ELASTICITY_SOURCES.items()}
    assert wide.shape == (len(source), len(columns) + 1)
    for name, column in columns.items():
        np.testing.assert_array_equal(
            table[table["source"] == name]["theta"].to_numpy(), source[column].to_numpy()
        )
    median = np.median(source[list(columns.values())].to_numpy(), axis=1)
    np.testing.assert_allclose(table[table["source"] == "median"]["theta"], median, rtol=0)
    # The median has no sector above 20 (Caliendo–Parro's 64.85 for refined petroleum is
    # one of eight values there).
    assert table[table["source"] == "median"]["theta"].max() < 20


def test_world_show_json_names_the_elasticities_and_pair_tariffs(world, tmp_path) -> None:
    import json

    write_world(world, tmp_path / "three")
    result = CliRunner().invoke(app, ["world", "show", str(tmp_path / "three"), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["elasticities"]["source"] == "own"
    assert shown["elasticities"]["alternatives"] == list(SOURCES)
    thetas = {row["sector"]: row["theta"] for row in shown["elasticities"]["by_sector"]}
    assert thetas == dict(zip(["G1", "G2"], SOURCES["own"], strict=True))
    # Every foreign cell of the made-up world carries a 5% tariff, so each pair's
    # trade-weighted average is 5%.
    assert shown["pair_tariffs"] and all(
        abs(p["tariff"] - 0.05) < 1e-12 for p in shown["pair_tariffs"]
    )
    assert shown["checks"]["output_gap"] < 1e-9
