"""The built-in world ``default`` (the global economy of 2022) and its builder.

Where each expected number comes from:

- invariants: the accounting identities (to 1e-9 of each cell), a scenario without
  measures reproduces the world, the builder is deterministic;
- the source data (``shared/data/icio2022_lashkaripour``, PROVENANCE.md §3): the CHN→USA
  and USA→CHN goods totals, read here from ``icio2022_flows_tariffs.npz`` itself;
- the trade-war layers (``truce.data.sources.trade_war``, each share with its basis): a
  USA/CHN cell's tariff is its MFN rate (the world built without the layers) plus the
  closed form Σ share × rate of the sector's layers; nothing is fitted;
- PIIE (C. Bown, "US-China Trade War Tariffs: An Up-to-Date Chart"), 20 January 2025:
  US average tariff on Chinese goods 20.8%, China's on US goods 21.2%
  (``shared/facts/us-china-measures.md`` §5), reported beside the built averages.

The tests that build a world need ``../shared/data`` beside the repository and are
skipped without it.  Building the 14-region world takes about a second, the 81-region
one a few; each is built once per module.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import truce
from truce.api.worlds import build_icio2022
from truce.cli.main import app
from truce.data.sources import trade_war
from truce.data.sources.icio2022 import (
    DEFAULT_REGIONS,
    EU27,
    FLOWS_FILE,
    SERVICES,
    icio2022_world,
)
from truce.data.world import World, content_hash, read_world
from truce.errors import InputError, WorldError
from truce.policy.spec import Options, Scenario

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
WORLD = REPO / "src" / "truce" / "builtin" / "worlds" / "default"

RUNNER = CliRunner(env={"COLUMNS": "400"})
EXIT_OK, EXIT_BAD_INPUT = 0, 2  # CONTRACTS.md §4

IDENTITY_TOL = 1e-9
"""The builder balances the world exactly; the gaps left are float rounding (~1e-15)."""
PCT_ATOL = 1e-8
FLOW_RTOL = 1e-10
"""A no-measure run: the world is its own equilibrium, so the changes are rounding."""
SOURCE_RTOL = 1e-12
"""Flows are never changed by the builder, only summed: equal to the source's to rounding."""

# PIIE, 20 January 2025 (facts §5): trade-weighted average tariffs, goods.
PIIE_US_ON_CHN = 0.208
PIIE_CHN_ON_US = 0.212
LAYER_ATOL = 1e-12
"""A USA/CHN cell minus its MFN rate vs Σ share × rate: float rounding only."""


def needs_data() -> None:
    if not (DATA / FLOWS_FILE).is_file():
        pytest.skip(f"source data not found at {DATA} (../shared/data beside the repository)")


def no_policy(tariff_eis, countries, sectors, *, flows_eis):
    """A tariff policy that adds nothing (the builder's policy hook, for tests)."""
    return tariff_eis, ["none (test)"]


@pytest.fixture(scope="module")
def world() -> World:
    return truce.load_world("default")


@pytest.fixture(scope="module")
def rebuilt() -> World:
    needs_data()
    return build_icio2022(DATA)


@pytest.fixture(scope="module")
def cli_build(tmp_path_factory: pytest.TempPathFactory):
    """One ``truce world build`` into a temporary folder: (result, folder)."""
    needs_data()
    out = tmp_path_factory.mktemp("build") / "w2022"
    result = RUNNER.invoke(app, ["world", "build", "--data", str(DATA), str(out)])
    return result, out


def identity_gaps(world: World) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: |gross output − value added − purchases| / gross output, and final
    demand / absorption (absorption − intermediate use, tariffs included)."""
    cells = pd.MultiIndex.from_product(
        [world.regions["region"], world.sectors["sector"]], names=["region", "sector"]
    )

    def total(df: pd.DataFrame, keys: list[str], value: pd.Series | None = None) -> np.ndarray:
        v = df["value"] if value is None else value
        out = v.groupby([df[k] for k in keys]).sum()
        out.index.names = cells.names
        return out.reindex(cells, fill_value=0.0).to_numpy()

    t, io = world.trade, world.io
    assert io is not None
    gross = total(t, ["exporter", "sector"])
    bought = total(io, ["region", "output_sector"])
    gap = np.abs(gross - total(world.value_added, ["region", "sector"]) - bought)
    absorption = total(t, ["importer", "sector"], t["value"] * (1.0 + t["tariff"]))
    final = absorption - total(io, ["region", "input_sector"])
    return (
        np.divide(gap, gross, out=gap.copy(), where=gross > 0),
        np.divide(final, absorption, out=final.copy(), where=absorption > 0),
    )


def goods(world: World, exporter: str, importer: str) -> pd.DataFrame:
    t = world.trade
    return t[(t["exporter"] == exporter) & (t["importer"] == importer) & (t["sector"] != SERVICES)]


# --------------------------------------------------------------------------- the committed world


def test_default_is_builtin_and_small(world) -> None:
    assert "default" in truce.builtin_worlds()
    assert (world.name, world.year, world.currency) == ("default", 2022, "USD million")
    assert list(world.regions["region"]) == list(DEFAULT_REGIONS)
    assert len(world.sectors) == 28 and world.sectors["sector"].iat[-1] == SERVICES
    assert world.io is not None
    size = sum(p.stat().st_size for p in WORLD.iterdir())
    assert size < 5e6


def test_identities_hold_exactly(world) -> None:
    # Invariant: gross output = value added + purchases, and final demand >= 0, per cell.
    output_gap, final_share = identity_gaps(world)
    assert output_gap.max() <= IDENTITY_TOL
    assert final_share.min() >= -IDENTITY_TOL
    assert (world.value_added["value"] >= 0).all()


def test_no_measures_reproduce_the_world(world) -> None:
    # Invariant: the world is its own equilibrium with its deficits held fixed.
    scenario = Scenario(name="none", options=Options(deficits="fixed"), measures=())
    result = truce.run(world, scenario)
    pct = [c for c in result.regions.columns if c.endswith("_pct")]
    np.testing.assert_allclose(result.regions[pct].to_numpy(), 0.0, rtol=0, atol=PCT_ATOL)
    trade = result.trade
    np.testing.assert_allclose(trade["counterfactual"], trade["baseline"], rtol=FLOW_RTOL)


def test_us_china_goods_flows_equal_the_source(world) -> None:
    # Source data: the builder never changes a flow (PROVENANCE §3: about 453 and 128 bn).
    needs_data()
    with np.load(DATA / FLOWS_FILE) as npz:
        flows, countries, sectors = npz["flows_musd"], list(npz["countries"]), list(npz["sectors"])
    g = [k for k, s in enumerate(sectors) if s != "Services (aggregate)"]
    usa, chn = countries.index("USA"), countries.index("CHN")
    for exporter, importer, source in (
        ("CHN", "USA", flows[chn, usa, g].sum()),
        ("USA", "CHN", flows[usa, chn, g].sum()),
    ):
        value = goods(world, exporter, importer)["value"].sum()
        np.testing.assert_allclose(value, source, rtol=SOURCE_RTOL)
    assert 450e3 < goods(world, "CHN", "USA")["value"].sum() < 456e3
    assert 126e3 < goods(world, "USA", "CHN")["value"].sum() < 130e3


def test_us_china_tariffs_are_the_built_layers(world) -> None:
    # Invariant: each USA/CHN goods cell = its MFN rate (the same world built without
    # the layers) + Σ share × rate of its sector's layers, with no scaling.
    needs_data()
    mfn = build_icio2022(DATA, policy=no_policy).trade.set_index(
        ["exporter", "importer", "sector"]
    )["tariff"]
    for exporter, importer, table in (
        ("CHN", "USA", trade_war.US_ON_CHINA),
        ("USA", "CHN", trade_war.CHINA_ON_US),
    ):
        cells = goods(world, exporter, importer)
        for sector, tariff in zip(cells["sector"], cells["tariff"], strict=True):
            extra = trade_war.sector_rate(table.get(sector, ()))
            base = mfn[(exporter, importer, sector)]
            assert tariff - base == pytest.approx(extra, abs=LAYER_ATOL), (exporter, sector)


def test_us_china_averages_are_reported_beside_piie(world) -> None:
    # The description states each built average (weights = the world's goods flows)
    # beside PIIE's (facts §5), and the two are not made equal.
    text = " ".join(world.description.split())
    pairs = (("CHN", "USA", PIIE_US_ON_CHN), ("USA", "CHN", PIIE_CHN_ON_US))
    for exporter, importer, piie in pairs:
        cells = goods(world, exporter, importer)
        average = (cells["value"] * cells["tariff"]).sum() / cells["value"].sum()
        assert f"2022 goods flows) {average:.1%}" in text, (exporter, average)
        assert f"PIIE: {piie:.1%}" in text
        # Not fitted: a calibration would make them equal to 1e-9; built, they differ by
        # 1.5 points (China) and 3.1 (US) in this world.
        assert abs(average - piie) > 0.005, (exporter, average)
    assert "PIIE: 66.4% of 2017 imports" in text and "PIIE: 58.3% of 2017 imports" in text
    assert text.count("They differ because") == 2 and "scaled by" not in text


def test_cleaning_leaves_no_services_tariff_and_no_food_artefact(world) -> None:
    t = world.trade
    assert (t.loc[t["sector"] == SERVICES, "tariff"] == 0).all()
    food = t[t["sector"] == "C10T12"]
    # The only food rate above 50% could come from the trade-war layers on US-China food.
    high = food[food["tariff"] > 0.5]
    pairs = set(zip(high["exporter"], high["importer"], strict=True))
    assert pairs <= {("CHN", "USA"), ("USA", "CHN")}


def test_every_region_and_sector_has_a_readable_name(world) -> None:
    for table, key in ((world.regions, "region"), (world.sectors, "sector")):
        for code, name in zip(table[key], table["name"], strict=True):
            assert name.strip() and name != code, (code, name)
    names = dict(zip(world.regions["region"], world.regions["name"], strict=True))
    assert "European Union" in names["EU27"] and "ASEAN" in names["ASEAN"]


def test_description_records_the_steps(world) -> None:
    text = " ".join(world.description.split())
    for fragment in (
        "services tariffs set to 0 in",
        "food (C10T12) tariffs above 50%",
        "negative values set to 0",
        "AGO, ARE, COD, STP",
        "final-demand shares of the 23 services",
        "balancing:",
        "2021",
        "PIIE",
        "Caliendo",
        "Hong Kong (HKG)",
    ):
        assert fragment in text, fragment
    assert any("tariffwar" in s for s in world.sources)
    assert any("Teti" in s for s in world.sources)
    assert any("Caliendo" in s for s in world.sources)
    assert any("us-china-measures" in s for s in world.sources)


# --------------------------------------------------------------------------- rebuilding


def test_rebuilt_world_equals_the_committed_one(world, rebuilt) -> None:
    assert content_hash(rebuilt) == content_hash(world)
    for key in ("name", "year", "currency", "description", "sources"):
        assert getattr(rebuilt, key) == getattr(world, key), key


def test_all_regions_meets_identities() -> None:
    needs_data()
    every = icio2022_world(DATA, regions="all", policy=no_policy)
    assert len(every.regions) == 81
    output_gap, final_share = identity_gaps(every)
    assert output_gap.max() <= IDENTITY_TOL
    assert final_share.min() >= -IDENTITY_TOL
    names = dict(zip(every.regions["region"], every.regions["name"], strict=True))
    assert names["HKG"] == "Hong Kong, China" and names["ROW"] == "Rest of the world"


def test_regions_file_and_other_elasticities(tmp_path: Path, world) -> None:
    needs_data()
    # Three regions: USA, CHN (named in the file), the EU and everyone else (no name given).
    with np.load(DATA / FLOWS_FILE) as npz:
        countries = [str(c) for c in npz["countries"]]
    rows = ["economy,region,name", "USA,USA,", "CHN,CHN,People's Republic of China"]
    rows += [f"{e},EU27," for e in EU27]
    rows += [f"{e},OTH," for e in countries if e not in ("USA", "CHN", *EU27)]
    mapping = tmp_path / "three.csv"
    mapping.write_text("\n".join(rows) + "\n", encoding="utf-8")
    small = build_icio2022(DATA, regions=mapping, elasticities="u4", policy=no_policy)
    assert list(small.regions["region"]) == ["USA", "CHN", "EU27", "OTH"]
    names = list(small.regions["name"])
    assert names[:2] == ["United States", "People's Republic of China"]
    assert names[2].startswith("European Union") and names[3].startswith("Group of")
    assert (small.sectors["theta"] == 4.0).all()  # uniform 4
    assert "Simonovska" in " ".join(small.sources)
    output_gap, final_share = identity_gaps(small)
    assert output_gap.max() <= IDENTITY_TOL and final_share.min() >= -IDENTITY_TOL
    # Same flows as the default world where regions coincide.
    np.testing.assert_allclose(
        goods(small, "CHN", "USA")["value"].sum(),
        goods(world, "CHN", "USA")["value"].sum(),
        rtol=SOURCE_RTOL,
    )


def test_bad_region_files_name_the_economies(tmp_path: Path) -> None:
    needs_data()
    bad = tmp_path / "bad.csv"
    bad.write_text("economy,region\nUSA,USA\nXYZ,USA\n", encoding="utf-8")
    with pytest.raises(WorldError) as info:
        build_icio2022(DATA, regions=bad, policy=no_policy)
    message = str(info.value)
    assert "unknown economies (not in the source): XYZ" in message
    assert "economies not mapped to a region: AGO, ARE" in message
    with pytest.raises(WorldError, match="no such file"):
        build_icio2022(DATA, regions=tmp_path / "missing.csv", policy=no_policy)


def test_unknown_elasticity_source_is_input_error() -> None:
    with pytest.raises(InputError, match="unknown elasticity source 'nope'"):
        build_icio2022(DATA, elasticities="nope")


# --------------------------------------------------------------------------- command line


def test_cli_world_build(cli_build, world) -> None:
    result, out = cli_build
    assert result.exit_code == EXIT_OK, (result.output, result.exception)
    assert f"wrote world default (14 regions × 28 sectors) to {out}" in " ".join(
        result.stderr.split()
    )
    assert content_hash(read_world(out)) == content_hash(world)


def test_cli_world_show_default() -> None:
    result = RUNNER.invoke(app, ["world", "show", "default"])
    assert result.exit_code == EXIT_OK, (result.output, result.exception)
    text = result.stdout
    for fragment in ("default", "2022", "USD million", "14 regions × 28 sectors", "Teti"):
        assert fragment in text, fragment
    assert "largest international flows" in text
    # USA↔CHN both ways, with the world's own goods averages (the built layers).
    world = truce.load_world("default")
    for exporter, importer in (("CHN", "USA"), ("USA", "CHN")):
        cells = goods(world, exporter, importer)
        average = (cells["value"] * cells["tariff"]).sum() / cells["value"].sum()
        rate = f"{100 * average:.2f}"
        pair = re.compile(rf"│ {exporter} +│ {importer} +│")
        rows = [line for line in text.splitlines() if pair.search(line)]
        assert any(line.rstrip(" │").endswith(rate) for line in rows), (exporter, rows)
    assert "identities: largest gap" in text


def test_cli_worlds_lists_default() -> None:
    result = RUNNER.invoke(app, ["worlds"])
    assert result.exit_code == EXIT_OK, result.output
    row = next(line for line in result.stdout.splitlines() if "default" in line)
    assert "2022" in row and "14 × 28" in row and "OECD" in row


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--data", "{tmp}/no-data"], "no-data: no such data folder"),
        (["--regions", "{tmp}/nothing.csv"], "nothing.csv: --regions must be"),
        (["--elasticities", "nope"], "unknown elasticity source 'nope'"),
    ],
)
def test_cli_world_build_bad_input(tmp_path: Path, args: list[str], fragment: str) -> None:
    if "--data" not in args:
        needs_data()
        args = [*args, "--data", str(DATA)]
    args = [a.format(tmp=tmp_path) for a in args]
    out = tmp_path / "out"
    result = RUNNER.invoke(app, ["world", "build", *args, str(out)])
    assert result.exit_code == EXIT_BAD_INPUT, (result.output, result.exception)
    assert fragment in " ".join(result.stderr.split())
    assert not out.exists()
